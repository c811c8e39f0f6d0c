// A JWKS kept in a GitHub repository (the whole file, or a JSON config holding it under `jwks`):
// jwkr never pushes to the base branch. It makes a branch jwkr/<incident>/<issuer>, commits each
// stage through the contents API (with the blob sha GitHub requires), and opens a pull request that
// explains the incident by thumbprint and kid, never key material. Every stage first looks for its
// own earlier result (the branch, the commit's effect, the open pull request), so a resumed or
// repeated run finds them again instead of making a second branch or pull request.
import {calculateJwkThumbprint, type JWK} from 'jose'

import {createGitHubClient, githubSettingsFromEnv, type GitHubClient} from '../github/client.js'
import {JwkrError} from '../../core/errors.js'
import {canonicalizeJwk, privateMemberNames} from '../../core/key/canonical-key.js'
import type {InventoryIssuer} from '../../core/inventory/types.js'
import {applyJwksChange, type JwksChange} from './jwks-file.js'
import {checkKeyCount, parseKeySetText, publicReplacement, sourceKeyFromJwk, withoutPrivateMembers} from './key-material.js'
import type {
  ChangeResult,
  EffectRunner,
  KeyRef,
  KeySource,
  KeySourceDeps,
  PlannedCall,
  RotateRequest,
  SourceKey,
} from './key-source.js'
import {notFoundResult} from './rotation.js'

export interface GitHubFileConfig {
  /** owner/name */
  repo: string
  /** Path of the JSON file in the repository. */
  path: string
  /** The branch the pull request goes into (default: the repository's default branch). */
  branch?: string
}

export interface GitHubFileOptions {
  /** A client built elsewhere (tests switch retries and write pacing off); default one from GITHUB_TOKEN. */
  client?: GitHubClient
}

