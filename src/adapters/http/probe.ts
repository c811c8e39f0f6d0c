// Sends one canary token to a relying party's probe endpoint and says what came back: the status,
// a SHA-256 of the body, how long it took, or why nothing came. Never throws for a remote failure,
// never follows a redirect (a login page is not an answer about the token), never quotes the token.
import {createHash} from 'node:crypto'
import type {Readable} from 'node:stream'

import {anySignal} from 'any-signal'

import {decodedBody, errorCode, exchange, requestHeaders, shareSignal} from './http-client.js'

export const DEFAULT_PROBE_TIMEOUT_MS = 5000
/** Bodies are hashed up to this size; a probe answer is small, and a huge one is cut off. */
export const PROBE_MAX_BODY_BYTES = 1024 * 1024

export interface ProbeRequest {
  url: string
  method: string
  /** Extra headers from the inventory (never credentials: the inventory loader refuses them). */
  headers?: Record<string, string>
  /** The canary token, sent as `Authorization: Bearer`. */
  token: string
  timeoutMs?: number
  signal?: AbortSignal
}

export interface ProbeResponse {
  url: string
  method: string
  sentAt: Date
  httpStatus: number | null
  /** SHA-256 (hex) of the body bytes received (up to PROBE_MAX_BODY_BYTES); null when no answer came. */
  bodySha256: string | null
  /** The `WWW-Authenticate` header (control characters removed, at most 300 characters); null when absent. */
  wwwAuthenticate: string | null
  /** Why no answer came (timeout, refused, aborted…); null when one did. */
  error: string | null
  durationMs: number
}

/**
 * @example const {httpStatus} = await sendProbe({url: 'https://billing.example.com/api/me', method: 'GET', token})
 */
export async function sendProbe(request: ProbeRequest): Promise<ProbeResponse> {
  const sentAt = new Date()
  const started = performance.now()
  const timeoutMs = request.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS
  const timeout = AbortSignal.timeout(timeoutMs)
  // Not AbortSignal.any: on Node 20 each composite stays tied to the run's long-lived signal, so a long
  // `--until-contained` run grew by one per probe (nodejs/node#55351). any-signal's is let go in `finally`.
  shareSignal(request.signal)
  const signal = anySignal([timeout, request.signal])
  let wwwAuthenticate: string | null = null
  const answer = (httpStatus: number | null, bodySha256: string | null, error: string | null): ProbeResponse => ({
    url: request.url,
    method: request.method,
    sentAt,
    httpStatus,
    bodySha256,
    wwwAuthenticate,
    error,
    durationMs: Math.round(performance.now() - started),
  })
  // The canary last, so that no inventory header may stand beside or instead of it.
  const headers = requestHeaders({'user-agent': 'jwk-responder'}, request.headers ?? {}, {
    authorization: `Bearer ${request.token}`,
  })
  let status: number | null = null
  try {
    const message = await exchange(new URL(request.url), request.method, headers, undefined, signal)
    status = message.statusCode ?? null
    wwwAuthenticate = challengeOf(message.headers['www-authenticate'])
    return answer(status, await hashBody(decodedBody(message, request.method)), null)
  } catch (error) {
    if (request.signal?.aborted) return answer(status, null, 'the probe was cancelled')
    if (timeout.aborted) return answer(status, null, `no complete answer within ${timeoutMs} ms`)
    return answer(status, null, describeFailure(error))
  } finally {
    signal.clear()
  }
}

/** The service's challenge, as plain printable text: it is untrusted and ends up in reports. */
function challengeOf(value: string | undefined): string | null {
  if (value === undefined) return null
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 300)
}

/** SHA-256 of the first PROBE_MAX_BODY_BYTES; the rest is not read (leaving the loop ends the stream). */
async function hashBody(body: Readable): Promise<string> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = PROBE_MAX_BODY_BYTES - size
    hash.update(chunk.byteLength > room ? chunk.subarray(0, room) : chunk)
    size += chunk.byteLength
    if (size >= PROBE_MAX_BODY_BYTES) break
  }
  return hash.digest('hex')
}

function describeFailure(error: unknown): string {
  const {code} = errorCode(error)
  if (code === 'ECONNREFUSED') return 'the connection was refused: nothing listens there'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve (DNS)'
  if (code === 'ECONNRESET') return 'the server closed the connection without an answer'
  return `the request failed${code === '' ? '' : ` (${code})`}`
}
