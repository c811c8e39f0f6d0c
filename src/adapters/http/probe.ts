// Sends one canary token to a relying party's probe endpoint and says what came back: the status,
// a SHA-256 of the body, how long it took, or why nothing came. Never throws for a remote failure,
// never follows a redirect (a login page is not an answer about the token), never quotes the token.
import {createHash} from 'node:crypto'

import {anySignal} from 'any-signal'

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
  const headers = new Headers({'user-agent': 'jwk-responder', ...request.headers})
  // Set, not appended: no inventory header may stand beside or instead of the canary.
  headers.set('authorization', `Bearer ${request.token}`)
  let status: number | null = null
  try {
    const response = await fetch(request.url, {method: request.method, redirect: 'manual', signal, headers})
    status = response.status
    wwwAuthenticate = challengeOf(response.headers)
    return answer(status, await hashBody(response), null)
  } catch (error) {
    if (request.signal?.aborted) return answer(status, null, 'the probe was cancelled')
    if (timeout.aborted) return answer(status, null, `no complete answer within ${timeoutMs} ms`)
    return answer(status, null, describeFailure(error))
  } finally {
    signal.clear()
  }
}

/** The service's challenge, as plain printable text: it is untrusted and ends up in reports. */
function challengeOf(headers: Headers): string | null {
  const value = headers.get('www-authenticate')
  if (value === null) return null
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 300)
}

async function hashBody(response: Response): Promise<string> {
  const hash = createHash('sha256')
  if (!response.body) return hash.digest('hex')
  const reader = response.body.getReader()
  let size = 0
  for (;;) {
    const {done, value} = await reader.read()
    if (done) break
    const room = PROBE_MAX_BODY_BYTES - size
    hash.update(value.byteLength > room ? value.subarray(0, room) : value)
    size += value.byteLength
    if (size >= PROBE_MAX_BODY_BYTES) {
      reader.cancel().catch(() => undefined)
      break
    }
  }
  return hash.digest('hex')
}

function describeFailure(error: unknown): string {
  const cause = (error as {cause?: {code?: unknown}} | null)?.cause
  const code = typeof cause?.code === 'string' ? cause.code : ''
  if (code === 'ECONNREFUSED') return 'the connection was refused: nothing listens there'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve (DNS)'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the server closed the connection without an answer'
  return `the request failed${code === '' ? '' : ` (${code})`}`
}
