import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {fetchJson} from '../../../src/adapters/http/fetch-json.js'
import {backoffDelay, parseRetryAfter} from '../../../src/adapters/http/http-client.js'
import {closedPortUrl, startJwksServer, type JwksServer} from '../../helpers/jwks-server.js'

const fast = {retryDelayMs: 1, timeoutMs: 2000}
let server: JwksServer

beforeEach(async () => {
  server = await startJwksServer()
})
afterEach(async () => {
  await server.close()
})

describe('fetchJson', () => {
  it('returns the parsed document, the status and one attempt', async () => {
    // Given a path serving a JWKS
    server.serve('/jwks', {keys: [{kty: 'oct', kid: 'a'}]})
    // When it is fetched
    const result = await fetchJson(server.url('/jwks'), fast)
    // Then the body is parsed and nothing is reported wrong
    expect(result).toMatchObject({ok: true, httpStatus: 200, error: null, attempts: 1, url: server.url('/jwks')})
    expect(result.body).toEqual({keys: [{kty: 'oct', kid: 'a'}]})
    expect(server.requestsTo('/jwks')[0]?.headers.accept).toContain('application/json')
  })

  it('reports a closed port as connection-refused, after the configured retries', async () => {
    // Given a URL on a port nothing listens on
    const url = await closedPortUrl('/jwks')
    // When it is fetched with two retries
    const result = await fetchJson(url, {...fast, retries: 2})
    // Then it fails with a plain code, having tried three times, and does not throw
    expect(result).toMatchObject({ok: false, httpStatus: null, body: null, attempts: 3})
    expect(result.error?.code).toBe('connection-refused')
  })

  it('gives up on an answer slower than the timeout, and retries it', async () => {
    // Given a path that answers after 2 s
    server.slow('/slow', 2000)
    // When it is fetched with a 100 ms timeout and one retry
    const result = await fetchJson(server.url('/slow'), {timeoutMs: 100, retries: 1, retryDelayMs: 1})
    // Then it is a timeout, and the server saw both attempts
    expect(result.error).toEqual({code: 'timeout', message: 'No complete answer within 100 ms.'})
    expect(result.attempts).toBe(2)
    expect(server.requestsTo('/slow')).toHaveLength(2)
  })

  it('reports garbage as not-json without quoting it, and does not retry it', async () => {
    // Given a path answering an HTML error page with status 200
    server.garbage('/jwks', '<html>SECRET-LOOKING-BODY</html>')
    // When it is fetched
    const result = await fetchJson(server.url('/jwks'), fast)
    // Then the error names the problem and the content type, never the body
    expect(result.error?.code).toBe('not-json')
    expect(result.error?.message).toContain('text/html')
    expect(JSON.stringify(result)).not.toContain('SECRET-LOOKING-BODY')
    expect(server.requestsTo('/jwks')).toHaveLength(1)
  })

  it('refuses a body over the cap, whether announced by Content-Length or streamed', async () => {
    // Given one path with a declared 2 KiB body and one streaming 8 MiB without a length
    server.oversize('/declared', 2048)
    server.oversize('/streamed', 8 * 1024 * 1024, {chunked: true})
    server.serve('/small', {keys: [], pad: 'x'.repeat(900)})
    // When they are fetched with a 1 KiB cap
    const declared = await fetchJson(server.url('/declared'), {...fast, maxBytes: 1024})
    const streamed = await fetchJson(server.url('/streamed'), {...fast, maxBytes: 1024})
    const small = await fetchJson(server.url('/small'), {...fast, maxBytes: 1024})
    // Then both large ones are too-large (and not retried); the one under the cap is read
    expect(declared.error).toEqual({code: 'too-large', message: 'The response is larger than 1 KiB.'})
    expect(streamed.error?.code).toBe('too-large')
    expect(streamed.attempts).toBe(1)
    expect(small.ok).toBe(true)
  })

  it('retries 503 twice and then succeeds with the third answer', async () => {
    // Given a path that answers 503 twice, then the JWKS
    server.failThenServe('/jwks', 2, {keys: []})
    // When it is fetched with two retries
    const result = await fetchJson(server.url('/jwks'), {...fast, retries: 2})
    // Then the third request succeeds and exactly three were made
    expect(result).toMatchObject({ok: true, httpStatus: 200, attempts: 3})
    expect(server.requestsTo('/jwks')).toHaveLength(3)
  })

  it('reports the last 5xx when the retries run out', async () => {
    // Given a path that fails more times than there are retries
    server.failThenServe('/jwks', 5, {keys: []}, 502)
    // When it is fetched with one retry
    const result = await fetchJson(server.url('/jwks'), {...fast, retries: 1})
    // Then the failure is reported with its status
    expect(result).toMatchObject({
      ok: false,
      httpStatus: 502,
      attempts: 2,
      error: {code: 'http-502', message: 'HTTP 502 Bad Gateway'},
    })
  })

  it('does not retry a 404', async () => {
    // Given a path that does not exist
    // When it is fetched with retries
    const result = await fetchJson(server.url('/missing'), {...fast, retries: 3})
    // Then one request was made and the error is http-404
    expect(result.error).toEqual({code: 'http-404', message: 'HTTP 404 Not Found'})
    expect(server.requestsTo('/missing')).toHaveLength(1)
  })

  it('waits as long as a 429 Retry-After asks before retrying', async () => {
    // Given a path that answers 429 with Retry-After: 1, then the JWKS
    server.rateLimited('/jwks', '1', {keys: []})
    // When it is fetched with a backoff of 1 ms (so only Retry-After can explain a long wait)
    const result = await fetchJson(server.url('/jwks'), {...fast, retries: 1})
    // Then the second request came about a second after the first
    expect(result).toMatchObject({ok: true, attempts: 2})
    const [first, second] = server.requestsTo('/jwks')
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950)
  })

  it('caps a long Retry-After at maxRetryDelayMs', async () => {
    // Given a path that asks to come back in two minutes
    server.rateLimited('/jwks', '120', {keys: []})
    // When it is fetched with waits capped at 20 ms
    const result = await fetchJson(server.url('/jwks'), {...fast, retries: 1, maxRetryDelayMs: 20})
    // Then the retry happens (the test would time out otherwise) and succeeds
    expect(result).toMatchObject({ok: true, attempts: 2})
  })

  it('follows redirects within the same scheme and says where the answer came from', async () => {
    // Given /old → /mid → /jwks (a relative and an absolute Location)
    server.redirect('/old', '/mid', 301)
    server.redirect('/mid', server.url('/jwks'), 307)
    server.serve('/jwks', {keys: []})
    // When /old is fetched
    const result = await fetchJson(server.url('/old'), fast)
    // Then the JWKS is read from its final URL, in one attempt
    expect(result).toMatchObject({ok: true, url: server.url('/old'), finalUrl: server.url('/jwks'), attempts: 1})
  })

  it('refuses a redirect to another scheme without following it', async () => {
    // Given redirects to https and to file:
    server.redirect('/to-https', 'https://127.0.0.1:1/jwks')
    server.redirect('/to-file', 'file:///etc/passwd')
    // When they are fetched
    const https = await fetchJson(server.url('/to-https'), fast)
    const file = await fetchJson(server.url('/to-file'), fast)
    // Then both are refused with the redirect status
    expect(https).toMatchObject({ok: false, httpStatus: 302, error: {code: 'redirect-scheme-change'}})
    expect(file.error?.code).toBe('redirect-scheme-change')
  })

  it('stops after five redirects', async () => {
    // Given a redirect loop
    server.redirect('/loop', '/loop')
    // When it is fetched
    const result = await fetchJson(server.url('/loop'), fast)
    // Then it stops after the sixth request with too-many-redirects
    expect(result.error?.code).toBe('too-many-redirects')
    expect(server.requestsTo('/loop')).toHaveLength(6)
  })

  it('reports a connection cut without an answer as connection-reset', async () => {
    // Given a path whose server drops the connection
    server.down('/jwks')
    // When it is fetched without retries
    const result = await fetchJson(server.url('/jwks'), {...fast, retries: 0})
    // Then the error is connection-reset
    expect(result.error?.code).toBe('connection-reset')
  })

  it("stops at once when the caller's signal aborts, without retrying", async () => {
    // Given a slow path and a caller that gives up after 50 ms
    server.slow('/slow', 2000)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    // When it is fetched with retries
    const result = await fetchJson(server.url('/slow'), {...fast, retries: 3, signal: controller.signal})
    // Then it is aborted after one attempt
    expect(result).toMatchObject({attempts: 1, error: {code: 'aborted'}})
  })

  it('refuses URLs that are not http or https', async () => {
    // Given a file URL and a string that is not a URL
    // When they are fetched
    const file = await fetchJson('file:///etc/passwd', fast)
    const junk = await fetchJson('not a url', fast)
    // Then both are bad-url and nothing is read
    expect(file.error?.code).toBe('bad-url')
    expect(junk.error?.code).toBe('bad-url')
  })
})

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates (RFC 9110 §10.2.3)', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeNull()
    expect(parseRetryAfter(null, now)).toBeNull()
  })
})

describe('backoffDelay', () => {
  it('doubles with each retry and keeps the jitter within half of the delay', () => {
    expect(backoffDelay(1, 100, () => 0)).toBe(50)
    expect(backoffDelay(1, 100, () => 0.999)).toBe(100)
    expect(backoffDelay(3, 100, () => 0)).toBe(200)
    expect(backoffDelay(3, 100, () => 0.999)).toBe(400)
  })
})
