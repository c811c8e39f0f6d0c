// The one HTTP client under every JWKS, discovery and identity-provider call: ky runs the attempts
// (the retry loop, its limit, the per-attempt hooks, HTTPError for a status worth retrying), and this
// module sets the policy jwkr needs during an incident — a deadline per attempt that covers redirects
// and the whole body, a bounded body, redirects only within the same scheme, which failures are sent
// again (429 always; no answer, 408 and 5xx only when resending cannot apply a change twice), and
// Retry-After (or the vendors' reset headers) honoured, capped or refused past a bound.
import {anySignal} from 'any-signal'
import ky, {HTTPError} from 'ky'
import {setTimeout as sleepFor} from 'node:timers/promises'

export interface HttpPolicy {
  /** Per attempt, covering connection, redirects and the whole body. */
  timeoutMs: number
  /** Largest body accepted, in bytes (after decompression); a larger one is `too-large`, never retried. */
  maxBytes: number
  /** Attempts after the first. */
  retries: number
  /** The first backoff delay when the server names none; it doubles on each retry, with jitter. */
  retryDelayMs: number
  /** The longest single wait. */
  maxRetryDelayMs: number
  /**
   * A server asking for a longer wait than maxRetryDelayMs: `cap` waits maxRetryDelayMs and retries;
   * `give-up` answers with that status at once, so the caller can say when to resume.
   */
  longRetryAfter: 'cap' | 'give-up'
  /** Redirects followed (same scheme only); 0 answers with the 3xx itself. */
  maxRedirects: number
  /** How a retry waits (injectable so tests need not wait). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** The transport; globalThis.fetch (read at each attempt, so msw's interception applies) by default. */
  fetch?: typeof globalThis.fetch
}

export interface HttpCall {
  method: string
  url: URL
  headers: Record<string, string>
  body?: string | undefined
  signal?: AbortSignal | undefined
  /**
   * Sending it again cannot apply it twice (a read, or a write carrying an Idempotency-Key the
   * service honours): only then is it retried after no answer, a 408 or a 5xx. A 429 is always retried.
   */
  resendable: boolean
  /** Headers resolved before each attempt (a client-credentials token may be fetched lazily). */
  headersPerAttempt?: () => Promise<Record<string, string>> | Record<string, string>
}

/** The last answer, whatever its status. */
export interface HttpAnswer {
  status: number
  headers: Headers
  body: Buffer
  /** The URL that answered, after redirects. */
  finalUrl: string
  attempts: number
}

export type HttpFailureCode =
  | 'aborted'
  | 'timeout'
  | 'connection-refused'
  | 'connection-reset'
  | 'dns'
  | 'tls'
  | 'network'
  | 'too-large'
  | 'redirect-scheme-change'
  | 'redirect-without-location'
  | 'too-many-redirects'

/** No usable answer arrived. The message is a sentence a responder can read; it never quotes a body. */
export class HttpFailure extends Error {
  constructor(
    readonly code: HttpFailureCode,
    message: string,
    readonly retryable: boolean,
    readonly status: number | null = null,
    public finalUrl = '',
    public attempts = 0,
  ) {
    super(message)
    this.name = 'HttpFailure'
  }
}

const ALL_METHODS = ['get', 'head', 'options', 'put', 'post', 'patch', 'delete', 'trace']

/**
 * Sends one request under the policy; resolves with the last answer (any status), or rejects with an
 * HttpFailure when none arrived. Other errors (from headersPerAttempt) pass through unchanged.
 *
 * @example const answer = await sendHttp({method: 'GET', url: new URL(jwksUri), headers: {}, resendable: true}, policy)
 */
