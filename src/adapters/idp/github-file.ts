// A JWKS kept in a GitHub repository (the whole file, or a JSON config holding it under `jwks`):
// jwkr never pushes to the base branch. It makes a branch jwkr/<incident>/<issuer>, commits each
// stage through the contents API (with the blob sha GitHub requires), and opens a pull request that
// explains the incident by thumbprint and kid, never key material. Every stage first looks for its
// own earlier result (the branch, the commit's effect, the open pull request), so a resumed or
// repeated run finds them again instead of making a second branch or pull request. The file's
// content lives in github-file-document.ts, the pull request's words in github-file-pull.ts.
import type {JWK} from 'jose'

import {createGitHubClient, githubSettingsFromEnv, type GitHubClient} from '../github/client.js'
import {JwkrError} from '../../core/errors.js'
import type {InventoryIssuer} from '../../core/inventory/types.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {
  changedKeys,
  holdsThumbprint,
  parseRepoFile,
  refuseOtherPrivateMembers,
  serializeRepoFile,
  type RepoFile,
} from './github-file-document.js'
import {pullBody, pullRequestResult, pullTitle, type PullRef} from './github-file-pull.js'
import type {JwksChange} from './jwks-file.js'
import {publicReplacement, sourceKeyFromJwk} from './key-material.js'
import type {
  EffectRunner,
  KeyRef,
  IssuerKeyStore,
  IssuerKeyStoreDeps,
  PlannedCall,
  RotateRequest,
  SourceKey,
} from './issuer-key-store.js'
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

/** The branch a change for this incident and issuer is made on. */
export function githubFileBranch(request: {incidentId: string; issuerId: string}): string {
  return `jwkr/${request.incidentId}/${request.issuerId}`
}

/** One repository file and how to reach it: what every stage below works on. */
interface FileInRepo {
  issuer: InventoryIssuer
  config: GitHubFileConfig
  owner: string
  repo: string
  /** The REST root of the repository, for planned calls. */
  api: string
  /** "path in owner/name", for messages. */
  where: string
  secrets: SecretRegistry
  github: () => GitHubClient
  /** The base branch: configured, or the repository's default (asked once). */
  base: (signal?: AbortSignal) => Promise<string>
}

export function createGitHubFileKeyStore(
  issuer: InventoryIssuer,
  config: GitHubFileConfig,
  deps: IssuerKeyStoreDeps,
  options: GitHubFileOptions = {},
): IssuerKeyStore {
  const target = fileInRepo(issuer, config, deps, options)
  return {
    type: 'github-file',
    capabilities: {takesGeneratedKey: true, switchesSigning: false, removesKey: true, revokesSessions: false},
    listKeys: (signal) => listKeys(target, signal),
    planRotate: (request) => [
      readCall(target, request),
      branchCall(target, request),
      {
        kind: 'http',
        target: `PUT ${target.api}/contents/${config.path}`,
        description: `Commit on the branch: append the new public key (kid ${request.replacement?.kid ?? '?'}).`,
      },
      removeCall(target, request),
      pullCall(target),
    ],
    rotate: (request, run, signal) => rotate(target, request, run, signal),
    planRevoke: (request) => [
      readCall(target, request),
      branchCall(target, request),
      removeCall(target, request),
      pullCall(target),
    ],
    revoke: (request, run, signal) => revoke(target, request, run, signal),
  }
}

function fileInRepo(
  issuer: InventoryIssuer,
  config: GitHubFileConfig,
  deps: IssuerKeyStoreDeps,
  options: GitHubFileOptions,
): FileInRepo {
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
  let baseBranch = config.branch
  return {
    issuer,
    config,
    owner,
    repo,
    api: `${settings.baseUrl.replace(/\/+$/, '')}/repos/${config.repo}`,
    where: `${config.path} in ${config.repo}`,
    secrets,
    github,
    base: async (signal) => {
      baseBranch ??= (await github().repos.get({owner, repo, request: {signal}})).data.default_branch
      return baseBranch
    },
  }
}

async function listKeys(target: FileInRepo, signal?: AbortSignal): Promise<SourceKey[]> {
  const file = await readRepoFile(target, await target.base(signal), signal)
  const keys: SourceKey[] = []
  for (const [index, raw] of file.keys.entries()) {
    if ((raw as JWK | null)?.kty === 'oct') continue
    try {
      keys.push(await sourceKeyFromJwk(raw, {status: 'unknown', ref: {index}}, target.secrets))
    } catch {
      // Kept in the file untouched, and not listed.
    }
  }
  return keys
}

