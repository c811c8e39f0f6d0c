import {createHash} from 'node:crypto'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {gzipSync} from 'node:zlib'

import {afterEach, describe, expect, it} from 'vitest'

import {PROBE_MAX_BODY_BYTES, sendProbe} from '../../../src/adapters/http/probe.js'
import {tiesOf, warningsDuring} from '../../helpers/abort-signal-ties.js'
import {closedPortUrl, startJwksServer, type JwksServer} from '../../helpers/jwks-server.js'

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJqd2tyLWNhbmFyeSJ9.c2lnbmF0dXJl'

let server: JwksServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function serverWith(path: string, ...replies: Parameters<JwksServer['route']>[1][]): Promise<JwksServer> {
  server = await startJwksServer()
  server.route(path, ...replies)
  return server
}

describe('sendProbe', () => {
  it('sends the token as a bearer token with the inventory headers and method, and hashes the body', async () => {
    // Given a service that answers 401 with a JSON body
    const s = await serverWith('/api/me', {status: 401, json: {error: 'invalid_token'}})
    // When a probe is sent with a POST and an extra header
    const response = await sendProbe({url: s.url('/api/me'), method: 'POST', headers: {accept: 'application/json'}, token: TOKEN})
    // Then the service saw the bearer token, the method and the header, and the answer is recorded
    const [request] = s.requestsTo('/api/me')
    expect(request).toMatchObject({method: 'POST'})
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(request?.headers.accept).toBe('application/json')
    expect(response).toMatchObject({url: s.url('/api/me'), method: 'POST', httpStatus: 401, error: null})
    expect(response.bodySha256).toBe(createHash('sha256').update('{"error":"invalid_token"}').digest('hex'))
    expect(response.sentAt).toBeInstanceOf(Date)
  })

  it("prints no listener warning when many probes share the run's signal at once (a check sends 16)", async () => {
    const s = await serverWith('/api/me', {status: 401, json: {error: 'invalid_token'}})
    const run = new AbortController()
    const warnings = await warningsDuring(() =>
      Promise.all(
        Array.from({length: 20}, () => sendProbe({url: s.url('/api/me'), method: 'GET', token: TOKEN, signal: run.signal})),
      ),
    )
    expect(warnings).toEqual([])
  })

  it("leaves nothing tied to the run's signal once a probe is answered (a long run sends thousands)", async () => {
    // Given a service and the signal of a run that goes on
    const s = await serverWith('/api/me', {status: 401, json: {error: 'invalid_token'}})
    const run = new AbortController()
    // When twenty probes are sent under it
    for (let i = 0; i < 20; i++) await sendProbe({url: s.url('/api/me'), method: 'GET', token: TOKEN, signal: run.signal})
    // Then the run's signal holds no listener and no combined signal of theirs
    expect(tiesOf(run.signal)).toEqual({listeners: 0, dependants: 0})
  })

  it('never lets an inventory header replace the canary', async () => {
    const s = await serverWith('/api/me', {status: 200, json: {}})
    await sendProbe({url: s.url('/api/me'), method: 'GET', headers: {Authorization: 'Bearer other'}, token: TOKEN})
    expect(s.requestsTo('/api/me')[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`)
  })

  it('does not follow a redirect (a login page says nothing about the token)', async () => {
    const s = await serverWith('/api/me', {status: 302, headers: {location: '/login'}})
    const response = await sendProbe({url: s.url('/api/me'), method: 'GET', token: TOKEN})
    expect(response.httpStatus).toBe(302)
    expect(s.requestsTo('/login')).toEqual([])
  })

  it('reports a timeout and a refused connection without throwing', async () => {
    const s = await serverWith('/api/me', {status: 200, json: {}, delayMs: 2000})
    const slow = await sendProbe({url: s.url('/api/me'), method: 'GET', token: TOKEN, timeoutMs: 100})
    expect(slow).toMatchObject({httpStatus: null, bodySha256: null, error: 'no complete answer within 100 ms'})
    const refused = await sendProbe({url: await closedPortUrl('/api/me'), method: 'HEAD', token: TOKEN})
    expect(refused).toMatchObject({httpStatus: null, error: expect.stringContaining('refused')})
  })

  it('stops at once when cancelled', async () => {
    const s = await serverWith('/api/me', {status: 200, json: {}, delayMs: 2000})
    const controller = new AbortController()
    const pending = sendProbe({url: s.url('/api/me'), method: 'GET', token: TOKEN, signal: controller.signal})
    controller.abort()
    expect(await pending).toMatchObject({httpStatus: null, error: 'the probe was cancelled'})
  })

  it('hashes the body as the service meant it (gzip undone) and keeps its challenge as plain text', async () => {
    // Given a service answering 401 with a gzipped body and a challenge holding a tab (a control character)
    const body = '{"error":"invalid_token"}'
    const raw = createServer((_request, response) => {
      response
        .writeHead(401, {'content-encoding': 'gzip', 'www-authenticate': 'Bearer\terror="invalid_token"'})
        .end(gzipSync(body))
    })
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve))
    try {
      // When a probe is sent
      const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/api/me`
      const response = await sendProbe({url, method: 'GET', token: TOKEN})
      // Then the hash is of the decoded body, and the challenge came without its control character
      expect(response).toMatchObject({httpStatus: 401, error: null, wwwAuthenticate: 'Bearer error="invalid_token"'})
      expect(response.bodySha256).toBe(createHash('sha256').update(body).digest('hex'))
    } finally {
      raw.closeAllConnections()
      await new Promise<void>((resolve) => raw.close(() => resolve()))
    }
  })

  it('hashes only the first MiB of a larger body', async () => {
    // Given a service streaming 8 MiB of filler
    const s = await serverWith('/api/me', {status: 200, fillerBytes: 8 * PROBE_MAX_BODY_BYTES})
    // When a probe is sent
    const response = await sendProbe({url: s.url('/api/me'), method: 'GET', token: TOKEN})
    // Then the hash is of the first MiB
    expect(response).toMatchObject({httpStatus: 200, error: null})
    expect(response.bodySha256).toBe(createHash('sha256').update(Buffer.alloc(PROBE_MAX_BODY_BYTES, 'x')).digest('hex'))
  })
})