export async function sendHttp(call: HttpCall, policy: HttpPolicy): Promise<HttpAnswer> {
  const sleep = policy.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, signal ? {signal} : undefined))
  const progress = {attempts: 0, finalUrl: call.url.href}
  const perAttempt = call.headersPerAttempt
  // ky ties its own signal to the one it is given with AbortSignal.any, which on Node 20 stays tied to
  // a long-lived caller signal (the run's) for good (nodejs/node#55351): it gets a signal of its own that
  // follows the caller's until this call is over.
  const signal = anySignal([call.signal])
  try {
    const response = await ky(call.url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      signal,
      redirect: 'manual',
      timeout: false, // the deadline lives in attempt(): ky's would stop at the headers, not cover the body
      throwHttpErrors: isRetryStatus,
      fetch: (request) => attempt(request as Request, signal, policy, progress),
      retry: {
        limit: policy.retries,
        methods: ALL_METHODS,
        delay: () => 0, // the wait happens in shouldRetry, through the injectable sleep
        shouldRetry: async ({error, retryCount}) => {
          const wait = retryWait(error, retryCount, call.resendable, policy)
          if (wait === null) return false
          await sleep(wait, signal)
          return true
        },
      },
      hooks: perAttempt
        ? {
            beforeRequest: [
              async (request) => {
                for (const [name, value] of Object.entries(await perAttempt())) request.headers.set(name, value)
              },
            ],
          }
        : {},
    })
    return await answerOf(response, progress)
  } catch (error) {
    if (error instanceof HTTPError) return answerOf(error.response, progress)
    if (call.signal?.aborted) throw stamped(ABORTED(), progress)
    if (error instanceof HttpFailure) throw stamped(error, progress)
    throw error
  } finally {
    signal.clear()
  }
}

/** Statuses worth another attempt, for some request: ky throws them so that its retry loop sees them. */
function isRetryStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

/** How long to wait before the next attempt, or null for "do not retry". */
function retryWait(error: Error, retry: number, resendable: boolean, policy: HttpPolicy): number | null {
  if (error instanceof HttpFailure) {
    return error.retryable && resendable ? Math.min(backoffDelay(retry, policy.retryDelayMs), policy.maxRetryDelayMs) : null
  }
  if (!(error instanceof HTTPError)) return null
  const status = error.response.status
  if (status !== 429 && !resendable) return null
  const asked = retryDelay(error.response.headers)
  if (asked !== null && asked > policy.maxRetryDelayMs && policy.longRetryAfter === 'give-up') return null
  return Math.min(asked ?? backoffDelay(retry, policy.retryDelayMs), policy.maxRetryDelayMs)
}

/**
 * One attempt, as ky's fetch: follows redirects within the scheme and reads the whole body under one
 * deadline, then hands ky a Response holding the bytes (so a slow or endless body is a timeout of this
 * attempt, retried like any other).
 */
async function attempt(
  request: Request,
  callerSignal: AbortSignal | undefined,
  policy: HttpPolicy,
  progress: {attempts: number; finalUrl: string},
): Promise<Response> {
  progress.attempts++
  const deadline = AbortSignal.timeout(policy.timeoutMs)
  // any-signal, cleared in `finally`, for the reason given in sendHttp.
  const signal = anySignal([request.signal, deadline])
  let current = new URL(request.url)
  let status: number | null = null
  const fetch = policy.fetch ?? globalThis.fetch
  try {
    let response = await fetch(request, {signal})
    for (let redirects = 0; isRedirect(response.status) && policy.maxRedirects > 0; redirects++) {
      status = response.status
      discard(response.body)
      current = redirectTarget(current, response.headers.get('location'), redirects, policy.maxRedirects, status)
      response = await fetch(current, {method: request.method, headers: request.headers, redirect: 'manual', signal})
    }
    status = response.status
    progress.finalUrl = current.href
    const body = await readCapped(response, policy.maxBytes)
    const empty = status === 204 || status === 205 || status === 304
    return new Response(empty ? null : body, {status, statusText: response.statusText, headers: response.headers})
  } catch (error) {
    progress.finalUrl = current.href
    if (error instanceof HttpFailure) throw error
    if (callerSignal?.aborted) throw ABORTED()
    if (deadline.aborted) throw new HttpFailure('timeout', `No complete answer within ${policy.timeoutMs} ms.`, true, status)
    throw networkFailure(error, status)
  } finally {
    signal.clear()
  }
}

async function answerOf(response: Response, progress: {attempts: number; finalUrl: string}): Promise<HttpAnswer> {
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
    finalUrl: progress.finalUrl,
    attempts: progress.attempts,
  }
}

