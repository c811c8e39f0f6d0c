// The github-file key source against the GitHub double (contents, git refs and pulls as the REST API
// answers them): a branch per incident and issuer, one commit per stage with the blob sha, a pull
// request that explains the incident without key material, the base branch never touched, and a
// resumed or repeated run that finds its branch and pull request again instead of making new ones.
import {http} from 'msw'
import {beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {createGitHubClient} from '../../../src/adapters/github/client.js'
import {createGitHubFileKeyStore, githubFileBranch, type GitHubFileConfig} from '../../../src/adapters/idp/github-file.js'
import type {IssuerKeyStore, RotateRequest} from '../../../src/adapters/idp/issuer-key-store.js'
import type {InventoryIssuer} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {privateNeedles} from '../../core/key/samples.js'
import {server} from '../../helpers/msw.js'
import {
  createGitHubRepo,
  createGitHubState,
  fileAt,
  githubHandlers,
  type GitHubMockRepo,
  type GitHubMockState,
} from '../../mocks/github.js'
import {makeKey, type TestKey} from './helpers/keys.js'
import {LedgerRunner, SimulatedCrash} from '../../helpers/ledger-runner.js'
import {errorTexts, expectNoNeedles, failureOf} from './helpers/secrecy.js'

const TOKEN = 'ghp_testtoken0000000000000000000000000000'
const PATH = 'deploy/jwks/auth-main.json'
const issuer: InventoryIssuer = {
  id: 'auth-main',
  issuer: 'https://auth.example.com',
  keySource: {type: 'github-file', repo: 'acme/auth-config', path: PATH},
}

let leaked: TestKey
let replacement: TestKey
let other: TestKey
let state: GitHubMockState
let repo: GitHubMockRepo
let secrets: SecretRegistry

const entry = (key: TestKey, kid: string, extra: Record<string, unknown> = {}) => ({
  kid,
  use: 'sig',
  alg: 'RS256',
  ...key.publicJwk,
  ...extra,
})

function source(
  config: Partial<GitHubFileConfig> = {},
  env: Record<string, string | undefined> = {GITHUB_TOKEN: TOKEN},
): IssuerKeyStore {
  const client = createGitHubClient({
    token: env.GITHUB_TOKEN,
    secrets,
    retries: 0,
    throttle: {writeIntervalMs: 0, retryAfterBaseMs: 1},
  })
  return createGitHubFileKeyStore(issuer, {repo: 'acme/auth-config', path: PATH, ...config}, {env, secrets}, {client})
}

function request(): RotateRequest {
  return {
    issuerId: 'auth-main',
    incidentId: '2026-11-29-abc123',
    leaked: {thumbprint: leaked.thumbprint, kid: 'leaked-1'},
    replacement: {publicJwk: {...replacement.publicJwk, alg: 'RS256', use: 'sig'}, kid: replacement.thumbprint},
    reason: 'key pasted into a public gist',
  }
}

const BRANCH = githubFileBranch({incidentId: '2026-11-29-abc123', issuerId: 'auth-main'})
const lines = () => state.requests.map((item) => `${item.method} ${decodeURIComponent(item.path.split('?')[0] ?? '')}`)
const count = (line: string) => lines().filter((item) => item === line).length
const PUT = `PUT /repos/acme/auth-config/contents/${PATH}`
const PULL = 'POST /repos/acme/auth-config/pulls'
const REF = 'POST /repos/acme/auth-config/git/refs'
const keysAt = (branch: string) => (JSON.parse(fileAt(repo, branch, PATH) ?? '{}') as {keys: Array<Record<string, unknown>>}).keys

function seed(document: unknown): string {
  const text = `${JSON.stringify(document, null, 2)}\n`
  repo = createGitHubRepo('acme/auth-config', {[PATH]: text, 'README.md': '# auth config\n'})
  state.repos.push(repo)
  return text
}

beforeAll(async () => {
  ;[leaked, replacement, other] = await Promise.all([makeKey('RSA'), makeKey('RSA'), makeKey('EC')])
})

beforeEach(() => {
  secrets = new SecretRegistry()
  state = createGitHubState()
  server.use(...githubHandlers(state))
})

describe('rotating a key kept in a GitHub repository', () => {
  it('commits the change on its own branch and opens one pull request, leaving the base branch alone', async () => {
    // Given a repository whose JWKS publishes another key and the leaked one
    const original = seed({keys: [entry(other, 'other-1', {alg: 'ES256'}), entry(leaked, 'leaked-1')]})
    const runner = new LedgerRunner()
    // When the key is rotated
    const result = await source().rotate(request(), runner.run)
    // Then the base branch is untouched and the change sits on jwkr/<incident>/<issuer>
    expect(fileAt(repo, 'main', PATH)).toBe(original)
    expect(keysAt(BRANCH).map((key) => key.kid)).toEqual(['other-1', replacement.thumbprint])
    expect(keysAt(BRANCH)[0]).toEqual(entry(other, 'other-1', {alg: 'ES256'}))
    expect(fileAt(repo, BRANCH, PATH)?.endsWith('}\n')).toBe(true)
    // And it took two commits (add, then remove) each sent with the blob sha, and one pull request into main
    const puts = state.requests.filter((item) => `${item.method} ${decodeURIComponent(item.path)}` === PUT)
    expect(puts).toHaveLength(2)
    for (const put of puts)
      expect(JSON.parse(put.body)).toMatchObject({branch: BRANCH, sha: expect.stringMatching(/^[0-9a-f]{40}$/)})
    expect(repo.pulls).toEqual([expect.objectContaining({number: 1, head: BRANCH, base: 'main', state: 'open'})])
    // And every request carried the token
    for (const item of state.requests) expect(item.headers.authorization).toBe(`token ${TOKEN}`)
    // And the pull request explains the incident by thumbprint and kid
    const body = repo.pulls[0]?.body ?? ''
    expect(body).toContain(leaked.thumbprint)
    expect(body).toContain('leaked-1')
    expect(body).toContain(replacement.thumbprint)
    expect(body).toContain('2026-11-29-abc123')
    // And the result says the change waits for review, with the stages it ran
    expect(result).toMatchObject({
      source: 'github-file',
      outcome: 'changed',
      added: [{kid: replacement.thumbprint, thumbprint: replacement.thumbprint}],
      removed: [{kid: 'leaked-1', thumbprint: leaked.thumbprint}],
      leakedStillListed: true,
      signingSwitched: null,
      stages: ['branch', 'add', 'remove', 'pull-request'],
    })
    expect(result.warnings[0]).toContain('pull request #1')
    expect(runner.applied()).toEqual(['branch', 'add', 'remove', 'pull-request'])
  })

  it('changes a JWKS held under "jwks" in a config file, keeping every other member', async () => {
    // Given a config file with the JWKS under "jwks" and a configured base branch
    seed({
      service: 'auth',
      ttl: 300,
      jwks: {keys: [entry(leaked, 'leaked-1'), entry(other, 'other-1')]},
      issuer: 'https://auth.example.com',
    })
    repo.branches.release = repo.branches.main as string
    // When the key is rotated into that branch
    await source({branch: 'release'}).rotate(request(), new LedgerRunner().run)
    // Then the config keeps its members in order and only the keys changed
    const document = JSON.parse(fileAt(repo, BRANCH, PATH) ?? '{}') as Record<string, unknown>
    expect(Object.keys(document)).toEqual(['service', 'ttl', 'jwks', 'issuer'])
    expect((document.jwks as {keys: Array<{kid: string}>}).keys.map((key) => key.kid)).toEqual([
      'other-1',
      replacement.thumbprint,
    ])
    expect(repo.pulls[0]?.base).toBe('release')
    // And no default-branch lookup was needed
    expect(count('GET /repos/acme/auth-config')).toBe(0)
  })

  it('never makes a second branch or pull request when resumed after a crash, or run again', async () => {
    // Given a rotation that crashes right after GitHub opened the pull request, before it was recorded
    seed({keys: [entry(leaked, 'leaked-1'), entry(other, 'other-1')]})
    const runner = new LedgerRunner()
    runner.crashAfter = 'pull-request'
    await expect(source().rotate(request(), runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    // When the same incident resumes
    const resumed = await source().rotate(request(), runner.run)
    // Then the pull request is found again, not opened twice
    expect(runner.events.filter((item) => item.stage === 'pull-request').map((item) => item.event)).toEqual([
      'applied',
      'recovered',
    ])
    expect(resumed.warnings[0]).toContain('pull request #1')
    // And a whole new run for the same incident (a fresh runner) also finds the branch and pull request
    await source().rotate(request(), new LedgerRunner().run)
    expect(count(REF)).toBe(1)
    expect(count(PULL)).toBe(1)
    expect(count(PUT)).toBe(2)
    expect(repo.pulls).toHaveLength(1)
  })

  it('does not commit the new key twice when it crashed after the commit', async () => {
    // Given a rotation that crashed after committing the new key
    seed({keys: [entry(leaked, 'leaked-1')]})
    const runner = new LedgerRunner()
    runner.crashAfter = 'add'
    await expect(source().rotate(request(), runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    // When it resumes
    await source().rotate(request(), runner.run)
    // Then the add stage is recognised on the branch and only the removal is committed
    expect(runner.events.filter((item) => item.stage === 'add').map((item) => item.event)).toEqual(['applied', 'recovered'])
    expect(count(PUT)).toBe(2)
    expect(keysAt(BRANCH).map((key) => key.kid)).toEqual([replacement.thumbprint])
  })

  it('reads the file again when someone pushed to the branch in between (409), and keeps their change', async () => {
    // Given a colleague who pushes to the branch just before jwkr's first commit
    seed({keys: [entry(leaked, 'leaked-1')]})
    server.use(
      http.put(
        `${state.baseUrl}/repos/acme/auth-config/contents/*`,
        () => {
          const head = repo.branches[BRANCH] as string
          const files = {
            ...repo.commits[head]?.files,
            [PATH]: `${JSON.stringify({keys: [entry(leaked, 'leaked-1'), entry(other, 'colleague')]}, null, 2)}\n`,
          }
          repo.commits.concurrent = {parent: head, message: 'colleague', files}
          repo.branches[BRANCH] = 'concurrent'
          return undefined
        },
        {once: true},
      ),
    )
    // When the key is rotated
    await source().rotate(request(), new LedgerRunner().run)
    // Then the stale write got GitHub's 409, and the retry kept the colleague's key
    expect(count(PUT)).toBe(3)
    expect(keysAt(BRANCH).map((key) => key.kid)).toEqual(['colleague', replacement.thumbprint])
  })

  it('strips the leaked key’s private members it finds published, and sends none of them anywhere', async () => {
    // Given a repository that publishes the leaked key with its private members
    seed({keys: [{...leaked.privateJwk, kid: 'leaked-1', use: 'sig'}, entry(other, 'other-1')]})
    // When the key is rotated
    const result = await source().rotate(request(), new LedgerRunner().run)
    // Then no commit, pull request or result carries a private value, and the result warns about the history
    const needles = privateNeedles(leaked.privateJwk)
    const sent = state.requests.map((item) => {
      const body = item.body === '' ? {} : (JSON.parse(item.body) as Record<string, unknown>)
      return [item.body, typeof body.content === 'string' ? Buffer.from(body.content, 'base64').toString('utf8') : ''].join('\n')
    })
    expectNoNeedles([...sent, JSON.stringify(result), JSON.stringify(repo.pulls)], needles)
    expect(result.warnings.join('\n')).toContain("repository's history")
  })

  it('revokes by committing the removal only', async () => {
    // Given the leaked key in the repository
    seed({keys: [entry(other, 'other-1'), entry(leaked, 'leaked-1')]})
    // When it is revoked
    const result = await source().revoke({...request(), replacement: undefined}, new LedgerRunner().run)
    // Then one commit removes it and the pull request says so, adding nothing
    expect(count(PUT)).toBe(1)
    expect(keysAt(BRANCH).map((key) => key.kid)).toEqual(['other-1'])
    expect(result).toMatchObject({added: [], stages: ['branch', 'remove', 'pull-request']})
    expect(repo.pulls[0]?.title).toContain('Remove leaked signing key')
  })
})

describe('what the github-file source refuses', () => {
  it('changes nothing when the key is not in the file', async () => {
    // Given a repository without the leaked key
    seed({keys: [entry(other, 'other-1')]})
    // When a rotation is asked for, Then it reports not-found and writes nothing
    const result = await source().rotate(request(), new LedgerRunner().run)
    expect(result.outcome).toBe('not-found')
    expect(lines().filter((line) => !line.startsWith('GET'))).toEqual([])
  })

  it('refuses to rewrite a file that publishes another key’s private members', async () => {
    // Given a JWKS leaking another key's private half too
    seed({keys: [entry(leaked, 'leaked-1'), {...other.privateJwk, kid: 'other-1'}]})
    // When a rotation is asked for, Then it is refused before any write, naming the key but no value
    const error = await failureOf(() => source().rotate(request(), new LedgerRunner().run))
    expect(error.code).toBe('ERR_JWKS_PRIVATE_MEMBERS')
    expect(error.message).toContain('other-1')
    expectNoNeedles(errorTexts(error), privateNeedles(other.privateJwk))
    expect(lines().filter((line) => !line.startsWith('GET'))).toEqual([])
  })

  it('names a missing base branch, and a refused token, in GitHub terms', async () => {
    // Given a repository without the configured branch
    seed({keys: [entry(leaked, 'leaked-1')]})
    // When rotating into it, Then GitHub's 404 comes back translated
    expect((await failureOf(() => source({branch: 'release'}).rotate(request(), new LedgerRunner().run))).code).toBe(
      'ERR_GITHUB_NOT_FOUND',
    )
    // And a token GitHub does not know is reported as such, without the token
    const error = await failureOf(() => source({}, {GITHUB_TOKEN: 'ghp_revoked'}).listKeys())
    expect(error.code).toBe('ERR_GITHUB_AUTH')
    expect(errorTexts(error).join('\n')).not.toContain('ghp_revoked')
  })

  it('plans without a token and without a request, and needs the token only to act', async () => {
    // Given no GITHUB_TOKEN and no client
    seed({keys: [entry(leaked, 'leaked-1')]})
    const bare = createGitHubFileKeyStore(issuer, {repo: 'acme/auth-config', path: PATH}, {env: {}, secrets})
    // When the rotation is planned, Then every call is listed and none is made
    const plan = bare.planRotate(request())
    expect(plan.map((call) => call.target)).toEqual([
      `GET https://api.github.com/repos/acme/auth-config/contents/${PATH}`,
      'POST https://api.github.com/repos/acme/auth-config/git/refs',
      `PUT https://api.github.com/repos/acme/auth-config/contents/${PATH}`,
      `PUT https://api.github.com/repos/acme/auth-config/contents/${PATH}`,
      'POST https://api.github.com/repos/acme/auth-config/pulls',
    ])
    expect(plan[1]?.description).toContain(BRANCH)
    expect(state.requests).toEqual([])
    // And acting says which variable is missing
    expect((await failureOf(() => bare.rotate(request(), new LedgerRunner().run))).code).toBe('ERR_GITHUB_TOKEN_MISSING')
  })
})

describe('the GitHub contents double', () => {
  it('answers like GitHub: an update needs the blob sha (422), a stale sha conflicts (409), a missing branch is 404', async () => {
    // Given a repository and a client without retries
    seed({keys: []})
    const client = createGitHubClient({token: TOKEN, secrets, retries: 0, throttle: {writeIntervalMs: 0}})
    const put = (extra: Record<string, string>) =>
      client.repos.createOrUpdateFileContents({
        owner: 'acme',
        repo: 'auth-config',
        path: PATH,
        message: 'm',
        content: 'e30K',
        ...extra,
      })
    // When updating without a sha, with a stale one, and on a branch that does not exist
    // Then GitHub's answers come back translated
    await expect(put({})).rejects.toMatchObject({
      code: 'ERR_GITHUB_VALIDATION',
      message: expect.stringContaining('"sha" wasn\'t supplied'),
    })
    await expect(put({sha: '0'.repeat(40)})).rejects.toMatchObject({details: {status: 409}})
    await expect(put({sha: '0'.repeat(40), branch: 'nope'})).rejects.toMatchObject({code: 'ERR_GITHUB_NOT_FOUND'})
  })
})
