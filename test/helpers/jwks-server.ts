// A real HTTP server on 127.0.0.1 for tests that fetch discovery documents and JWKS: each path answers
// from a mutable map with a script of responses (the last one repeats), so a test can make a path
// slow, down, garbage, oversize, failing N times, rate limited or redirecting. Every request is recorded.
import {generateKeyPairSync} from 'node:crypto'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'

import {calculateJwkThumbprint, type JWK} from 'jose'

/** One scripted answer. A path with several answers gives them in order; the last repeats. */
export interface Reply {
  status?: number
  headers?: Record<string, string>
  /** A JSON value to send (serialised) … */
  json?: unknown
  /** … or raw text. */
  text?: string
  /** … or this many bytes of filler, streamed in 64 KiB chunks (chunked: no Content-Length). */
  fillerBytes?: number
  /** Wait this long before answering. */
  delayMs?: number
  /** Cut the connection without answering (a crashed server behind a proxy). */
  destroy?: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  /** Milliseconds since the server started. */
  at: number
}

export interface JwksServer {
  /** `http://127.0.0.1:PORT` */
  origin: string
  url(path: string): string
  /** Scripts a path (replaces what it had). */
  route(path: string, ...replies: Reply[]): void
  serve(path: string, json: unknown): void
  down(path: string): void
  slow(path: string, delayMs: number, json?: unknown): void
  garbage(path: string, text?: string): void
  oversize(path: string, bytes: number, options?: {chunked?: boolean}): void
  failThenServe(path: string, failures: number, json: unknown, status?: number): void
  rateLimited(path: string, retryAfter: string, json: unknown): void
  redirect(path: string, location: string, status?: number): void
  readonly requests: RecordedRequest[]
  requestsTo(path: string): RecordedRequest[]
  /** The most requests that were being answered at the same time. */
  readonly maxInFlight: number
  /** Filler bytes handed to sockets so far (streamed only as fast as the reader takes them). */
  readonly fillerBytesSent: number
  close(): Promise<void>
}

/** Starts a server on 127.0.0.1, port 0. Unknown paths answer 404 with a JSON error. */
export async function startJwksServer(): Promise<JwksServer> {
  const routes = new Map<string, {replies: Reply[]; served: number}>()
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  const started = performance.now()
  let inFlight = 0
  let maxInFlight = 0
  const filler = {sent: 0}

  const server = createServer((request, response) => {
    const path = request.url ?? '/'
    requests.push({method: request.method ?? 'GET', path, headers: request.headers, at: performance.now() - started})
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    let counted = true
    const done = () => {
      if (counted) inFlight--
      counted = false
    }
    response.on('close', done)
    const script = routes.get(path.split('?')[0] ?? path)
    const reply: Reply = script
      ? (script.replies[Math.min(script.served++, script.replies.length - 1)] ?? {})
      : {status: 404, json: {error: 'not_found'}}
    const answer = () => send(request, response, reply, filler)
    if (reply.delayMs) setTimeout(answer, reply.delayMs).unref()
    else answer()
  })
  server.keepAliveTimeout = 5000
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const route = (path: string, ...replies: Reply[]) => routes.set(path, {replies, served: 0})

  return {
    origin,
    url: (path) => `${origin}${path}`,
    route,
    serve: (path, json) => route(path, {json}),
    down: (path) => route(path, {destroy: true}),
    slow: (path, delayMs, json = {keys: []}) => route(path, {delayMs, json}),
    garbage: (path, text = '<html><body>502 Bad Gateway</body></html>') =>
      route(path, {text, headers: {'content-type': 'text/html'}}),
    oversize: (path, bytes, {chunked = false} = {}) =>
      route(path, chunked ? {fillerBytes: bytes} : {text: `{"keys":[],"pad":"${'x'.repeat(bytes)}"}`}),
    failThenServe: (path, failures, json, status = 503) =>
      route(path, ...Array.from({length: failures}, () => ({status, json: {error: 'unavailable'}})), {json}),
    rateLimited: (path, retryAfter, json) =>
      route(path, {status: 429, headers: {'retry-after': retryAfter}, json: {error: 'slow_down'}}, {json}),
    redirect: (path, location, status = 302) => route(path, {status, headers: {location}}),
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    get maxInFlight() {
      return maxInFlight
    },
    get fillerBytesSent() {
      return filler.sent
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A URL on a loopback port that nothing listens on (a port just released by a closed server). */
export async function closedPortUrl(path = '/'): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}${path}`
}

function send(request: IncomingMessage, response: ServerResponse, reply: Reply, filler: {sent: number}): void {
  if (response.destroyed) return
  if (reply.destroy) {
    request.socket.destroy()
    return
  }
  const status = reply.status ?? 200
  if (reply.fillerBytes !== undefined) {
    response.writeHead(status, {'content-type': 'application/json', ...reply.headers})
    streamFiller(response, reply.fillerBytes, filler)
    return
  }
  const body = reply.text ?? (reply.json === undefined ? '' : JSON.stringify(reply.json))
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...reply.headers,
  })
  response.end(body)
}

/** Streams filler without a Content-Length, so only a reader that counts bytes can stop it. */
function streamFiller(response: ServerResponse, bytes: number, filler: {sent: number}): void {
  const chunk = Buffer.alloc(64 * 1024, 'x')
  let left = bytes
  const pump = () => {
    while (left > 0 && !response.destroyed) {
      const size = Math.min(left, chunk.length)
      left -= size
      filler.sent += size
      if (!response.write(chunk.subarray(0, size))) {
        response.once('drain', pump)
        return
      }
    }
    if (!response.destroyed) response.end()
  }
  pump()
}

export interface TestKey {
  /** The public JWK with its kid, as a JWKS serves it. */
  publicJwk: JWK
  /** The same key with its private members, as a careless JWKS would serve it. */
  privateJwk: JWK
  /** RFC 7638 SHA-256 thumbprint. */
  thumbprint: string
}

/** A fresh key pair for a test (EC P-256 by default; RSA when a test needs d, p, q, dp, dq, qi). */
export async function makeTestKey(kid: string, type: 'ec' | 'rsa' = 'ec'): Promise<TestKey> {
  const {privateKey} =
    type === 'ec' ? generateKeyPairSync('ec', {namedCurve: 'P-256'}) : generateKeyPairSync('rsa', {modulusLength: 2048})
  const privateJwk = {...(privateKey.export({format: 'jwk'}) as JWK), kid}
  const {d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk} = privateJwk
  return {publicJwk, privateJwk, thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256')}
}
