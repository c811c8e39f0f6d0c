// A JWKS file that the issuer serves (a static file behind a web server, a config map). Rotation
// appends the replacement's public key, then removes every entry whose canonical thumbprint is the
// leaked one (never by kid); other keys and members stay as they were, in order. Each write is
// atomic and backs up the version it replaces into the incident's artifacts, less the leaked key's
// private members (they stay only in artifacts/keys, when anywhere); check() reads the file.
// In private mode (`private: true`) the file is the signer's own private key set (oidc-provider and
// many in-house issuers are configured so): it is kept 0600, the replacement's private JWK goes in
// first (where such signers take their signing key), and the other private keys in it are the
// signer's, not a leak.
import {dirname, join, resolve} from 'node:path'

import {calculateJwkThumbprint, type JWK} from 'jose'

import {canonicalizeJwk, privateMemberNames} from '../../core/key/canonical-key.js'
import {JwkrError} from '../../core/errors.js'
import {readBoundedText} from '../fs/read-bounded-file.js'
import type {InventoryIssuer} from '../../core/inventory/types.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {backupOnce, writeFileAtomic} from '../fs/atomic-file.js'
import {DEFAULT_MAX_BYTES} from '../http/fetch-json.js'
import {readPrivateJwk} from '../keys/private-key-file.js'
import {checkKeyCount, parseKeySetText, publicReplacement, sourceKeyFromJwk, withoutPrivateMembers} from './key-material.js'
import type {
  ChangeResult,
  EffectRunner,
  IssuerKeyStore,
  IssuerKeyStoreDeps,
  PlannedCall,
  PrecheckResult,
  RotateRequest,
  SourceKey,
} from './issuer-key-store.js'
import {notFoundResult} from './rotation.js'

/** A JWKS file as read: the parsed document and how it was laid out, to write it back alike. */
export interface JwksDocument {
  text: string
  document: Record<string, unknown> & {keys: unknown[]}
  indent: string
  trailingNewline: boolean
}

export interface JwksChange {
  /** Appended (or put first) unless a key with its thumbprint is already there. */
  add?: {jwk: JWK; thumbprint: string; first?: boolean}
  /** Every key with this canonical thumbprint is removed. */
  removeThumbprint?: string
}

/**
 * The document after a change, plus what changed. Pure: the dry run uses it to show the diff.
 * Keys whose thumbprint cannot be computed (unknown kty, broken members) are kept untouched.
 */
export async function applyJwksChange(
  document: JwksDocument['document'],
  change: JwksChange,
): Promise<{document: JwksDocument['document']; added: boolean; removed: number}> {
  const thumbprints = await Promise.all(document.keys.map(thumbprintOrNull))
  let keys = document.keys
  let removed = 0
  if (change.removeThumbprint !== undefined) {
    keys = keys.filter((_, index) => thumbprints[index] !== change.removeThumbprint)
    removed = document.keys.length - keys.length
  }
  const added = change.add !== undefined && !thumbprints.includes(change.add.thumbprint)
  if (added && change.add) keys = change.add.first ? [change.add.jwk, ...keys] : [...keys, change.add.jwk]
  return {document: {...document, keys}, added, removed}
}

const KEY_SOURCE_HINT = "Check keySource.path in the inventory (relative paths are relative to the inventory's folder)."

