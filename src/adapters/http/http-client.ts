// The one HTTP client under every JWKS, discovery and identity-provider call: node:http(s) on Node's
// keep-alive agents, one small attempt loop, and the policy jwkr needs during an incident — a
// deadline per attempt that covers redirects and the whole body, a bounded body, redirects only within
// the same scheme, which failures are sent again (429 always; no answer, 408 and 5xx only when
// resending cannot apply a change twice), and Retry-After (or the vendors' reset headers) honoured,
// capped or refused past a bound. It was fetch under ky: their Request, Response and stream objects
// cost ~3× the event-loop time of node:http per request, which bounded `services locate` (issue 18).
import {setMaxListeners} from 'node:events'
import http, {type IncomingMessage, type OutgoingHttpHeaders} from 'node:http'
import https from 'node:https'
import {pipeline, type Readable, type Transform} from 'node:stream'
import {setTimeout as sleepFor} from 'node:timers/promises'
import {constants, createBrotliDecompress, createGunzip, createInflate} from 'node:zlib'

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

interface Progress {
  attempts: number
  finalUrl: string
}

/**
 * Sends one request under the policy; resolves with the last answer (any status), or rejects with an
 * HttpFailure when none arrived. Other errors (from headersPerAttempt) pass through unchanged.
 *
 * @example const answer = await sendHttp({method: 'GET', url: new URL(jwksUri), headers: {}, resendable: true}, policy)
 */
export async function sendHttp(call: HttpCall, policy: HttpPolicy): Promise<HttpAnswer> {
  const sleep = policy.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, signal ? {signal} : undefined))
  const progress: Progress = {attempts: 0, finalUrl: call.url.href}
  try {
    for (let retry = 1; ; retry++) {
      const outcome = await attempt(call, await headersOf(call), policy, progress).catch((error: unknown) => {
        if (error instanceof HttpFailure) return error
        throw error
      })
      const wait = retry > policy.retries ? null : retryWait(outcome, retry, call.resendable, policy)
      if (wait === null) {
        if (outcome instanceof HttpFailure) throw outcome
        return outcome
      }
      await sleep(wait, call.signal)
    }
  } catch (error) {
    if (call.signal?.aborted) throw stamped(ABORTED(), progress)
    if (error instanceof HttpFailure) throw stamped(error, progress)
    throw error
  }
}

/** The call's headers and this attempt's, the attempt's replacing the call's. */
async function headersOf(call: HttpCall): Promise<Record<string, string>> {
  return requestHeaders(call.headers, call.headersPerAttempt ? await call.headersPerAttempt() : {})
}

/**
 * Headers to send: the codings decodedBody undoes, then each set in turn, names in lower case so
 * that a later set replaces an earlier one's value whatever the case it was written in.
 */
export function requestHeaders(...sets: Array<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = {'accept-encoding': 'gzip, deflate, br'}
  for (const set of sets) for (const [name, value] of Object.entries(set)) headers[name.toLowerCase()] = value
  return headers
}

/** How long to wait before the next attempt, or null for "do not retry". */
function retryWait(outcome: HttpAnswer | HttpFailure, retry: number, resendable: boolean, policy: HttpPolicy): number | null {
  if (outcome instanceof HttpFailure) {
    return outcome.retryable && resendable ? Math.min(backoffDelay(retry, policy.retryDelayMs), policy.maxRetryDelayMs) : null
  }
  const status = outcome.status
  if (status !== 429 && !(resendable && (status === 408 || status >= 500))) return null
  const asked = retryDelay(outcome.headers)
  if (asked !== null && asked > policy.maxRetryDelayMs && policy.longRetryAfter === 'give-up') return null
  return Math.min(asked ?? backoffDelay(retry, policy.retryDelayMs), policy.maxRetryDelayMs)
}

/**
 * One attempt: follows redirects within the scheme and reads the whole body under one deadline, so a
 * slow or endless body is a timeout of this attempt, retried like any other.
 */
async function attempt(
  call: HttpCall,
  headers: Record<string, string>,
  policy: HttpPolicy,
  progress: Progress,
): Promise<HttpAnswer> {
  progress.attempts++
  const attemptNumber = progress.attempts
  // One controller per attempt, aborted by the deadline or the caller: cheaper than AbortSignal.any of a timeout.
  const controller = new AbortController()
  let timedOut = false
  const deadline = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, policy.timeoutMs)
  const cancel = () => controller.abort()
  shareSignal(call.signal)
  call.signal?.addEventListener('abort', cancel, {once: true})
  let current = call.url
  let status: number | null = null
  try {
    if (call.signal?.aborted) throw ABORTED()
    let message = await exchange(current, call.method, headers, call.body, controller.signal)
    for (let redirects = 0; isRedirect(message.statusCode ?? 0) && policy.maxRedirects > 0; redirects++) {
      status = message.statusCode ?? 0
      message.resume()
      current = redirectTarget(current, message.headers.location ?? null, redirects, policy.maxRedirects, status)
      message = await exchange(current, call.method, headers, undefined, controller.signal)
    }
    status = message.statusCode ?? 0
    progress.finalUrl = current.href
    const body = await readCapped(message, policy.maxBytes, call.method)
    return {status, headers: headersOfMessage(message), body, finalUrl: current.href, attempts: attemptNumber}
  } catch (error) {
    progress.finalUrl = current.href
    if (error instanceof HttpFailure) throw error
    if (call.signal?.aborted) throw ABORTED()
    if (timedOut) throw new HttpFailure('timeout', `No complete answer within ${policy.timeoutMs} ms.`, true, status)
    throw networkFailure(error, status)
  } finally {
    clearTimeout(deadline)
    call.signal?.removeEventListener('abort', cancel)
  }
}

