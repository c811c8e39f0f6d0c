import {generateKeyPairSync} from 'node:crypto'

import {beforeEach, describe, expect, it} from 'vitest'

import {createGitHubClient, type GitHubClientOptions} from '../../src/adapters/github/client.js'
import {searchCode, type SearchTerm} from '../../src/services/search.js'
import {JwkrError} from '../../src/core/errors.js'
import {loadKeys} from '../../src/core/key/load-keys.js'
import {keyNeedles} from '../../src/core/key/needles.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {server} from '../helpers/msw.js'
import {createGitHubState, githubHandlers, type GitHubMockFile, type GitHubMockState} from '../mocks/github.js'

const TOKEN = 'ghp_searchtest22222222222222222222222222222'
const ORG = 'example-org'
const KID = 'prod-2024-signing'
const THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'

let state: GitHubMockState
let secrets: SecretRegistry

beforeEach(() => {
  state = createGitHubState({tokens: [TOKEN]})
  secrets = new SecretRegistry()
  server.use(...githubHandlers(state))
})

function client(options: Partial<GitHubClientOptions> = {}) {
  return createGitHubClient({
    token: TOKEN,
    baseUrl: state.baseUrl,
    retries: 0,
    throttle: {retryAfterBaseMs: 1},
    secrets,
    ...options,
  })
}

function files(count: number, content: string, repo = `${ORG}/service`): GitHubMockFile[] {
  return Array.from({length: count}, (_, i) => ({repo, path: `config/${String(i).padStart(4, '0')}.json`, content}))
}

const searches = () => state.requests.filter((r) => r.path === '/search/code')

