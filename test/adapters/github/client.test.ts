import {http, HttpResponse} from 'msw'
import {beforeEach, describe, expect, it} from 'vitest'

import {createGitHubClient, githubSettingsFromEnv, type GitHubClientOptions} from '../../../src/adapters/github/client.js'
import {JwkrError} from '../../../src/core/errors.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {server} from '../../helpers/msw.js'
import {createGitHubState, githubHandlers, type GitHubMockState} from '../../mocks/github.js'

const TOKEN = 'ghp_clienttest1111111111111111111111111111'
let state: GitHubMockState

beforeEach(() => {
  state = createGitHubState({tokens: [TOKEN], files: [{repo: 'example-org/api', path: 'jwks.json', content: 'kid-2024-signing'}]})
  server.use(...githubHandlers(state))
})

function client(options: Partial<GitHubClientOptions> = {}) {
  return createGitHubClient({
    token: TOKEN,
    baseUrl: state.baseUrl,
    retries: 0,
    throttle: {retryAfterBaseMs: 1},
    secrets: new SecretRegistry(),
    ...options,
  })
}

async function failure(promise: Promise<unknown>): Promise<JwkrError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(JwkrError)
  return error as JwkrError
}

const search = (c: ReturnType<typeof client>, q = '"kid-2024-signing" org:example-org') => c.rest.search.code({q, per_page: 100})