/**
 * Lets `signal` be listened to by any number of requests: a run's signal is shared by every request
 * in flight (64 at once in a locate), and Node's warning past 10 listeners ("Possible EventTarget
 * memory leak") would be printed on the responder's terminal for what is by design. Each request
 * removes its listener when it ends.
 */
export function shareSignal(signal: AbortSignal | undefined): void {
  if (signal) setMaxListeners(0, signal)
}

/**
 * Sends one request (no redirect followed, no retry) and resolves with the response's head; its body
 * is read by the caller, through decodedBody. `signal` ends the request and its body.
 */
export function exchange(
  url: URL,
  method: string,
  headers: OutgoingHttpHeaders,
  body: string | undefined,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    // Read from the module at each call, not imported by name: msw's interceptor patches these properties.
    const transport = url.protocol === 'https:' ? https : http
    const request = transport.request(url, {method: method.toUpperCase(), headers, signal}, resolve)
    request.on('error', reject)
    request.end(body)
  })
}

function headersOfMessage(message: IncomingMessage): Headers {
  const headers = new Headers()
  const raw = message.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string)
  return headers
}

function stamped(failure: HttpFailure, progress: Progress): HttpFailure {
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

/** Reads the body up to `maxBytes` after decoding; too-large (and the connection cut) as soon as it is larger. */
async function readCapped(message: IncomingMessage, maxBytes: number, method: string): Promise<Buffer> {
  const tooLarge = (): HttpFailure =>
    new HttpFailure('too-large', `The response is larger than ${describeBytes(maxBytes)}.`, false, message.statusCode ?? null)
  const declared = Number(message.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) {
    message.destroy()
    throw tooLarge()
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of decodedBody(message, method) as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > maxBytes) {
      message.destroy()
      throw tooLarge()
    }
    chunks.push(chunk)
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)
}

/**
 * The body as the server meant it: Content-Encoding undone in reverse order, as fetch does (an
 * unknown coding leaves the body as it came). Lenient flushing accepts a body cut at a block end.
 */
export function decodedBody(message: IncomingMessage, method: string): Readable {
  const status = message.statusCode ?? 0
  const codings = (message.headers['content-encoding'] ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '')
  if (codings.length === 0 || method.toUpperCase() === 'HEAD' || [101, 204, 205, 304].includes(status)) return message
  const flush = {flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH}
  const brotliFlush = {flush: constants.BROTLI_OPERATION_FLUSH, finishFlush: constants.BROTLI_OPERATION_FLUSH}
  const decoders: Transform[] = []
  for (const coding of codings.reverse()) {
    if (coding === 'gzip' || coding === 'x-gzip') decoders.push(createGunzip(flush))
    else if (coding === 'deflate') decoders.push(createInflate(flush))
    else if (coding === 'br') decoders.push(createBrotliDecompress(brotliFlush))
    else return message
  }
  // pipeline carries an error of any stage to the last one (whose reading then fails), and cleans up.
  pipeline([message, ...decoders], () => undefined)
  return decoders.at(-1) ?? message
}

/** Translates node:net, node:tls and node:http error codes into plain ones; only lasting failures are not retried. */
function networkFailure(error: unknown, status: number | null): HttpFailure {
  const {code, detail} = errorCode(error)
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
      return failure('connection-reset', 'The server closed the connection without an answer.', true)
    case 'ETIMEDOUT':
      return failure('timeout', 'The connection timed out.', true)
  }
  if (/^(CERT_|ERR_TLS_|ERR_SSL_)|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) {
    return failure('tls', `The TLS handshake failed (${code}).`, false)
  }
  return failure('network', `The request failed: ${code || detail}.`, true)
}

/** The code of a node:net, node:tls or node:http error ('' when none), and its message. */
export function errorCode(error: unknown): {code: string; detail: string} {
  // node:http's errors carry the code themselves; one wrapped by another layer keeps it in `cause`.
  const failed = error as {code?: unknown; message?: unknown; cause?: {code?: unknown; message?: unknown}} | null
  const source = typeof failed?.code === 'string' ? failed : (failed?.cause ?? failed)
  return {
    code: typeof source?.code === 'string' ? source.code : '',
    detail: typeof source?.message === 'string' ? source.message : String(error),
  }
}

export function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}