async function rotate(target: FileInRepo, request: RotateRequest, run: EffectRunner, signal?: AbortSignal) {
  if (!request.replacement) {
    throw new JwkrError('ERR_USAGE', 'The github-file key source publishes a key that jwkr generated, and none was given.', {
      hint: 'Use jwkr key rotate, which generates the replacement, or jwkr key revoke to remove the leaked key only.',
    })
  }
  const replacement = await publicReplacement(request.replacement.publicJwk, request.replacement.kid, target.secrets)
  const {found, leakedHadPrivate} = await prepare(target, request, signal)
  if (!found) return notFoundResult(target.issuer.id, 'github-file', request.leaked.thumbprint, target.where, [])
  const added = {kid: request.replacement.kid, thumbprint: replacement.thumbprint}
  const branch = await branchStage(target, request, run, signal)
  await commitStage(
    target,
    {
      stage: 'add',
      branch,
      change: {add: replacement},
      message: `Publish the replacement signing key ${added.kid}\n\njwkr incident ${request.incidentId}: the key with thumbprint ${request.leaked.thumbprint} was exposed.`,
      done: (file) => holdsThumbprint(file, replacement.thumbprint),
    },
    request,
    run,
    signal,
  )
  await removeStage(target, branch, request, run, signal)
  const pull = await pullStage(target, branch, request, added, run, signal)
  return pullRequestResult(
    resultTarget(target),
    request,
    [added],
    ['branch', 'add', 'remove', 'pull-request'],
    pull,
    leakedHadPrivate,
  )
}

async function revoke(target: FileInRepo, request: RotateRequest, run: EffectRunner, signal?: AbortSignal) {
  const plain = {...request, replacement: undefined}
  const {found, leakedHadPrivate} = await prepare(target, plain, signal)
  if (!found) return notFoundResult(target.issuer.id, 'github-file', request.leaked.thumbprint, target.where, [])
  const branch = await branchStage(target, plain, run, signal)
  await removeStage(target, branch, plain, run, signal)
  const pull = await pullStage(target, branch, plain, null, run, signal)
  return pullRequestResult(resultTarget(target), plain, [], ['branch', 'remove', 'pull-request'], pull, leakedHadPrivate)
}

function resultTarget(target: FileInRepo): {issuerId: string; repo: string; where: string} {
  return {issuerId: target.issuer.id, repo: target.config.repo, where: target.where}
}

async function readRepoFile(target: FileInRepo, ref: string, signal?: AbortSignal): Promise<RepoFile> {
  const {owner, repo, config} = target
  const {data} = await target.github().repos.getContent({owner, repo, path: config.path, ref, request: {signal}})
  if (Array.isArray(data) || data.type !== 'file' || !('content' in data) || data.encoding !== 'base64') {
    throw new JwkrError(
      'ERR_KEY_SOURCE_INVALID',
      `${target.where} is not a file GitHub returns whole (a folder, a link, or over 1 MB).`,
      {
        hint: 'Point keySource.path at the JSON file that holds the JWKS.',
      },
    )
  }
  return parseRepoFile(Buffer.from(data.content, 'base64').toString('utf8'), data.sha, target.where, target.secrets)
}

/** Whether there is anything to do: the base still publishes the key, or this incident's branch exists. */
async function prepare(
  target: FileInRepo,
  request: RotateRequest,
  signal?: AbortSignal,
): Promise<{found: boolean; leakedHadPrivate: boolean}> {
  const current = await readRepoFile(target, await target.base(signal), signal)
  const found =
    (await holdsThumbprint(current, request.leaked.thumbprint)) ||
    (await branchHead(target, githubFileBranch(request), signal)) !== undefined
  return {
    found,
    ...(found ? await refuseOtherPrivateMembers(current, request.leaked.thumbprint, target.where) : {leakedHadPrivate: false}),
  }
}

async function branchHead(target: FileInRepo, branch: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const {owner, repo} = target
    return (await target.github().git.getRef({owner, repo, ref: `heads/${branch}`, request: {signal}})).data.object.sha
  } catch (error) {
    if (isCode(error, 'ERR_GITHUB_NOT_FOUND')) return undefined
    throw error
  }
}