describe('createGitHubClient', () => {
  it('refuses to start without a token and says how to provide one', () => {
    // Given no GITHUB_TOKEN in the environment
    const settings = githubSettingsFromEnv({GITHUB_TOKEN: '  '})
    // When a client is built from it
    let error: unknown
    try {
      createGitHubClient({...settings, secrets: new SecretRegistry()})
    } catch (e) {
      error = e
    }
    // Then the error names the variable and the scopes a token needs
    expect(error).toBeInstanceOf(JwkrError)
    expect((error as JwkrError).code).toBe('ERR_GITHUB_TOKEN_MISSING')
    expect((error as JwkrError).hint).toContain('export GITHUB_TOKEN=')
    expect((error as JwkrError).hint).toContain('`repo` scope')
  })

  it('reads GITHUB_API_URL, defaults to api.github.com and refuses a non-http URL', () => {
    // Given environments with and without an API URL
    // Then the default is github.com's API and an Enterprise root is kept as given
    expect(githubSettingsFromEnv({GITHUB_TOKEN: 't0k3n'})).toEqual({token: 't0k3n', baseUrl: 'https://api.github.com'})
    expect(githubSettingsFromEnv({GITHUB_API_URL: 'https://ghe.example.test/api/v3/'}).baseUrl).toBe(
      'https://ghe.example.test/api/v3/',
    )
    // And a URL that is not http(s) is refused with a hint
    expect(() => createGitHubClient({token: TOKEN, baseUrl: 'ftp://ghe.example.test', secrets: new SecretRegistry()})).toThrow(
      expect.objectContaining({code: 'ERR_GITHUB_API_URL_INVALID'}),
    )
  })

  it('sends the token as an Authorization header and registers it as a secret', async () => {
    // Given a client
    const secrets = new SecretRegistry()
    const c = client({secrets})
    // When it searches
    await search(c)
    // Then GitHub saw the token in the Authorization header, and the registry hides it
    expect(state.requests[0]?.headers.authorization).toBe(`token ${TOKEN}`)
    expect(secrets.redact(`x ${TOKEN} y`)).toBe('x [REDACTED] y')
  })

  it('serves a GitHub Enterprise API root given as baseUrl', async () => {
    // Given GitHub Enterprise at https://github.example.test/api/v3
    state = createGitHubState({tokens: [TOKEN], baseUrl: 'https://github.example.test/api/v3', files: state.files})
    server.use(...githubHandlers(state))
    // When the client is built with that root (trailing slash and all)
    const {data} = await search(client({baseUrl: 'https://github.example.test/api/v3/'}))
    // Then the request went to the Enterprise host under /api/v3
    expect(state.requests.map((r) => r.url.split('?')[0])).toEqual(['https://github.example.test/api/v3/search/code'])
    expect(data.items[0]?.html_url).toMatch(/^https:\/\/github\.example\.test\/example-org\/api\/blob\//)
  })
})

describe('GitHub errors at the boundary', () => {
  it('a GitHub that never answers: the request gives up at its deadline with a clear error, it does not hang', async () => {
    // Given a GitHub that accepts every request and never answers
    state.hang = {times: Number.POSITIVE_INFINITY}
    // When a read and a write are made with a 300 ms deadline
    const started = Date.now()
    const read = await failure(client({timeoutMs: 300}).rest.issues.get({owner: 'example-org', repo: 'api', issue_number: 1}))
    const write = await failure(client({timeoutMs: 300}).rest.issues.create({owner: 'example-org', repo: 'api', title: 't'}))
    // Then both fail within a few deadlines, as JwkrErrors that say GitHub did not answer
    expect(Date.now() - started).toBeLessThan(3000)
    for (const error of [read, write]) {
      expect(error.code).toBe('ERR_GITHUB_UNAVAILABLE')
      expect(error.message).toMatch(/^GitHub did not answer (GET|POST) \/repos\/example-org\/api\/issues.*aborted due to timeout/)
    }
  })

  it('401: says the token was refused, without the token', async () => {
    // Given a token GitHub does not know
    const wrong = 'ghp_wrongtoken99999999999999999999999999'
    const secrets = new SecretRegistry()
    // When it is used
    const error = await failure(search(client({token: wrong, secrets})))
    // Then the error is ERR_GITHUB_AUTH with GitHub's message and a hint, and the token is nowhere in it
    expect(error.code).toBe('ERR_GITHUB_AUTH')
    expect(error.message).toBe('GitHub refused the token (401 Bad credentials) for GET /search/code.')
    expect(error.hint).toContain('GITHUB_TOKEN')
    expect(JSON.stringify({m: error.message, h: error.hint, d: error.details})).not.toContain(wrong)
    expect(secrets.leaks(wrong)).toBe(true)
  })

  it('403 secondary rate limit: retried after retry-after, then succeeds', async () => {
    // Given GitHub answers the first search with a secondary rate limit and retry-after: 3
    state.secondaryRateLimit = {times: 1, retryAfter: 3}
    const warnings: string[] = []
    // When a client that retries searches
    const {data} = await search(client({retries: 2, log: {warn: (m: string) => warnings.push(m)}}))
    // Then it waited as told, asked again, and got the results
    expect(data.total_count).toBe(1)
    expect(state.requests).toHaveLength(2)
    expect(warnings).toEqual(['GitHub secondary rate limit hit on GET /search/code: waiting 3 s before retry 1 of 2.'])
  })

  it('403 secondary rate limit with retries off: a clear error with the wait', async () => {
    // Given the same limit and a client that does not retry
    state.secondaryRateLimit = {times: 1, retryAfter: 30}
    // When it searches
    const error = await failure(search(client()))
    // Then the error says which limit, how long to wait, and asked only once
    expect(error.code).toBe('ERR_GITHUB_RATE_LIMITED')
    expect(error.message).toMatch(
      /^GitHub's secondary rate limit stopped GET \/search\/code for 30 s: You have exceeded a secondary rate limit/,
    )
    expect(error.hint).toContain('Wait 30 s')
    expect(error.details).toMatchObject({secondary: true, retryAfterSeconds: 30, status: 403})
    expect(state.requests).toHaveLength(1)
  })

  it('a secondary limit that keeps coming back stops after the configured retries', async () => {
    // Given GitHub keeps answering with the secondary limit
    state.secondaryRateLimit = {times: 10, retryAfter: 1}
    // When a client with two retries searches
    const error = await failure(search(client({retries: 2})))
    // Then it tried three times in all and reports the limit
    expect(error.code).toBe('ERR_GITHUB_RATE_LIMITED')
    expect(state.requests).toHaveLength(3)
  })

  it('429 primary rate limit: waits for x-ratelimit-reset when retrying, else reports the reset time', async () => {
    // Given the code-search quota is used up until one second from now
    state.primaryRateLimit = {times: 1, status: 429, resetInSeconds: 1}
    // When a retrying client searches, it waits for the reset and succeeds
    const {data} = await search(client({retries: 1}))
    expect(data.total_count).toBe(1)
    expect(state.requests).toHaveLength(2)
    // And when a non-retrying client meets the same limit
    state.primaryRateLimit = {times: 1, status: 403, resetInSeconds: 600}
    const error = await failure(search(client()))
    // Then the error gives the reset time from x-ratelimit-reset
    expect(error.code).toBe('ERR_GITHUB_RATE_LIMITED')
    expect(error.details?.resetAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(error.message).toContain(
      `GitHub's rate limit (code_search) stopped GET /search/code until ${String(error.details?.resetAt)}`,
    )
  })

  it('does not wait for a reset further away than maxWaitSeconds', async () => {
    // Given the quota resets in ten minutes (429: no blind 5xx-style retry either)
    state.primaryRateLimit = {times: 5, status: 429, resetInSeconds: 600}
    // When a retrying client with the default two-minute bound searches
    const error = await failure(search(client({retries: 3, throttle: {retryAfterBaseMs: 1}})))
    // Then it reports instead of waiting
    expect(error.code).toBe('ERR_GITHUB_RATE_LIMITED')
    expect(state.requests).toHaveLength(1)
  })

  it("422: a clear error carrying the API's errors[] messages", async () => {
    // Given a search with qualifiers only
    // When it is sent
    const error = await failure(search(client(), 'org:example-org'))
    // Then GitHub's validation message is the error
    expect(error.code).toBe('ERR_GITHUB_VALIDATION')
    expect(error.message).toBe('GitHub refused GET /search/code as invalid: The search must include at least one search term.')
    expect(error.details?.errors).toEqual(['The search must include at least one search term.'])
  })

  it('404 and 403 (not a rate limit) say what to check', async () => {
    // Given an organisation that does not exist, and one behind SAML single sign-on
    server.use(
      http.get(`${state.baseUrl}/orgs/sso-org`, () =>
        HttpResponse.json(
          {
            message:
              'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.',
            documentation_url:
              'https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/',
          },
          {status: 403, headers: {'x-ratelimit-remaining': '4999'}},
        ),
      ),
    )
    const c = client()
    // When each is read
    const missing = await failure(c.request('GET /orgs/{org}', {org: 'no-such-org'}))
    const forbidden = await failure(c.request('GET /orgs/{org}', {org: 'sso-org'}))
    // Then the codes differ and the hints say what to do
    expect(missing.code).toBe('ERR_GITHUB_NOT_FOUND')
    expect(missing.message).toBe('GitHub found nothing at GET /orgs/no-such-org (404).')
    expect(forbidden.code).toBe('ERR_GITHUB_FORBIDDEN')
    expect(forbidden.hint).toContain('SAML single sign-on')
  })

  it('5xx: retried with backoff, then ERR_GITHUB_UNAVAILABLE when it persists', async () => {
    // Given GitHub answers 502 twice
    state.outage = {times: 2, status: 502}
    // When a retrying client searches, it gets through on the third attempt
    const {data} = await search(client({retries: 2}))
    expect(data.total_count).toBe(1)
    expect(state.requests).toHaveLength(3)
    // And without retries the 502 is reported as GitHub being unavailable
    state.outage = {times: 1, status: 502}
    const error = await failure(search(client()))
    expect(error.code).toBe('ERR_GITHUB_UNAVAILABLE')
    expect(error.message).toBe('GitHub answered 502 to GET /search/code: Server Error')
  })

  it('a network failure is ERR_GITHUB_UNAVAILABLE naming the API root', async () => {
    // Given the API host cannot be reached
    server.use(http.get(`${state.baseUrl}/search/code`, () => HttpResponse.error()))
    // When a client searches
    const error = await failure(search(client()))
    // Then it says GitHub did not answer and what to check
    expect(error.code).toBe('ERR_GITHUB_UNAVAILABLE')
    expect(error.message).toMatch(/^GitHub did not answer GET \/search\/code/)
    expect(error.hint).toContain('https://api.github.com')
  })
})
