// The JSON file a github-file key store changes, as text in and text out: where its key array sits
// (a JWKS, or a config holding one under `jwks`), its layout kept, a change applied with the leaked
// key's private members dropped wherever it stays, and the refusal to rewrite a file that publishes
// other keys' private members.
import {JwkrError} from '../../core/errors.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {applyJwksChange, privateHolders, stripIfLeaked, thumbprintOrNull, type JwksChange} from './jwks-file.js'
import {checkKeyCount, parseKeySetText} from './key-material.js'

/** The file as read from one branch: where its key array sits, and how it was laid out. */
export interface RepoFile {
  text: string
  /** The blob sha GitHub wants back with an update. */
  sha: string
  document: Record<string, unknown>
  /** `keys` at the top (a JWKS), or `jwks.keys` (a config holding one). */
  holder: 'root' | 'jwks'
  keys: unknown[]
  indent: string
  trailingNewline: boolean
}

/** Reads the file's text; `where` names it in errors ("path in owner/repo"). Registers every key as a secret. */
export function parseRepoFile(text: string, sha: string, where: string, secrets: SecretRegistry): RepoFile {
  const document = parseKeySetText(text, where, 'Fix the file in the repository, then run again.', secrets)
  const record = (document ?? {}) as Record<string, unknown>
  const jwks = record.jwks as Record<string, unknown> | undefined
  const holder = Array.isArray(record.keys) ? 'root' : jwks && Array.isArray(jwks.keys) ? 'jwks' : null
  if (holder === null) {
    throw new JwkrError('ERR_KEY_SOURCE_INVALID', `${where} holds no JWKS: no "keys" array at its top or under "jwks".`, {
      hint: 'keySource.path must name a JWKS file, or a JSON config with the JWKS under "jwks".',
    })
  }
  const keys = (holder === 'root' ? record.keys : jwks?.keys) as unknown[]
  for (const key of keys) secrets.addJwk(key)
  checkKeyCount(keys, where)
  const indent = /^\{\s*?\n([ \t]+)\S/.exec(text)?.[1] ?? ''
  return {text, sha, document: record, holder, keys, indent, trailingNewline: text.endsWith('\n')}
}

/** The file's text with `keys` in place of its key array, laid out as it was. */
export function serializeRepoFile(file: RepoFile, keys: unknown[]): string {
  const document =
    file.holder === 'root' ? {...file.document, keys} : {...file.document, jwks: {...(file.document.jwks as object), keys}}
  return JSON.stringify(document, null, file.indent === '' ? undefined : file.indent) + (file.trailingNewline ? '\n' : '')
}

/** The keys after `change`, with the leaked key's private members dropped wherever it stays. */
export async function changedKeys(file: RepoFile, change: JwksChange, leakedThumbprint: string): Promise<unknown[]> {
  const {document} = await applyJwksChange({keys: file.keys}, change)
  return Promise.all(document.keys.map((raw) => stripIfLeaked(raw, leakedThumbprint)))
}

/** Refuses to rewrite a file that publishes other keys' private members; says whether the leaked key's were. */
export async function refuseOtherPrivateMembers(
  file: RepoFile,
  leakedThumbprint: string,
  where: string,
): Promise<{leakedHadPrivate: boolean}> {
  const {leaked, others} = await privateHolders(file, leakedThumbprint)
  if (others.length > 0) {
    throw new JwkrError(
      'ERR_JWKS_PRIVATE_MEMBERS',
      `${where} publishes private members of other keys too (${others.join('; ')}).`,
      {
        hint: 'Those keys are exposed as well: respond to them, or remove their private members by hand; jwkr will not rewrite a JWKS that keeps them.',
      },
    )
  }
  return {leakedHadPrivate: leaked}
}

/** Whether the file holds a key with this thumbprint. */
export async function holdsThumbprint(file: RepoFile, thumbprint: string): Promise<boolean> {
  return (await Promise.all(file.keys.map(thumbprintOrNull))).includes(thumbprint)
}