export async function readJwksFile(path: string, secrets: SecretRegistry): Promise<JwksDocument> {
  let text: string
  try {
    text = await readBoundedText(path, {maxBytes: DEFAULT_MAX_BYTES, what: 'a JWKS', tooLargeHint: KEY_SOURCE_HINT})
  } catch (error) {
    // readBoundedText fails only with a JwkrError, whose message names the path and the reason.
    const {code, message} = error as JwkrError
    throw new JwkrError(
      'ERR_KEY_SOURCE_INVALID',
      code === 'ERR_INPUT_NOT_FOUND' ? `The JWKS file ${path} does not exist.` : `The JWKS file cannot be read: ${message}`,
      {hint: KEY_SOURCE_HINT, cause: error},
    )
  }
  const parsed = parseKeySetText(
    text,
    `The JWKS file ${path}`,
    'Fix the file (or restore it from its backup), then resume.',
    secrets,
  )
  if (parsed === null || typeof parsed !== 'object' || !Array.isArray((parsed as {keys?: unknown}).keys)) {
    throw new JwkrError('ERR_KEY_SOURCE_INVALID', `The JWKS file ${path} has no "keys" array.`, {
      hint: 'A JWKS is an object {"keys": [...]} (RFC 7517 §5).',
    })
  }
  const document = parsed as JwksDocument['document']
  for (const key of document.keys) secrets.addJwk(key)
  checkKeyCount(document.keys, `The JWKS file ${path}`)
  const indent = /^\{\s*?\n([ \t]+)\S/.exec(text)?.[1] ?? ''
  return {text, document, indent, trailingNewline: text.endsWith('\n')}
}

export function serializeJwks(read: JwksDocument, document: JwksDocument['document']): string {
  return JSON.stringify(document, null, read.indent === '' ? undefined : read.indent) + (read.trailingNewline ? '\n' : '')
}

export function createJwksFileKeyStore(
  issuer: InventoryIssuer,
  config: {path: string; private?: boolean},
  deps: IssuerKeyStoreDeps,
): IssuerKeyStore {
  const {secrets} = deps
  const path = resolve(deps.baseDir ?? process.cwd(), config.path)
  const privateMode = config.private === true
  const read = () => readJwksFile(path, secrets)

  async function listKeys(): Promise<SourceKey[]> {
    const {document} = await read()
    const keys: SourceKey[] = []
    for (const [index, raw] of document.keys.entries()) {
      const record = (raw ?? {}) as Record<string, unknown>
      // A symmetric key has no public half to list; it is still matched (and removed) by thumbprint.
      if (record.kty === 'oct') continue
      try {
        keys.push(await sourceKeyFromJwk(raw, {status: 'unknown', ref: {index}}, secrets))
      } catch {
        // A key jwkr cannot read is kept in the file untouched, and not listed.
      }
    }
    return keys
  }

  /**
   * Refuses a change whose result would still publish private members of a key other than the
   * leaked one; says whether the leaked key's own were published (in the file, or in the original
   * that the first write backed up, when a resumed run finds them already stripped).
   */
  async function guard(read: JwksDocument, leakedThumbprint: string): Promise<{leakedHadPrivate: boolean}> {
    // The signer's own key set holds private keys by design: none of them is "exposed" for that.
    if (privateMode) return {leakedHadPrivate: false}
    const {leaked, others} = await privateHolders(read.document, leakedThumbprint)
    if (others.length > 0) {
      throw new JwkrError(
        'ERR_JWKS_PRIVATE_MEMBERS',
        `The JWKS file ${path} publishes private members of other keys too (${others.join('; ')}).`,
        {
          hint: 'Those keys are exposed as well: respond to them (jwkr key rotate) or remove their private members by hand; jwkr will not rewrite a JWKS that keeps them.',
        },
      )
    }
    if (leaked || !deps.artifactsDir) return {leakedHadPrivate: leaked}
    // The first backup (of a rotation, or of a revocation) says what the original held: its note
    // when jwkr left the members out, the members themselves in a backup of an older jwkr.
    for (const stage of ['add', 'remove']) {
      const original = await readJwksFile(backupPath(stage), secrets).catch(() => undefined)
      if (!original) continue
      if (strippedFromBackup(original.document) || (await privateHolders(original.document, leakedThumbprint)).leaked)
        return {leakedHadPrivate: true}
    }
    return {leakedHadPrivate: false}
  }

  /**
   * The check rotate and revoke make before their first stage, read-only: whether the file holds the
   * leaked key (or, on a resume, the replacement already added), then `guard`'s refusal. `precheck`
   * (a dry run, and the decision to generate a key) is this same check.
   */
  async function inspect(
    leakedThumbprint: string,
    replacementThumbprint: string | undefined,
  ): Promise<{found: false} | {found: true; leakedHadPrivate: boolean}> {
    const current = await read()
    const thumbprints = await Promise.all(current.document.keys.map(thumbprintOrNull))
    const found =
      thumbprints.includes(leakedThumbprint) ||
      (replacementThumbprint !== undefined && thumbprints.includes(replacementThumbprint))
    if (!found) return {found: false}
    return {found: true, ...(await guard(current, leakedThumbprint))}
  }

  /** One atomic write of the current file with `change`, backing up the version it replaces. */
  async function write(stage: string, request: RotateRequest, change: JwksChange): Promise<{added: boolean; removed: number}> {
    const current = await read()
    const changed = await applyJwksChange(current.document, change)
    const document = {
      ...changed.document,
      keys: privateMode
        ? changed.document.keys
        : await Promise.all(changed.document.keys.map((key) => stripIfLeaked(key, request.leaked.thumbprint))),
    }
    const text = serializeJwks(current, document)
    if (text === current.text) return changed
    try {
      if (deps.artifactsDir) await backupOnce(await backupText(current, request.leaked.thumbprint), backupPath(stage))
      await writeFileAtomic(path, text, privateMode ? 0o600 : undefined)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'an I/O error'
      throw new JwkrError(
        'ERR_KEY_SOURCE_WRITE',
        `Cannot write the JWKS file ${path} or its backup (${code}); it was left as it was.`,
        {
          hint: `Check that jwkr may write to ${dirname(path)} and to the incident's artifacts folder, then resume.`,
          cause: error,
        },
      )
    }
    return changed
  }

  const backupPath = (stage: string) => join(deps.artifactsDir ?? '', 'jwks-file', `${issuer.id}.before-${stage}.json`)
  const present = async (thumbprint: string) =>
    (await Promise.all((await read()).document.keys.map(thumbprintOrNull))).includes(thumbprint)

  async function removeStage(request: RotateRequest, run: EffectRunner): Promise<void> {
    const removed = {thumbprint: request.leaked.thumbprint}
    await run(
      'remove',
      `Remove the key with thumbprint ${request.leaked.thumbprint} from ${path}`,
      async () => {
        await write('remove', request, {removeThumbprint: request.leaked.thumbprint})
        return removed
      },
      async () => ((await present(request.leaked.thumbprint)) ? undefined : removed),
    )
  }

  function result(request: RotateRequest, added: ChangeResult['added'], stages: string[], warnings: string[]): ChangeResult {
    return {
      issuerId: issuer.id,
      source: 'jwks-file',
      outcome: 'changed',
      added,
      removed: [{kid: request.leaked.kid, thumbprint: request.leaked.thumbprint}],
      signingSwitched: null,
      leakedStillListed: false,
      stages,
      warnings,
    }
  }

  function privateWarning(leakedHadPrivate: boolean): string[] {
    if (!leakedHadPrivate) return []
    const backup = deps.artifactsDir
      ? ` The backups in ${join(deps.artifactsDir, 'jwks-file')} leave them out: restoring one publishes the key's public members only.`
      : ''
    return [`The JWKS file published the leaked key's private members: anyone who fetched it has the key.${backup}`]
  }

  const removeCall = (request: RotateRequest): PlannedCall => ({
    kind: 'file',
    target: path,
    description: `Remove every key with thumbprint ${request.leaked.thumbprint}${request.leaked.kid ? ` (kid ${request.leaked.kid}, or any other kid)` : ''}, atomically; other keys and members stay in order.`,
  })
  const backupNote = deps.artifactsDir
    ? `, backing up the current file (less the leaked key's private members) to ${join(deps.artifactsDir, 'jwks-file')}`
    : ''

  return {
    type: 'jwks-file',
    capabilities: {takesGeneratedKey: true, switchesSigning: false, removesKey: true, revokesSessions: false},
    listKeys,
    async precheck(request): Promise<PrecheckResult> {
      const found = await inspect(request.leaked.thumbprint, request.replacementThumbprint)
      return found.found
        ? {outcome: 'ready'}
        : {outcome: 'not-found', result: notFoundResult(issuer.id, 'jwks-file', request.leaked.thumbprint, path, [])}
    },
    planRotate: (request) => [
      {
        kind: 'file',
        target: path,
        description: privateMode
          ? `Put the new private key (kid ${request.replacement?.kid ?? '?'}) first in the signer's key set, atomically, mode 0600${backupNote}.`
          : `Append the new public key (kid: ${request.replacement?.kid ?? '?'}) atomically${backupNote}.`,
      },
      removeCall(request),
    ],
    async rotate(request, run) {
      const replacement = privateMode ? await privateReplacementOf(request, secrets) : await replacementOf(request, secrets)
      const found = await inspect(request.leaked.thumbprint, replacement.thumbprint)
      if (!found.found) return notFoundResult(issuer.id, 'jwks-file', request.leaked.thumbprint, path, [])
      const {leakedHadPrivate} = found
      const added = {kid: replacement.jwk.kid ?? null, thumbprint: replacement.thumbprint}
      await run(
        'add',
        `Append the key ${replacement.thumbprint} to ${path}`,
        async () => {
          await write('add', request, {add: replacement})
          return added
        },
        async () => ((await present(replacement.thumbprint)) ? added : undefined),
      )
      await removeStage(request, run)
      return result(
        request,
        [added],
        ['add', 'remove'],
        privateMode
          ? [
              `The signer's key set now starts with the new key (kid ${added.kid}): restart or reload the signer so that it signs with it and serves the new public set.`,
            ]
          : [
              `A JWKS file cannot switch signing: make the issuer sign with the new key (kid ${added.kid})${request.replacement?.privateKeyFile ? `, written to ${request.replacement.privateKeyFile}` : ''}, or its tokens fail verification.`,
              ...privateWarning(leakedHadPrivate),
            ],
      )
    },
    planRevoke: (request) => [removeCall(request)],
    async revoke(request, run) {
      const found = await inspect(request.leaked.thumbprint, undefined)
      if (!found.found) return notFoundResult(issuer.id, 'jwks-file', request.leaked.thumbprint, path, [])
      const {leakedHadPrivate} = found
      await removeStage(request, run)
      return result(
        request,
        [],
        ['remove'],
        [
          'If the issuer still signs with the leaked key, its new tokens now fail verification: rotate instead (jwkr key rotate).',
          ...privateWarning(leakedHadPrivate),
        ],
      )
    },
  }
}

async function replacementOf(request: RotateRequest, secrets: SecretRegistry): Promise<{jwk: JWK; thumbprint: string}> {
  if (!request.replacement) {
    throw new JwkrError('ERR_USAGE', 'The jwks-file key source publishes a key that jwkr generated, and none was given.', {
      hint: 'Use jwkr key rotate, which generates the replacement, or jwkr key revoke to remove the leaked key only.',
    })
  }
  return publicReplacement(request.replacement.publicJwk, request.replacement.kid, secrets)
}

/** The replacement as the signer needs it: its private JWK, read from the 0600 file jwkr wrote. */
async function privateReplacementOf(
  request: RotateRequest,
  secrets: SecretRegistry,
): Promise<{jwk: JWK; thumbprint: string; first: true}> {
  const file = request.replacement?.privateKeyFile
  const jwk = file === undefined ? undefined : await readPrivateJwk(file, secrets)
  if (!request.replacement || jwk === undefined) {
    throw new JwkrError(
      'ERR_USAGE',
      'A private jwks-file key source needs the replacement private key jwkr generated, and none was found.',
      {
        hint: 'Use jwkr key rotate (or the key.rotate step), which generates it into a 0600 file, then resume.',
      },
    )
  }
  const {thumbprint} = await publicReplacement(request.replacement.publicJwk, request.replacement.kid, secrets)
  return {jwk: {...jwk, kid: request.replacement.kid} as JWK, thumbprint, first: true}
}

export async function thumbprintOrNull(raw: unknown): Promise<string | null> {
  try {
    return await calculateJwkThumbprint(canonicalizeJwk(raw).thumbprintJwk, 'sha256')
  } catch {
    return null
  }
}

/** The leaked key loses its private members in every write (it is about to go, and they are exposed). */
export async function stripIfLeaked(raw: unknown, leakedThumbprint: string): Promise<unknown> {
  if (raw === null || typeof raw !== 'object' || (await thumbprintOrNull(raw)) !== leakedThumbprint) return raw
  return (raw as JWK).kty === 'oct' ? raw : withoutPrivateMembers(raw as JWK)
}

/** Whether the leaked key's entries hold private members, and which other keys do (described, no values). */
export async function privateHolders(
  document: {keys: readonly unknown[]},
  leakedThumbprint: string,
): Promise<{leaked: boolean; others: string[]}> {
  let leaked = false
  const others: string[] = []
  for (const [index, raw] of document.keys.entries()) {
    const members = privateMemberNames((raw ?? {}) as Record<string, unknown>)
    if (members.length === 0) continue
    if ((await thumbprintOrNull(raw)) === leakedThumbprint) leaked = true
    else
      others.push(
        `key ${index + 1}${typeof (raw as JWK).kid === 'string' ? ` (kid ${(raw as JWK).kid})` : ''}: ${members.join(', ')}`,
      )
  }
  return {leaked, others}
}

/** The note a backup carries when jwkr left the leaked key's private members out of it (names, never values). */
export const BACKUP_NOTE_MEMBER = 'jwkr'

/**
 * The text a backup keeps: the file as it was, less the leaked key's private members (a symmetric key,
 * all secret, loses its whole entry), so none of them sits outside artifacts/keys. When something was
 * left out, a top-level member says what, by name; a JWKS reader ignores members it does not know
 * (RFC 7517 §5), so restoring the backup publishes the other keys as they were and the leaked key's
 * public members only. A file without them is backed up byte for byte.
 */
export async function backupText(read: JwksDocument, leakedThumbprint: string): Promise<string> {
  const removed: Array<{key: number; kid: string | null; members: string[]}> = []
  const keys: unknown[] = []
  for (const [index, raw] of read.document.keys.entries()) {
    const members = privateMemberNames((raw ?? {}) as Record<string, unknown>)
    if (members.length === 0 || (await thumbprintOrNull(raw)) !== leakedThumbprint) {
      keys.push(raw)
      continue
    }
    const kid = typeof (raw as JWK).kid === 'string' ? ((raw as JWK).kid as string) : null
    removed.push({key: index + 1, kid, members})
    if ((raw as JWK).kty !== 'oct') keys.push(withoutPrivateMembers(raw as JWK))
  }
  if (removed.length === 0) return read.text
  const note = {
    note: "jwkr left the leaked key's private members out of this backup (they are exposed, and jwkr keeps private keys only in artifacts/keys): restoring it publishes the key's public members only.",
    removedPrivateMembers: removed,
  }
  return serializeJwks(read, {...read.document, keys, [BACKUP_NOTE_MEMBER]: note})
}

/** Whether a backup says jwkr left the leaked key's private members out of it (see backupText). */
export function strippedFromBackup(document: Record<string, unknown>): boolean {
  const note = document[BACKUP_NOTE_MEMBER] as {removedPrivateMembers?: unknown} | undefined
  return Array.isArray(note?.removedPrivateMembers) && note.removedPrivateMembers.length > 0
}
