// The shared HTTP client (node:http underneath) against a real local server: the deadline covers the
// body, which failures are sent again for a read and for a change, Retry-After past the bound (waited
// for or refused, by policy), headers resolved afresh for every attempt, content codings undone under
// the cap, one kept-alive connection, and an untrusted certificate refused.
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {brotliCompressSync, deflateSync, gzipSync} from 'node:zlib'

import {afterEach, describe, expect, it} from 'vitest'

import {HttpFailure, sendHttp, type HttpCall, type HttpPolicy} from '../../../src/adapters/http/http-client.js'
import {tiesOf, warningsDuring} from '../../helpers/abort-signal-ties.js'
import {server as mswServer} from '../../helpers/msw.js'
import {certificateFor, makeKey} from '../idp/helpers/keys.js'

let server: Server | undefined

async function serve(handler: (request: IncomingMessage, response: ServerResponse, hit: number) => void): Promise<{
  url: URL
  hits: string[]
}> {
  const hits: string[] = []
  server = createServer((request, response) => {
    hits.push(`${request.method} ${request.url} ${request.headers['x-attempt'] ?? ''}`.trim())
    handler(request, response, hits.length)
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return {url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`), hits}
}

afterEach(async () => {
  server?.closeAllConnections()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

function policy(overrides: Partial<HttpPolicy> = {}, sleeps: number[] = []): HttpPolicy {
  return {
    timeoutMs: 2000,
    maxBytes: 1024,
    retries: 2,
    retryDelayMs: 1,
    maxRetryDelayMs: 5000,
    longRetryAfter: 'cap',
    maxRedirects: 0,
    sleep: async (ms) => void sleeps.push(ms),
    ...overrides,
  }
}

const call = (url: URL, overrides: Partial<HttpCall> = {}): HttpCall => ({
  method: 'GET',
  url,
  headers: {},
  resendable: true,
  ...overrides,
})

describe('sendHttp', () => {
  it('times out a body that stops half way, and retries it as a failed attempt', async () => {
    // Given a server that sends its headers and half a body, then nothing more
    const {url, hits} = await serve((_request, response) => {
      response.writeHead(200, {'content-type': 'application/json'})
      response.write('{"keys":')
    })
    // When it is read with a 1 s deadline (room for a loaded machine to connect) and one retry
    const failure = await sendHttp(call(url), policy({timeoutMs: 1000, retries: 1})).catch((error: unknown) => error)
    // Then the deadline covered the body: a timeout, after two attempts
    expect(failure).toBeInstanceOf(HttpFailure)
    expect(failure).toMatchObject({code: 'timeout', attempts: 2, message: 'No complete answer within 1000 ms.'})
    expect(hits).toHaveLength(2)
  })

  it("prints no listener warning when many requests share the run's signal at once (a locate sends 64)", async () => {
    // Given a server and the signal of a run
    const {url} = await serve((_request, response) => response.writeHead(200, {'content-type': 'application/json'}).end('{}'))
    const run = new AbortController()
    const warnings = await warningsDuring(() =>
      // When twenty requests are in flight under it at once
      Promise.all(Array.from({length: 20}, () => sendHttp(call(url, {signal: run.signal}), policy()))),
    )
    // Then Node printed no "Possible EventTarget memory leak" on the responder's terminal
    expect(warnings).toEqual([])
  })

  it("leaves nothing tied to the caller's signal once the answer is read (a long run makes thousands)", async () => {
    // Given a server and the signal of a run that goes on
    const {url} = await serve((_request, response) => response.writeHead(200, {'content-type': 'application/json'}).end('{}'))
    const run = new AbortController()
    // When twenty requests are sent under it
    for (let i = 0; i < 20; i++) await sendHttp(call(url, {signal: run.signal}), policy())
    // Then the run's signal holds no listener and no combined signal of theirs (ky's or ours)
    expect(tiesOf(run.signal)).toEqual({listeners: 0, dependants: 0})
  })

  it('sends a change again on a 429, but not on a 503', async () => {
    // Given a server that rate-limits the first request and fails the next with 503
    const {url, hits} = await serve((_request, response, hit) => {
      response.writeHead(hit === 1 ? 429 : 503, {'retry-after': '2'}).end()
    })
    const sleeps: number[] = []
    // When a change (not resendable) is sent
    const answer = await sendHttp(call(url, {method: 'POST', body: '{}', resendable: false}), policy({}, sleeps))
    // Then the 429 was waited out as Retry-After asked, and the 503 is the answer
    expect(answer.status).toBe(503)
    expect(sleeps).toEqual([2000])
    expect(hits).toEqual(['POST /x', 'POST /x'])
  })

  it('answers a Retry-After past the bound at once under give-up, and waits the bound under cap', async () => {
    // Given a server asking twice to come back in an hour, then answering
    const {url, hits} = await serve((_request, response, hit) => {
      if (hit <= 2) response.writeHead(429, {'retry-after': '3600'}).end()
      else response.writeHead(200).end('{}')
    })
    const gaveUp: number[] = []
    const capped: number[] = []
    // When asked under each policy
    const first = await sendHttp(call(url), policy({longRetryAfter: 'give-up'}, gaveUp))
    const second = await sendHttp(call(url), policy({longRetryAfter: 'cap'}, capped))
    // Then give-up answers the 429 without waiting; cap waits maxRetryDelayMs and gets the answer
    expect(first).toMatchObject({status: 429, attempts: 1})
    expect(first.headers.get('retry-after')).toBe('3600')
    expect(gaveUp).toEqual([])
    expect(second).toMatchObject({status: 200, attempts: 2})
    expect(capped).toEqual([5000])
    expect(hits).toHaveLength(3)
  })

  it('resolves the per-attempt headers before every attempt', async () => {
    // Given a server failing once with 502, and headers that change per attempt
    const {url, hits} = await serve((_request, response, hit) => response.writeHead(hit === 1 ? 502 : 200).end('{}'))
    let attempt = 0
    // When a read is sent
    const answer = await sendHttp(call(url, {headersPerAttempt: () => ({'x-attempt': String(++attempt)})}), policy())
    // Then each attempt carried its own headers
    expect(answer.status).toBe(200)
    expect(hits).toEqual(['GET /x 1', 'GET /x 2'])
  })

  it('refuses an oversized error body too, without retrying it', async () => {
    // Given a 500 whose body is larger than the cap
    const {url, hits} = await serve((_request, response) => response.writeHead(500).end('x'.repeat(4096)))
    // When it is read with a 1 KiB cap
    const failure = await sendHttp(call(url), policy()).catch((error: unknown) => error)
    // Then it is too-large with its status, after one attempt
    expect(failure).toMatchObject({code: 'too-large', status: 500, attempts: 1})
    expect(hits).toHaveLength(1)
  })

  it('undoes gzip, deflate and br, stacked codings in reverse order, and asks for them', async () => {
    // Given a server answering the same JSON under a different Content-Encoding each time
    const json = '{"keys":[]}'
    const encodings: Array<[string, Buffer]> = [
      ['gzip', gzipSync(json)],
      ['deflate', deflateSync(json)],
      ['br', brotliCompressSync(json)],
      ['gzip, br', brotliCompressSync(gzipSync(json))],
    ]
    const asked: string[] = []
    const {url} = await serve((request, response, hit) => {
      asked.push(request.headers['accept-encoding'] ?? '')
      const [coding, body] = encodings[hit - 1] as [string, Buffer]
      response.writeHead(200, {'content-encoding': coding, 'content-length': body.length}).end(body)
    })
    // When it is read four times
    const bodies: string[] = []
    for (const _ of encodings) bodies.push((await sendHttp(call(url), policy())).body.toString('utf8'))
    // Then each body is the JSON itself, and every request offered the three codings
    expect(bodies).toEqual([json, json, json, json])
    expect(asked).toEqual(Array.from(encodings, () => 'gzip, deflate, br'))
  })

  it('caps the decoded body, not the bytes on the wire (a small gzip of a large body is too large)', async () => {
    // Given a 64 KiB body that gzips to about a hundred bytes
    const body = gzipSync(Buffer.alloc(64 * 1024, 'a'))
    const {url, hits} = await serve((_request, response) => {
      response.writeHead(200, {'content-encoding': 'gzip', 'content-length': body.length}).end(body)
    })
    // When it is read with a 1 KiB cap
    const failure = await sendHttp(call(url), policy()).catch((error: unknown) => error)
    // Then it is too-large, after one attempt
    expect(body.length).toBeLessThan(1024)
    expect(failure).toMatchObject({code: 'too-large', status: 200, attempts: 1})
    expect(hits).toHaveLength(1)
  })

  it("lets a per-attempt header replace the call's header of the same name, whatever its case", async () => {
    // Given a server recording the raw Authorization headers it receives
    const received: string[][] = []
    const {url} = await serve((request, response) => {
      received.push(request.rawHeaders.filter((_value, i, raw) => i % 2 === 1 && raw[i - 1]?.toLowerCase() === 'authorization'))
      response.writeHead(200).end('{}')
    })
    // When the call names Authorization and each attempt resolves a fresh one in lower case
    await sendHttp(
      call(url, {headers: {Authorization: 'Bearer stale'}, headersPerAttempt: () => ({authorization: 'Bearer fresh'})}),
      policy(),
    )
    // Then only the fresh one was sent
    expect(received).toEqual([['Bearer fresh']])
  })

  it('keeps the connection alive: calls one after another share one socket', async () => {
    // Given a server noting the client port of each request, reached directly: msw's interceptor,
    // which the suite installs, opens a socket of its own for every request it lets through
    mswServer.close()
    const ports: number[] = []
    try {
      const {url} = await serve((request, response) => {
        ports.push(request.socket.remotePort ?? 0)
        response.writeHead(200).end('{}')
      })
      // When three reads are sent one after another
      for (let i = 0; i < 3; i++) await sendHttp(call(url), policy())
    } finally {
      mswServer.listen({onUnhandledRequest: 'error'})
    }
    // Then they came over one connection
    expect(ports).toHaveLength(3)
    expect(new Set(ports).size).toBe(1)
  })

  it('refuses a certificate it cannot trust as a tls failure, without retrying', async () => {
    // Given an https server with a self-signed certificate (made by openssl)
    const key = await makeKey('EC')
    let connections = 0
    const tlsServer = createHttpsServer(
      {key: key.privateKey.export({type: 'pkcs8', format: 'pem'}), cert: certificateFor(key, '127.0.0.1')},
      (_request, response) => response.writeHead(200).end('{}'),
    )
    tlsServer.on('connection', () => connections++)
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve))
    try {
      const {port} = tlsServer.address() as AddressInfo
      // When a read is sent with retries
      const failure = await sendHttp(call(new URL(`https://127.0.0.1:${port}/x`)), policy()).catch((error: unknown) => error)
      // Then it is a tls failure naming the reason, after one attempt
      expect(failure).toBeInstanceOf(HttpFailure)
      expect(failure).toMatchObject({
        code: 'tls',
        attempts: 1,
        message: 'The TLS handshake failed (DEPTH_ZERO_SELF_SIGNED_CERT).',
      })
      expect(connections).toBe(1)
    } finally {
      tlsServer.closeAllConnections()
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()))
    }
  })
})