describe('searchCode', () => {
  it('sends one exact-string query per term, scoped to the organisation, 100 per page', async () => {
    // Given a kid and a thumbprint to look for
    const terms: SearchTerm[] = [
      {kind: 'kid', value: KID},
      {kind: 'thumbprint', value: THUMBPRINT},
    ]
    // When the organisation is searched
    await searchCode({client: client(), org: ORG, terms, secrets})
    // Then GitHub got each value in double quotes with org:, nothing else
    expect(searches().map((r) => r.query)).toEqual([
      {q: `"${KID}" org:${ORG}`, per_page: '100'},
      {q: `"${THUMBPRINT}" org:${ORG}`, per_page: '100'},
    ])
  })

  it('returns repo, path, URL and sha of each file, merged by file with the kinds that matched', async () => {
    // Given one file holding both the kid and the thumbprint, and one holding only the kid
    state.files = [
      {repo: `${ORG}/billing`, path: 'config/jwks.json', content: `{"kid":"${KID}","x5t":"${THUMBPRINT}"}`},
      {repo: `${ORG}/api`, path: 'src/keys.ts', content: `const kid = '${KID}'`},
      {repo: 'other-org/api', path: 'src/keys.ts', content: `const kid = '${KID}'`},
    ]
    // When both are searched
    const result = await searchCode({
      client: client(),
      org: ORG,
      terms: [
        {kind: 'kid', value: KID},
        {kind: 'thumbprint', value: THUMBPRINT},
      ],
      secrets,
    })
    // Then each file is listed once, with every kind found in it, and another org's file is not
    expect(result.results).toEqual([
      {
        repo: `${ORG}/api`,
        path: 'src/keys.ts',
        url: expect.stringMatching(/^https:\/\/github\.com\/example-org\/api\/blob\/[0-9a-f]{40}\/src\/keys\.ts$/),
        sha: expect.stringMatching(/^[0-9a-f]{40}$/),
        matches: ['kid'],
      },
      {
        repo: `${ORG}/billing`,
        path: 'config/jwks.json',
        url: expect.any(String),
        sha: expect.any(String),
        matches: ['kid', 'thumbprint'],
      },
    ])
    expect(result.terms.map((t) => [t.kind, t.searched, t.results])).toEqual([
      ['kid', true, 2],
      ['thumbprint', true, 1],
    ])
    expect(result.incomplete).toBe(false)
  })

  it('follows the Link header across pages until every result is fetched', async () => {
    // Given 250 files holding the kid
    state.files = files(250, `kid: ${KID}`)
    const pages: number[] = []
    // When it is searched
    const result = await searchCode({
      client: client(),
      org: ORG,
      terms: [{kind: 'kid', value: KID}],
      secrets,
      onProgress: (p) => pages.push(p.page),
    })
    // Then three pages were asked for, in order, and all 250 files came back
    expect(searches().map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3'])
    expect(pages).toEqual([1, 2, 3])
    expect(result.results).toHaveLength(250)
    expect(result.terms[0]).toMatchObject({results: 250, fetched: 250, limitedBy: null})
  })

  it("stops at GitHub's 1,000-result cap and reports it", async () => {
    // Given 1,200 files holding the kid
    state.files = files(1200, `kid: ${KID}`)
    // When it is searched
    const result = await searchCode({client: client(), org: ORG, terms: [{kind: 'kid', value: KID}], secrets})
    // Then ten pages of 100 were fetched, never an eleventh, and the cap is reported
    expect(searches()).toHaveLength(10)
    expect(result.results).toHaveLength(1000)
    expect(result.terms[0]).toMatchObject({results: 1200, fetched: 1000, limitedBy: 'api-cap'})
    expect(result.incomplete).toBe(true)
  })

  it('stops at --max-results and says so', async () => {
    // Given 250 matching files and a limit of 150
    state.files = files(250, `kid: ${KID}`)
    // When it is searched
    const result = await searchCode({client: client(), org: ORG, terms: [{kind: 'kid', value: KID}], secrets, maxResults: 150})
    // Then two pages were enough and the report says why the rest is missing
    expect(searches()).toHaveLength(2)
    expect(result.results).toHaveLength(150)
    expect(result.terms[0]).toMatchObject({results: 250, fetched: 150, limitedBy: 'max-results'})
  })

  it("passes on GitHub's incomplete_results", async () => {
    // Given GitHub's search times out and answers with what it found
    state.files = files(3, `kid: ${KID}`)
    state.incompleteResults = true
    // When it is searched
    const result = await searchCode({client: client(), org: ORG, terms: [{kind: 'kid', value: KID}], secrets})
    // Then the term and the result say the list may be incomplete
    expect(result.terms[0]?.incompleteResults).toBe(true)
    expect(result.incomplete).toBe(true)
  })

  it('skips terms GitHub cannot search usefully and sends one query for values it cannot tell apart', async () => {
    // Given a short kid, an over-long value, a punctuation-only value and a hex thumbprint in both cases
    const hex = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90'
    const terms: SearchTerm[] = [
      {kind: 'kid', value: 'k1'},
      {kind: 'modulus', value: 'A'.repeat(300)},
      {kind: 'kid', value: '...///+++===...'},
      {kind: 'thumbprint-hex', value: hex},
      {kind: 'thumbprint-hex', value: hex.toUpperCase()},
    ]
    state.files = [{repo: `${ORG}/api`, path: 'thumbprints.txt', content: hex.toUpperCase()}]
    // When they are searched
    const result = await searchCode({client: client(), org: ORG, terms, secrets})
    // Then only the hex is sent, once, and every skipped term says why
    expect(searches().map((r) => r.query.q)).toEqual([`"${hex}" org:${ORG}`])
    expect(result.terms.map((t) => t.skipped)).toEqual([
      expect.stringContaining('too short'),
      expect.stringContaining('longer than the 256 characters'),
      expect.stringContaining('too short'),
      null,
      null,
    ])
    expect(result.terms.slice(3).map((t) => [t.searched, t.results, t.query])).toEqual([
      [true, 1, `"${hex}" org:${ORG}`],
      [true, 1, `"${hex}" org:${ORG}`],
    ])
  })

  it('refuses an organisation name that would change the query, before any request', async () => {
    // Given an org "name" that smuggles in another qualifier
    // When it is searched
    const error = await searchCode({
      client: client(),
      org: 'example-org repo:other/repo',
      terms: [{kind: 'kid', value: KID}],
      secrets,
    }).catch((e: unknown) => e)
    // Then it is a usage error and GitHub was not asked
    expect(error).toBeInstanceOf(JwkrError)
    expect((error as JwkrError).code).toBe('ERR_USAGE')
    expect(state.requests).toHaveLength(0)
  })

  it("searches GitHub Enterprise's API root, following its own Link URLs", async () => {
    // Given GitHub Enterprise Server with 150 matching files
    state = createGitHubState({tokens: [TOKEN], baseUrl: 'https://github.example.test/api/v3', files: files(150, `kid: ${KID}`)})
    server.use(...githubHandlers(state))
    // When the client points at it
    const result = await searchCode({
      client: client({baseUrl: state.baseUrl}),
      org: ORG,
      terms: [{kind: 'kid', value: KID}],
      secrets,
    })
    // Then both pages came from the Enterprise host and the URLs point at its web UI
    expect(state.requests.map((r) => new URL(r.url).origin + new URL(r.url).pathname)).toEqual([
      'https://github.example.test/api/v3/search/code',
      'https://github.example.test/api/v3/search/code',
    ])
    expect(result.results[0]?.url).toMatch(/^https:\/\/github\.example\.test\/example-org\/service\/blob\//)
  })

  it("never sends the leaked key's private values: not in q, not in any header", async () => {
    // Given a leaked private RSA JWK, loaded as the command loads it, and its needles
    const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
    const jwk = {...privateKey.export({format: 'jwk'}), kid: KID}
    const set = await loadKeys(JSON.stringify(jwk), {secrets})
    const needles = keyNeedles(set.keys[0]!)
    const privateValues = [jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].map(String)
    const privateNeedles = needles.filter((n) => !n.public).map((n) => n.value)
    expect(privateNeedles.length).toBeGreaterThan(0)
    // And a file holding the public modulus, so searches find something
    state.files = [
      {repo: `${ORG}/api`, path: 'jwks.json', content: JSON.stringify({keys: [{kty: 'RSA', kid: KID, n: jwk.n, e: jwk.e}]})},
    ]
    // When the public needles are searched, plus the whole private exponent slipped in by mistake
    const terms = [...needles.filter((n) => n.public), {kind: 'private-member', value: String(jwk.d), description: 'd'}]
    const result = await searchCode({client: client(), org: ORG, terms, secrets})
    // Then requests were made, and none carries a private value or private needle anywhere
    expect(searches().length).toBeGreaterThan(5)
    const sent = JSON.stringify(state.requests.map((r) => [r.url, r.query, r.headers, r.body]))
    for (const value of [...privateValues, ...privateNeedles]) {
      expect(sent).not.toContain(value)
      expect(sent).not.toContain(encodeURIComponent(value))
    }
    // And the slipped-in private value was refused and is not echoed in the report
    const refused = result.terms.at(-1)
    expect(refused).toMatchObject({
      searched: false,
      query: null,
      value: '[REDACTED]',
      skipped: 'private material: never sent to GitHub',
    })
    expect(JSON.stringify(result)).not.toContain(String(jwk.d))
    expect(result.results.map((r) => r.path)).toEqual(['jwks.json'])
  })
})