function stamped(failure: HttpFailure, progress: {attempts: number; finalUrl: string}): HttpFailure {
  failure.finalUrl = progress.finalUrl
  failure.attempts = progress.attempts
  return failure
}

const ABORTED = (): HttpFailure => new HttpFailure('aborted', 'The request was cancelled.', false)

/**
 * Milliseconds to wait from a Retry-After header: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 *
 * @example parseRetryAfter('2') // → 2000
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? null : Math.max(0, date - now)
}

/** Milliseconds to wait before retrying: Retry-After, else the vendors' reset headers (epoch seconds). */
export function retryDelay(headers: Headers, now: number = Date.now()): number | null {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now)
  if (retryAfter !== null) return retryAfter
  // Auth0 sends x-ratelimit-reset, Okta x-rate-limit-reset: when the window resets, in epoch seconds.
  const reset = headers.get('x-ratelimit-reset') ?? headers.get('x-rate-limit-reset')
  if (reset !== null && /^\d+$/.test(reset.trim())) return Math.max(0, Number(reset) * 1000 - now)
  return null
}

/** Exponential backoff with jitter: half the doubled delay fixed, half random, so retries spread out. */
export function backoffDelay(retry: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** (retry - 1)
  return Math.round(exponential / 2 + (random() * exponential) / 2)
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308
}

/** The next URL of a redirect; another scheme is refused (it would let https fall to http). */
function redirectTarget(from: URL, location: string | null, redirects: number, max: number, status: number): URL {
  const refuse = (code: HttpFailureCode, message: string): HttpFailure => new HttpFailure(code, message, false, status)
  if (!location) throw refuse('redirect-without-location', 'A redirect came without a Location header.')
  let next: URL
  try {
    next = new URL(location, from)
  } catch {
    throw refuse('redirect-without-location', 'A redirect came with a Location that is not a URL.')
  }
  if (next.protocol !== from.protocol) {
    throw refuse(
      'redirect-scheme-change',
      `A redirect from ${from.protocol} to ${next.protocol} was refused: redirects are followed within the same scheme only.`,
    )
  }
  if (redirects >= max) throw refuse('too-many-redirects', `More than ${max} redirects.`)
  return next
}

/** Reads the body up to `maxBytes`; too-large (and the connection cut) as soon as it is larger. */
async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  const tooLarge = (): HttpFailure =>
    new HttpFailure('too-large', `The response is larger than ${describeBytes(maxBytes)}.`, false, response.status)
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(response.body)
    throw tooLarge()
  }
  if (!response.body) return Buffer.alloc(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const {done, value} = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      discard(reader)
      throw tooLarge()
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

/** Translates undici's `fetch failed` causes into plain codes; only lasting failures are not retried. */
function networkFailure(error: unknown, status: number | null): HttpFailure {
  const cause = (error as {cause?: {code?: unknown; message?: unknown}} | null)?.cause
  const code = typeof cause?.code === 'string' ? cause.code : ''
  const detail = typeof cause?.message === 'string' ? cause.message : String((error as Error)?.message ?? error)
  const failure = (kind: HttpFailureCode, message: string, retryable: boolean): HttpFailure =>
    new HttpFailure(kind, message, retryable, status)
  switch (code) {
    case 'ECONNREFUSED':
      return failure('connection-refused', 'The connection was refused: nothing listens there.', true)
    case 'ENOTFOUND':
      return failure('dns', 'The host name does not resolve (DNS).', false)
    case 'EAI_AGAIN':
      return failure('dns', 'The host name could not be resolved just now (DNS).', true)
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return failure('connection-reset', 'The server closed the connection without an answer.', true)
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return failure('timeout', 'The connection timed out.', true)
  }
  if (/^(CERT_|ERR_TLS_|ERR_SSL_)|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) {
    return failure('tls', `The TLS handshake failed (${code}).`, false)
  }
  return failure('network', `The request failed: ${code || detail}.`, true)
}

/**
 * Drops a body we will not read. Not awaited: the cancel of a body fetched through msw's interceptor
 * never settles (mswjs/interceptors#712, #799), and nothing here depends on when it does.
 */
function discard(stream: {cancel(): Promise<void>} | null): void {
  stream?.cancel().catch(() => undefined)
}

export function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}