/** The file as read from one branch: where its key array sits, and how it was laid out. */
interface RepoFile {
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

/** The branch a change for this incident and issuer is made on. */
export function githubFileBranch(request: {incidentId: string; issuerId: string}): string {
  return `jwkr/${request.incidentId}/${request.issuerId}`
}

export function createGitHubFileKeySource(
  issuer: InventoryIssuer,
  config: GitHubFileConfig,
  deps: KeySourceDeps,
  options: GitHubFileOptions = {},
): KeySource {
  const {secrets} = deps
  const [owner = '', repo = ''] = config.repo.split('/')
  if (owner === '' || repo === '') {
    throw new JwkrError(
      'ERR_KEY_SOURCE_INVALID',
      `The github-file key source of issuer ${issuer.id} names no owner/name repository.`,
      {
        hint: 'Set keySource.repo to owner/name, e.g. example-org/auth-config.',
      },
    )
  }
  const settings = githubSettingsFromEnv(deps.env)
  secrets.add(settings.token)
  let client = options.client
  // Built on first use: planning needs no token.
  const github = (): GitHubClient =>
    (client ??= createGitHubClient({...settings, secrets, fetch: deps.fetch, retries: deps.http?.retries}))
  const api = `${settings.baseUrl.replace(/\/+$/, '')}/repos/${config.repo}`
  const where = `${config.path} in ${config.repo}`
  let baseBranch = config.branch

  async function base(signal?: AbortSignal): Promise<string> {
    baseBranch ??= (await github().repos.get({owner, repo, request: {signal}})).data.default_branch
    return baseBranch
  }

  async function readRepoFile(ref: string, signal?: AbortSignal): Promise<RepoFile> {
    const {data} = await github().repos.getContent({owner, repo, path: config.path, ref, request: {signal}})
    if (Array.isArray(data) || data.type !== 'file' || !('content' in data) || data.encoding !== 'base64') {
      throw new JwkrError(
        'ERR_KEY_SOURCE_INVALID',
        `${where} is not a file GitHub returns whole (a folder, a link, or over 1 MB).`,
        {
          hint: 'Point keySource.path at the JSON file that holds the JWKS.',
        },
      )
    }
    const text = Buffer.from(data.content, 'base64').toString('utf8')
    return parseRepoFile(text, data.sha)
  }

  function parseRepoFile(text: string, sha: string): RepoFile {
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

  function serialize(file: RepoFile, keys: unknown[]): string {
    const document =
      file.holder === 'root' ? {...file.document, keys} : {...file.document, jwks: {...(file.document.jwks as object), keys}}
    return JSON.stringify(document, null, file.indent === '' ? undefined : file.indent) + (file.trailingNewline ? '\n' : '')
  }

  /** The keys after `change`, with the leaked key's private members dropped wherever it stays. */
  async function changedKeys(file: RepoFile, change: JwksChange, leakedThumbprint: string): Promise<unknown[]> {
    const {document} = await applyJwksChange({keys: file.keys}, change)
    return Promise.all(
      document.keys.map(async (raw) =>
        (await thumbprintOrNull(raw)) === leakedThumbprint && (raw as JWK).kty !== 'oct'
          ? withoutPrivateMembers(raw as JWK)
          : raw,
      ),
    )
  }

  /** Refuses to rewrite a file that publishes other keys' private members; says whether the leaked key's were. */
  async function guard(file: RepoFile, leakedThumbprint: string): Promise<{leakedHadPrivate: boolean}> {
    let leakedHadPrivate = false
    const others: string[] = []
    for (const [index, raw] of file.keys.entries()) {
      const members = privateMemberNames((raw ?? {}) as Record<string, unknown>)
      if (members.length === 0) continue
      if ((await thumbprintOrNull(raw)) === leakedThumbprint) leakedHadPrivate = true
      else
        others.push(
          `key ${index + 1}${typeof (raw as JWK).kid === 'string' ? ` (kid ${(raw as JWK).kid})` : ''}: ${members.join(', ')}`,
        )
    }
    if (others.length > 0) {
      throw new JwkrError(
        'ERR_JWKS_PRIVATE_MEMBERS',
        `${where} publishes private members of other keys too (${others.join('; ')}).`,
        {
          hint: 'Those keys are exposed as well: respond to them, or remove their private members by hand; jwkr will not rewrite a JWKS that keeps them.',
        },
      )
    }
    return {leakedHadPrivate}
  }

  async function branchHead(branch: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      return (await github().git.getRef({owner, repo, ref: `heads/${branch}`, request: {signal}})).data.object.sha
    } catch (error) {
      if (isCode(error, 'ERR_GITHUB_NOT_FOUND')) return undefined
      throw error
    }
  }

  async function branchStage(request: RotateRequest, run: EffectRunner, signal?: AbortSignal): Promise<string> {
    const branch = githubFileBranch(request)
    const from = await base(signal)
    const found = async () => {
      const sha = await branchHead(branch, signal)
      return sha === undefined ? undefined : {branch, sha}
    }
    await run(
      'branch',
      `POST ${api}/git/refs (${branch} from ${from})`,
      async () => {
        const existing = await found()
        if (existing) return existing
        const sha = await branchHead(from, signal)
        if (sha === undefined) {
          throw new JwkrError('ERR_GITHUB_NOT_FOUND', `${config.repo} has no branch ${from}.`, {
            hint: 'Check keySource.branch in the inventory (or leave it out for the default branch).',
          })
        }
        try {
          await github().git.createRef({owner, repo, ref: `refs/heads/${branch}`, sha, request: {signal}})
        } catch (error) {
          // Another run made it in between: use it.
          if (isCode(error, 'ERR_GITHUB_VALIDATION') && /already exists/i.test((error as Error).message))
            return (await found()) ?? {branch, sha}
          throw error
        }
        return {branch, sha}
      },
      found,
    )
    return branch
  }

  /** One commit on the branch; a stage whose change is already on the branch commits nothing. */
  async function commitStage(
    stage: 'add' | 'remove',
    branch: string,
    request: RotateRequest,
    change: JwksChange,
    message: string,
    done: (file: RepoFile) => Promise<boolean>,
    run: EffectRunner,
    signal?: AbortSignal,
  ): Promise<void> {
    const check = async () => ((await done(await readRepoFile(branch, signal))) ? {branch, commit: null} : undefined)
    await run(
      stage,
      `PUT ${api}/contents/${config.path} on ${branch} (${stage})`,
      async () => {
        for (let attempt = 1; ; attempt++) {
          const file = await readRepoFile(branch, signal)
          const text = serialize(file, await changedKeys(file, change, request.leaked.thumbprint))
          if (text === file.text) return {branch, commit: null}
          try {
            const {data} = await github().repos.createOrUpdateFileContents({
              owner,
              repo,
              path: config.path,
              branch,
              sha: file.sha,
              message: secrets.redact(message),
              content: Buffer.from(text).toString('base64'),
              request: {signal},
            })
            return {branch, commit: data.commit.sha ?? null}
          } catch (error) {
            // 409: the file changed on the branch since it was read; read it again, once.
            if (attempt < 2 && (error as JwkrError).details?.status === 409) continue
            throw error
          }
        }
      },
      check,
    )
  }

  async function findPull(
    branch: string,
    from: string,
    signal?: AbortSignal,
  ): Promise<{number: number; url: string} | undefined> {
    const {data} = await github().pulls.list({
      owner,
      repo,
      head: `${owner}:${branch}`,
      base: from,
      state: 'open',
      request: {signal},
    })
    const pull = data[0]
    return pull ? {number: pull.number, url: pull.html_url} : undefined
  }

  async function pullStage(
    branch: string,
    request: RotateRequest,
    added: KeyRef | null,
    run: EffectRunner,
    signal?: AbortSignal,
  ): Promise<{number: number | null; url: string | null}> {
    const from = await base(signal)
    return run(
      'pull-request',
      `POST ${api}/pulls (${branch} → ${from})`,
      async (): Promise<{number: number | null; url: string | null}> => {
        const existing = await findPull(branch, from, signal)
        if (existing) return existing
        try {
          const {data} = await github().pulls.create({
            owner,
            repo,
            head: branch,
            base: from,
            title: pullTitle(request),
            body: secrets.redact(pullBody(request, added)),
            request: {signal},
          })
          return {number: data.number, url: data.html_url}
        } catch (error) {
          if (!isCode(error, 'ERR_GITHUB_VALIDATION')) throw error
          const message = (error as Error).message
          if (/already exists/i.test(message)) return (await findPull(branch, from, signal)) ?? {number: null, url: null}
          // The base already holds the change (merged earlier): nothing left to propose.
          if (/No commits between/i.test(message)) return {number: null, url: null}
          throw error
        }
      },
      () => findPull(branch, from, signal),
    )
  }

  function pullTitle(request: RotateRequest): string {
    const what = request.replacement ? 'Rotate' : 'Remove'
    return `${what} leaked signing key ${request.leaked.kid ?? request.leaked.thumbprint.slice(0, 12)} (jwkr incident ${request.incidentId})`
  }

  function pullBody(request: RotateRequest, added: KeyRef | null): string {
    const rows = [
      ['Incident', request.incidentId],
      ['Issuer', `${issuer.id} (${issuer.issuer})`],
      ['Leaked key thumbprint (RFC 7638, SHA-256)', request.leaked.thumbprint],
      ['Leaked key kid', request.leaked.kid ?? '(none)'],
      ...(added
        ? [
            ['New key kid', added.kid ?? '(none)'],
            ['New key thumbprint', added.thumbprint ?? ''],
          ]
        : []),
      ['File', config.path],
    ]
    return [
      `## A signing key of \`${issuer.id}\` was exposed`,
      '',
      `jwkr opened this pull request while responding to incident ${request.incidentId}. Reason: ${request.reason}`,
      '',
      '| | |',
      '|---|---|',
      ...rows.map(([name, value]) => `| ${name} | \`${value}\` |`),
      '',
      '### What changed',
      ...(added ? [`- Added the new public key \`${added.kid ?? ''}\` (thumbprint \`${added.thumbprint ?? ''}\`).`] : []),
      `- Removed every key with thumbprint \`${request.leaked.thumbprint}\`, whatever its kid.`,
      '- Every other key and member is unchanged, in order.',
      '',
      '### After merging',
      '1. Deploy the file so that the issuer serves the new key set.',
      ...(added
        ? ['2. Make the issuer sign with the new key (its private key is held by the responder, not in this repository).']
        : []),
      `${added ? 3 : 2}. Prove containment: \`jwkr verify --key <leaked key>\`.`,
      '',
      'This description names keys by thumbprint and kid only: it holds no key material.',
    ].join('\n')
  }

  function result(
    request: RotateRequest,
    added: KeyRef[],
    stages: string[],
    pull: {number: number | null; url: string | null},
    leakedHadPrivate: boolean,
  ): ChangeResult {
    const warnings = [
      pull.number === null
        ? `Nothing left to propose in ${config.repo}: its base branch already holds the change.`
        : `The change waits for review in pull request #${pull.number} (${pull.url}): merge it and deploy the file; until then the leaked key is still published.`,
    ]
    if (added.length > 0) {
      warnings.push(
        `A JWKS file cannot switch signing: make the issuer sign with the new key (kid ${added[0]?.kid ?? '?'})${request.replacement?.privateKeyFile ? `, written to ${request.replacement.privateKeyFile}` : ''}, as soon as the pull request is deployed.`,
      )
    }
    if (leakedHadPrivate) {
      warnings.push(
        `${where} published the leaked key's private members: they stay in the repository's history; treat every copy of the repository as holding the key.`,
      )
    }
    return {
      issuerId: issuer.id,
      source: 'github-file',
      outcome: 'changed',
      added,
      removed: [{kid: request.leaked.kid, thumbprint: request.leaked.thumbprint}],
      signingSwitched: null,
      leakedStillListed: pull.number !== null,
      stages,
      warnings,
    }
  }

  /** Whether there is anything to do: the base still publishes the key, or this incident's branch exists. */
  async function prepare(request: RotateRequest, signal?: AbortSignal): Promise<{found: boolean; leakedHadPrivate: boolean}> {
    const current = await readRepoFile(await base(signal), signal)
    const thumbprints = await Promise.all(current.keys.map(thumbprintOrNull))
    const found =
      thumbprints.includes(request.leaked.thumbprint) || (await branchHead(githubFileBranch(request), signal)) !== undefined
    return {found, ...(found ? await guard(current, request.leaked.thumbprint) : {leakedHadPrivate: false})}
  }

  const has = (thumbprint: string) => async (file: RepoFile) =>
    (await Promise.all(file.keys.map(thumbprintOrNull))).includes(thumbprint)

  const readCall = (request: RotateRequest): PlannedCall => ({
    kind: 'http',
    target: `GET ${api}/contents/${config.path}`,
    description: `Read the JWKS from ${config.branch ?? 'the default branch'}, and find the branch ${githubFileBranch(request)} if an earlier run made it.`,
  })
  const branchCall = (request: RotateRequest): PlannedCall => ({
    kind: 'http',
    target: `POST ${api}/git/refs`,
    description: `Create the branch ${githubFileBranch(request)} (never pushes to ${config.branch ?? 'the default branch'}).`,
  })
  const removeCall = (request: RotateRequest): PlannedCall => ({
    kind: 'http',
    target: `PUT ${api}/contents/${config.path}`,
    description: `Commit on the branch: remove every key with thumbprint ${request.leaked.thumbprint}; other keys stay in order.`,
  })
  const pullCall: PlannedCall = {
    kind: 'message',
    target: `POST ${api}/pulls`,
    description: 'Open a pull request explaining the incident (thumbprint and kid, no key material), or find the open one.',
  }

  return {
    type: 'github-file',
    capabilities: {takesGeneratedKey: true, switchesSigning: false, removesKey: true, revokesSessions: false},
    async listKeys(signal) {
      const file = await readRepoFile(await base(signal), signal)
      const keys: SourceKey[] = []
      for (const [index, raw] of file.keys.entries()) {
        if ((raw as JWK | null)?.kty === 'oct') continue
        try {
          keys.push(await sourceKeyFromJwk(raw, {status: 'unknown', ref: {index}}, secrets))
        } catch {
          // Kept in the file untouched, and not listed.
        }
      }
      return keys
    },
    planRotate: (request) => [
      readCall(request),
      branchCall(request),
      {
        kind: 'http',
        target: `PUT ${api}/contents/${config.path}`,
        description: `Commit on the branch: append the new public key (kid ${request.replacement?.kid ?? '?'}).`,
      },
      removeCall(request),
      pullCall,
    ],
    async rotate(request, run, signal) {
      if (!request.replacement) {
        throw new JwkrError('ERR_USAGE', 'The github-file key source publishes a key that jwkr generated, and none was given.', {
          hint: 'Use jwkr key rotate, which generates the replacement, or jwkr key revoke to remove the leaked key only.',
        })
      }
      const replacement = await publicReplacement(request.replacement.publicJwk, request.replacement.kid, secrets)
      const {found, leakedHadPrivate} = await prepare(request, signal)
      if (!found) return notFoundResult(issuer.id, 'github-file', request.leaked.thumbprint, where, [])
      const added = {kid: request.replacement.kid, thumbprint: replacement.thumbprint}
      const branch = await branchStage(request, run, signal)
      await commitStage(
        'add',
        branch,
        request,
        {add: replacement},
        `Publish the replacement signing key ${added.kid}\n\njwkr incident ${request.incidentId}: the key with thumbprint ${request.leaked.thumbprint} was exposed.`,
        has(replacement.thumbprint),
        run,
        signal,
      )
      await removeStage(branch, request, run, signal)
      const pull = await pullStage(branch, request, added, run, signal)
      return result(request, [added], ['branch', 'add', 'remove', 'pull-request'], pull, leakedHadPrivate)
    },
    planRevoke: (request) => [readCall(request), branchCall(request), removeCall(request), pullCall],
    async revoke(request, run, signal) {
      const plain = {...request, replacement: undefined}
      const {found, leakedHadPrivate} = await prepare(plain, signal)
      if (!found) return notFoundResult(issuer.id, 'github-file', request.leaked.thumbprint, where, [])
      const branch = await branchStage(plain, run, signal)
      await removeStage(branch, plain, run, signal)
      const pull = await pullStage(branch, plain, null, run, signal)
      return result(plain, [], ['branch', 'remove', 'pull-request'], pull, leakedHadPrivate)
    },
  }

  async function removeStage(branch: string, request: RotateRequest, run: EffectRunner, signal?: AbortSignal): Promise<void> {
    const gone = has(request.leaked.thumbprint)
    await commitStage(
      'remove',
      branch,
      request,
      {removeThumbprint: request.leaked.thumbprint},
      `Remove the leaked signing key ${request.leaked.thumbprint}\n\njwkr incident ${request.incidentId}: ${request.reason}`,
      async (file) => !(await gone(file)),
      run,
      signal,
    )
  }
}

async function thumbprintOrNull(raw: unknown): Promise<string | null> {
  try {
    return await calculateJwkThumbprint(canonicalizeJwk(raw).thumbprintJwk, 'sha256')
  } catch {
    return null
  }
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof JwkrError && error.code === code
}
