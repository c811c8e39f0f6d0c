import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {CodeSearchResult} from '../../src/services/search.js'
import {exitCodeOf, run} from '../helpers/run.js'
import {server} from '../helpers/msw.js'
import {createGitHubState, githubHandlers, type GitHubMockState} from '../mocks/github.js'

const TOKEN = 'ghp_commandtest333333333333333333333333333'
const ORG = 'example-org'
const KID = 'prod-2024-signing'

let state: GitHubMockState
let saved: {token: string | undefined; url: string | undefined}
let jwk: Record<string, string>
let keyFile: string

beforeEach(() => {
  saved = {token: process.env.GITHUB_TOKEN, url: process.env.GITHUB_API_URL}
  process.env.GITHUB_TOKEN = TOKEN
  delete process.env.GITHUB_API_URL
  state = createGitHubState({tokens: [TOKEN]})
  server.use(...githubHandlers(state))
  // A leaked private RSA JWK on disk, and its public half committed in two repositories
  const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
  jwk = {...(privateKey.export({format: 'jwk'}) as Record<string, string>), kid: KID}
  keyFile = join(mkdtempSync(join(tmpdir(), 'jwkr-code-search-')), 'leaked.json')
  writeFileSync(keyFile, JSON.stringify(jwk))
  const publicJwks = JSON.stringify({keys: [{kty: 'RSA', kid: KID, n: jwk.n, e: jwk.e}]}, null, 2)
  state.files = [
    {repo: `${ORG}/billing`, path: 'config/jwks.json', content: publicJwks},
    {repo: `${ORG}/gateway`, path: 'src/auth.ts', content: `const signingKid = '${KID}'`},
    {repo: `${ORG}/gateway`, path: 'README.md', content: 'Nothing to see here.'},
  ]
})

afterEach(() => {
  for (const [name, value] of [
    ['GITHUB_TOKEN', saved.token],
    ['GITHUB_API_URL', saved.url],
  ] as const) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
})

const privateValues = () => ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((member) => jwk[member] as string)

