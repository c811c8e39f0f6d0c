// The HTTP client under every IdP adapter, against a real local server: timeouts, refused
// connections, cancellation, which failures are retried (reads only, and 429 for everything), bodies
// that are not JSON, and vendor messages that echo a secret.
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {retryDelay} from '../../../src/adapters/http/http-client.js'
import {createIdpClient, type IdpClientOptions} from '../../../src/adapters/idp/idp-client.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {errorTexts, expectNoNeedles, failureOf} from './helpers/secrecy.js'

let server: Server | undefined

async function serve(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{url: string; hits: string[]}> {
  const hits: string[] = []
  server = createServer((request, response) => {
    hits.push(`${request.method} ${request.url}`)
    handler(request, response)
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits}
}

afterEach(async () => {
  server?.closeAllConnections()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

function client(baseUrl: string, overrides: Partial<IdpClientOptions> = {}) {
  return createIdpClient({
    service: 'Test IdP',
    baseUrl,
    auth: () => ({authorization: 'Bearer test-token-1234'}),
    authHint: 'set TEST_TOKEN',
    forbiddenHint: 'needs a role',
    errorMessage: (body) => (body as {message?: string} | null)?.message,
    secrets: new SecretRegistry(),
    http: {timeoutMs: 300, retries: 1, retryDelayMs: 1, sleep: async () => {}},
    ...overrides,
  })
}

describe('the IdP HTTP client', () => {
  it('gives up on a silent server after the timeout, retrying a read once', async () => {
    const {url, hits} = await serve(() => {})
    const error = await failureOf(() => client(url).request('GET', '/keys'))
    expect(error.code).toBe('ERR_IDP_UNAVAILABLE')
    expect(error.message).toContain('no complete answer within 300 ms')
    expect(hits).toEqual(['GET /keys', 'GET /keys'])
  })

  it('never sends a change again after it went unanswered: it may have been applied', async () => {
    const {url, hits} = await serve(() => {})
    const error = await failureOf(() => client(url).request('POST', '/rotate'))
    expect(error.code).toBe('ERR_IDP_UNAVAILABLE')
    expect(hits).toEqual(['POST /rotate'])
  })

  it('retries a read on a 5xx, but not a change', async () => {
    let calls = 0
    const {url, hits} = await serve((_request, response) => {
      calls += 1
      response
        .writeHead(calls === 1 ? 503 : 200, {'content-type': 'application/json'})
        .end(JSON.stringify({ok: true, message: 'busy'}))
    })
    expect((await client(url).request('GET', '/keys')).body).toEqual({ok: true, message: 'busy'})
    calls = 0
    expect((await failureOf(() => client(url).request('POST', '/rotate'))).code).toBe('ERR_IDP_UNAVAILABLE')
    expect(hits).toEqual(['GET /keys', 'GET /keys', 'POST /rotate'])
  })

  it('reports a refused connection as unavailable, naming the address', async () => {
    const {url} = await serve(() => {})
    await new Promise<void>((resolve) => server?.close(() => resolve()))
    server = undefined
    const error = await failureOf(() => client(url, {http: {retries: 0}}).request('GET', '/keys'))
    expect(error.code).toBe('ERR_IDP_UNAVAILABLE')
    expect(error.hint).toContain(url)
  })

  it('stops at once when the caller cancels', async () => {
    const {url} = await serve(() => {})
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 20)
    const error = await failureOf(() =>
      client(url, {http: {timeoutMs: 5000}}).request('GET', '/keys', {signal: controller.signal}),
    )
    expect(error.code).toBe('ERR_ABORTED')
  })

  it('refuses a success body that is not JSON without quoting it', async () => {
    const {url} = await serve((_request, response) =>
      response.writeHead(200, {'content-type': 'text/html'}).end('<html>sign in with d=secretvalue</html>'),
    )
    const error = await failureOf(() => client(url).request('GET', '/keys'))
    expect(error.code).toBe('ERR_IDP_BAD_RESPONSE')
    expect(error.message).not.toContain('secretvalue')
  })

  it('redacts a secret that the service echoes in its error message', async () => {
    const {url} = await serve((_request, response) =>
      response
        .writeHead(400, {'content-type': 'application/json'})
        .end(JSON.stringify({message: 'bad header Bearer test-token-1234'})),
    )
    const secrets = new SecretRegistry()
    secrets.add('test-token-1234')
    const error = await failureOf(() => client(url, {secrets}).request('GET', '/keys'))
    expect(error.code).toBe('ERR_IDP_REJECTED')
    expect(error.message).toContain('bad header Bearer [REDACTED]')
    expectNoNeedles(errorTexts(error), ['test-token-1234'])
  })

  it('accepts a listed error status as an answer (a 404 that means "already gone")', async () => {
    const {url} = await serve((_request, response) => response.writeHead(404).end())
    expect((await client(url).request('GET', '/components/x', {accept: [404]})).status).toBe(404)
  })
})

describe('retryDelay', () => {
  it('reads Retry-After in seconds or as an HTTP date, then the vendors reset headers', () => {
    const now = Date.parse('2025-03-01T12:00:00Z')
    expect(retryDelay(new Headers({'retry-after': '7'}), now)).toBe(7000)
    expect(retryDelay(new Headers({'retry-after': 'Sat, 01 Mar 2025 12:00:05 GMT'}), now)).toBe(5000)
    expect(retryDelay(new Headers({'x-ratelimit-reset': String(now / 1000 + 3)}), now)).toBe(3000)
    expect(retryDelay(new Headers({'x-rate-limit-reset': String(now / 1000 + 4)}), now)).toBe(4000)
    expect(retryDelay(new Headers(), now)).toBeNull()
  })
})