async function branchStage(target: FileInRepo, request: RotateRequest, run: EffectRunner, signal?: AbortSignal): Promise<string> {
  const {owner, repo} = target
  const branch = githubFileBranch(request)
  const from = await target.base(signal)
  const found = async () => {
    const sha = await branchHead(target, branch, signal)
    return sha === undefined ? undefined : {branch, sha}
  }
  await run(
    'branch',
    `POST ${target.api}/git/refs (${branch} from ${from})`,
    async () => {
      const existing = await found()
      if (existing) return existing
      const sha = await branchHead(target, from, signal)
      if (sha === undefined) {
        throw new JwkrError('ERR_GITHUB_NOT_FOUND', `${target.config.repo} has no branch ${from}.`, {
          hint: 'Check keySource.branch in the inventory (or leave it out for the default branch).',
        })
      }
      try {
        await target.github().git.createRef({owner, repo, ref: `refs/heads/${branch}`, sha, request: {signal}})
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

/** One commit on the branch: what it changes, and how to tell it is already there. */
interface Commit {
  stage: 'add' | 'remove'
  branch: string
  change: JwksChange
  message: string
  done: (file: RepoFile) => Promise<boolean>
}

/** One commit on the branch; a stage whose change is already on the branch commits nothing. */
async function commitStage(
  target: FileInRepo,
  commit: Commit,
  request: RotateRequest,
  run: EffectRunner,
  signal?: AbortSignal,
): Promise<void> {
  const {stage, branch} = commit
  const check = async () => ((await commit.done(await readRepoFile(target, branch, signal))) ? {branch, commit: null} : undefined)
  await run(
    stage,
    `PUT ${target.api}/contents/${target.config.path} on ${branch} (${stage})`,
    () => putFile(target, commit, request, signal),
    check,
  )
}

/** Reads the file on the branch, changes it and writes it back; a 409 (changed meanwhile) reads it again, once. */
async function putFile(
  target: FileInRepo,
  commit: Commit,
  request: RotateRequest,
  signal?: AbortSignal,
): Promise<{branch: string; commit: string | null}> {
  const {owner, repo, config} = target
  const {branch} = commit
  for (let attempt = 1; ; attempt++) {
    const file = await readRepoFile(target, branch, signal)
    const text = serializeRepoFile(file, await changedKeys(file, commit.change, request.leaked.thumbprint))
    if (text === file.text) return {branch, commit: null}
    try {
      const {data} = await target.github().repos.createOrUpdateFileContents({
        owner,
        repo,
        path: config.path,
        branch,
        sha: file.sha,
        message: target.secrets.redact(commit.message),
        content: Buffer.from(text).toString('base64'),
        request: {signal},
      })
      return {branch, commit: data.commit.sha ?? null}
    } catch (error) {
      if (attempt < 2 && (error as JwkrError).details?.status === 409) continue
      throw error
    }
  }
}

async function removeStage(
  target: FileInRepo,
  branch: string,
  request: RotateRequest,
  run: EffectRunner,
  signal?: AbortSignal,
): Promise<void> {
  const commit: Commit = {
    stage: 'remove',
    branch,
    change: {removeThumbprint: request.leaked.thumbprint},
    message: `Remove the leaked signing key ${request.leaked.thumbprint}\n\njwkr incident ${request.incidentId}: ${request.reason}`,
    done: async (file) => !(await holdsThumbprint(file, request.leaked.thumbprint)),
  }
  await commitStage(target, commit, request, run, signal)
}

async function findPull(target: FileInRepo, branch: string, from: string, signal?: AbortSignal): Promise<PullRef | undefined> {
  const {owner, repo} = target
  const {data} = await target
    .github()
    .pulls.list({owner, repo, head: `${owner}:${branch}`, base: from, state: 'open', request: {signal}})
  const pull = data[0]
  return pull ? {number: pull.number, url: pull.html_url} : undefined
}

async function pullStage(
  target: FileInRepo,
  branch: string,
  request: RotateRequest,
  added: KeyRef | null,
  run: EffectRunner,
  signal?: AbortSignal,
): Promise<PullRef> {
  const {owner, repo} = target
  const from = await target.base(signal)
  return run(
    'pull-request',
    `POST ${target.api}/pulls (${branch} → ${from})`,
    async (): Promise<PullRef> => {
      const existing = await findPull(target, branch, from, signal)
      if (existing) return existing
      try {
        const {data} = await target.github().pulls.create({
          owner,
          repo,
          head: branch,
          base: from,
          title: pullTitle(request),
          body: target.secrets.redact(pullBody(target.issuer, target.config.path, request, added)),
          request: {signal},
        })
        return {number: data.number, url: data.html_url}
      } catch (error) {
        if (!isCode(error, 'ERR_GITHUB_VALIDATION')) throw error
        const message = (error as Error).message
        if (/already exists/i.test(message)) return (await findPull(target, branch, from, signal)) ?? {number: null, url: null}
        // The base already holds the change (merged earlier): nothing left to propose.
        if (/No commits between/i.test(message)) return {number: null, url: null}
        throw error
      }
    },
    () => findPull(target, branch, from, signal),
  )
}

function readCall(target: FileInRepo, request: RotateRequest): PlannedCall {
  return {
    kind: 'http',
    target: `GET ${target.api}/contents/${target.config.path}`,
    description: `Read the JWKS from ${target.config.branch ?? 'the default branch'}, and find the branch ${githubFileBranch(request)} if an earlier run made it.`,
  }
}

function branchCall(target: FileInRepo, request: RotateRequest): PlannedCall {
  return {
    kind: 'http',
    target: `POST ${target.api}/git/refs`,
    description: `Create the branch ${githubFileBranch(request)} (never pushes to ${target.config.branch ?? 'the default branch'}).`,
  }
}

function removeCall(target: FileInRepo, request: RotateRequest): PlannedCall {
  return {
    kind: 'http',
    target: `PUT ${target.api}/contents/${target.config.path}`,
    description: `Commit on the branch: remove every key with thumbprint ${request.leaked.thumbprint}; other keys stay in order.`,
  }
}

function pullCall(target: FileInRepo): PlannedCall {
  return {
    kind: 'message',
    target: `POST ${target.api}/pulls`,
    description: 'Open a pull request explaining the incident (thumbprint and kid, no key material), or find the open one.',
  }
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof JwkrError && error.code === code
}