describe('jwkr code search', () => {
  it('--json: the files that hold the key, what was searched, and nothing private anywhere', async () => {
    // When the organisation is searched with --json
    const {stdout, stderr, error} = await run(['code', 'search', '--key', keyFile, '--org', ORG, '--json'])
    // Then the document lists both files with the kinds found in each (the JWKS holds the kid and
    // the modulus, and PEM lines whose bytes happen to sit in the modulus unchanged)
    expect(error).toBeUndefined()
    const result = JSON.parse(stdout) as CodeSearchResult
    expect(result.org).toBe(ORG)
    expect(result.incomplete).toBe(false)
    expect(result.results.map((hit) => [hit.repo, hit.path, hit.matches])).toEqual([
      [`${ORG}/billing`, 'config/jwks.json', expect.arrayContaining(['kid', 'modulus'])],
      [`${ORG}/gateway`, 'src/auth.ts', ['kid']],
    ])
    expect(result.results[0]?.url).toMatch(
      /^https:\/\/github\.com\/example-org\/billing\/blob\/[0-9a-f]{40}\/config\/jwks\.json$/,
    )
    // And every term says whether it was searched and how many files matched
    expect(result.terms[0]).toMatchObject({kind: 'kid', value: KID, searched: true, results: 2, query: `"${KID}" org:${ORG}`})
    expect(result.terms.every((term) => typeof term.searched === 'boolean' && typeof term.results === 'number')).toBe(true)
    // And the queries carried only public needles, with the token only in the Authorization header
    const sent = JSON.stringify(state.requests.map((r) => [r.url, r.query, r.body]))
    const output = stdout + stderr
    for (const value of privateValues()) {
      expect(sent).not.toContain(value)
      expect(output).not.toContain(value)
    }
    expect(state.requests.every((r) => r.headers.authorization === `token ${TOKEN}`)).toBe(true)
    expect(sent + output).not.toContain(TOKEN)
  })

  it('prints a table of repository, path, matched kinds and URL, with progress on stderr', async () => {
    // When the organisation is searched for the kid and thumbprint only
    const {stdout, stderr, error} = await run([
      'code',
      'search',
      '--key',
      keyFile,
      '--org',
      ORG,
      '--kind',
      'kid',
      '--kind',
      'thumbprint',
    ])
    // Then the table names both files and the summary says what was searched
    expect(error).toBeUndefined()
    expect(stdout).toMatch(
      /example-org\/billing\s*│\s*config\/jwks\.json\s*│\s*kid\s*│\s*https:\/\/github\.com\/example-org\/billing\/blob\//,
    )
    expect(stdout).toMatch(/example-org\/gateway\s*│\s*src\/auth\.ts\s*│\s*kid\s*│/)
    expect(stdout).toContain('2 files in 2 repositories')
    expect(stdout).toMatch(/Searched GitHub organisation example-org: \d+ quer(y|ies) for \d+ of \d+ terms \(kid, thumbprint\)/)
    expect(stdout).not.toContain('README.md')
    expect(stderr).toContain('[1/')
    // And only kid and thumbprint queries were sent
    expect(state.requests.every((r) => /^"[^"]+" org:example-org$/.test(r.query.q ?? ''))).toBe(true)
    expect(state.requests.map((r) => r.query.q)).toContain(`"${KID}" org:${ORG}`)
  })

  it("says when GitHub's 1,000-result cap was hit", async () => {
    // Given 1,100 files that mention the kid
    state.files = Array.from({length: 1100}, (_, i) => ({
      repo: `${ORG}/monorepo`,
      path: `svc/${i}/auth.ts`,
      content: `kid = "${KID}"`,
    }))
    // When only the kid is searched
    const {stdout, error} = await run(['code', 'search', '--key', keyFile, '--org', ORG, '--kind', 'kid'])
    // Then the cap is reported with what to do
    expect(error).toBeUndefined()
    expect(stdout).toContain('matched 1100 files; GitHub returns only the first 1000')
    expect(stdout).toContain('1000 files in 1 repository hold')
  })

  it('honours GITHUB_API_URL (GitHub Enterprise Server)', async () => {
    // Given GitHub Enterprise at github.example.test
    process.env.GITHUB_API_URL = 'https://github.example.test/api/v3'
    const ghe = createGitHubState({tokens: [TOKEN], baseUrl: 'https://github.example.test/api/v3', files: state.files})
    server.use(...githubHandlers(ghe))
    // When the command runs
    const {stdout, error} = await run(['code', 'search', '--key', keyFile, '--org', ORG, '--kind', 'kid', '--json'])
    // Then every request went to the Enterprise API and none to github.com
    expect(error).toBeUndefined()
    expect(ghe.requests.length).toBeGreaterThan(0)
    expect(state.requests).toHaveLength(0)
    expect((JSON.parse(stdout) as CodeSearchResult).results[0]?.url).toMatch(/^https:\/\/github\.example\.test\//)
  })

  it('a refused token: exit 1, a clear message and hint, and the token never printed (even with --debug)', async () => {
    // Given a token GitHub does not accept
    const wrong = 'ghp_revokedtoken4444444444444444444444444'
    process.env.GITHUB_TOKEN = wrong
    // When the command runs, with and without --json and --debug
    const human = await run(['code', 'search', '--key', keyFile, '--org', ORG, '--debug'])
    const json = await run(['code', 'search', '--key', keyFile, '--org', ORG, '--json'])
    // Then it fails with exit 1 and says the token was refused and what to do
    expect(exitCodeOf(human.error)).toBe(1)
    expect(human.stderr).toContain('GitHub refused the token (401 Bad credentials)')
    expect(human.stderr).toContain('export GITHUB_TOKEN=')
    expect(JSON.parse(json.stdout).error).toMatchObject({code: 'ERR_GITHUB_AUTH', exitCode: 1})
    // And neither the token nor a private value appears anywhere
    for (const output of [human.stdout + human.stderr, json.stdout + json.stderr]) {
      expect(output).not.toContain(wrong)
      for (const value of privateValues()) expect(output).not.toContain(value)
    }
  })

  it('without GITHUB_TOKEN: says how to set it, and asks GitHub nothing', async () => {
    // Given no token in the environment
    delete process.env.GITHUB_TOKEN
    // When the command runs
    const {stderr, error} = await run(['code', 'search', '--key', keyFile, '--org', ORG])
    // Then it fails with the hint and made no request
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain('GITHUB_TOKEN is not set')
    expect(stderr).toContain('export GITHUB_TOKEN=')
    expect(state.requests).toHaveLength(0)
  })

  it('a 422 from GitHub is reported with its message', async () => {
    // Given GitHub refuses every search as invalid (as it does for a query it cannot parse)
    const {http, HttpResponse} = await import('msw')
    server.use(
      http.get(`${state.baseUrl}/search/code`, () =>
        HttpResponse.json(
          {
            message: 'Validation Failed',
            errors: [{message: 'The search contains only ignored characters.', resource: 'Search', field: 'q', code: 'invalid'}],
          },
          {status: 422},
        ),
      ),
    )
    // When the command runs
    const {stderr, error} = await run(['code', 'search', '--key', keyFile, '--org', ORG, '--kind', 'kid'])
    // Then the API's own message is in the error
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain('GitHub refused GET /search/code as invalid: The search contains only ignored characters.')
  })
})
