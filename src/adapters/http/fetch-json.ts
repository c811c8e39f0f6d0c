// The one fetcher for every JWKS and discovery document jwkr reads. Remote endpoints are hostile or
// broken during an incident, so it bounds everything (time, size, redirects, retries) and answers
// with a result object instead of throwing: an unreachable endpoint is a finding, not a crash.
import {STATUS_CODES} from 'node:http'
import {setTimeout as sleep} from 'node:timers/promises'

import {describeNesting, nestingProblem} from '../../core/nesting.js'

export const DEFAULT_TIMEOUT_MS = 5000
export const DEFAULT_MAX_BYTES = 1024 * 1024
export const DEFAULT_RETRIES = 2
export const DEFAULT_RETRY_DELAY_MS = 250
export const DEFAULT_MAX_RETRY_DELAY_MS = 10_000
export const DEFAULT_MAX_REDIRECTS = 5

/** Why a fetch failed, in words a responder can read in a table. */
export type FetchErrorCode =
  | 'bad-url'
  | 'aborted'
  | 'timeout'
  | 'connection-refused'
  | 'connection-reset'
  | 'dns'
  | 'tls'
  | 'network'
  | 'too-large'
  | 'not-json'
  | 'too-deep'
  | 'redirect-scheme-change'
  | 'redirect-without-location'
  | 'too-many-redirects'
  | `http-${number}`

export interface FetchError {
  code: FetchErrorCode
  message: string
}

export interface FetchJsonResult {
  /** The URL asked for. */
  url: string
  /** The URL that answered, after redirects. */
  finalUrl: string
  ok: boolean
  /** The status of the last response, or null when none arrived. */
  httpStatus: number | null
  error: FetchError | null
  /** The parsed JSON document (null unless ok). May hold secrets: never print it. */
  body: unknown
  /** Wall time of all attempts and waits. */
  durationMs: number
  attempts: number
}

export interface FetchJsonOptions {
  /** Per attempt, covering connection, redirects and the whole body. */
  timeoutMs?: number
  /** Largest body accepted, in bytes (after decompression). */
  maxBytes?: number
  /** Retries after the first attempt, on 5xx, 408, 429, timeouts and network errors. */
  retries?: number
  /** The first backoff delay; it doubles on each retry, with jitter. */
  retryDelayMs?: number
  /** The longest single wait, whether from backoff or from Retry-After. */
  maxRetryDelayMs?: number
  maxRedirects?: number
  signal?: AbortSignal
  headers?: Record<string, string>
}

interface Settings {
  timeoutMs: number
  maxBytes: number
  retries: number
  retryDelayMs: number
  maxRetryDelayMs: number
  maxRedirects: number
  signal: AbortSignal | undefined
  headers: Record<string, string>
}

interface Attempt {
  finalUrl: string
  httpStatus: number | null
  error: FetchError | null
  body: unknown
  retryable: boolean
  retryAfterMs: number | null
}

/**
 * Fetches a JSON document with a timeout, a size cap, same-scheme redirects and retries.
 * Never throws for a remote failure: the result says what went wrong.
 *
 * @example const {ok, body, error} = await fetchJson('https://auth.example.com/jwks', {timeoutMs: 2000})
 */
export async function fetchJson(url: string, options: FetchJsonOptions = {}): Promise<FetchJsonResult> {
  const settings = settingsOf(options)
  const started = performance.now()
  let attempts = 0
  let attempt: Attempt
  for (;;) {
    attempts++
    attempt = await attemptOnce(url, settings)
    if (!attempt.retryable || attempts > settings.retries) break
    const wait = Math.min(attempt.retryAfterMs ?? backoffDelay(attempts, settings.retryDelayMs), settings.maxRetryDelayMs)
    try {
      await sleep(wait, undefined, settings.signal ? {signal: settings.signal} : undefined)
    } catch {
      attempt = failure(attempt.finalUrl, attempt.httpStatus, ABORTED)
      break
    }
  }
  return {
    url,
    finalUrl: attempt.finalUrl,
    ok: attempt.error === null,
    httpStatus: attempt.httpStatus,
    error: attempt.error,
    body: attempt.error === null ? attempt.body : null,
    durationMs: Math.round(performance.now() - started),
    attempts,
  }
}

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

/** Exponential backoff with jitter: half the doubled delay fixed, half random, so retries spread out. */
export function backoffDelay(retry: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** (retry - 1)
  return Math.round(exponential / 2 + (random() * exponential) / 2)
}

function settingsOf(options: FetchJsonOptions): Settings {
  return {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    retries: options.retries ?? DEFAULT_RETRIES,
    retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    maxRetryDelayMs: options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS,
    maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
    signal: options.signal,
    headers: {accept: 'application/json, application/jwk-set+json', 'user-agent': 'jwk-responder', ...options.headers},
  }
}

async function attemptOnce(url: string, settings: Settings): Promise<Attempt> {
  let current: URL
  try {
    current = new URL(url)
  } catch {
    return failure(url, null, {code: 'bad-url', message: 'The URL is not valid.'})
  }
  if (current.protocol !== 'https:' && current.protocol !== 'http:') {
    return failure(url, null, {code: 'bad-url', message: `Only http and https URLs can be fetched, not ${current.protocol}.`})
  }
  if (settings.signal?.aborted) return failure(url, null, ABORTED)
  const timeout = AbortSignal.timeout(settings.timeoutMs)
  const signal = settings.signal ? AbortSignal.any([timeout, settings.signal]) : timeout
  let response: Response | undefined
  try {
    for (let redirects = 0; ; redirects++) {
      response = await fetch(current, {redirect: 'manual', signal, headers: settings.headers})
      const status = response.status
      if (isRedirect(response.status)) {
        discard(response.body)
        const next = redirectTarget(current, response.headers.get('location'), redirects, settings.maxRedirects)
        if ('code' in next) return failure(current.href, status, next)
        current = next
        continue
      }
      if (!response.ok) {
        discard(response.body)
        const error: FetchError = {code: `http-${status}`, message: `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trim()}
        const retryable = status >= 500 || status === 429 || status === 408
        return failure(current.href, status, error, retryable, parseRetryAfter(response.headers.get('retry-after')))
      }
      const text = await readCapped(response, settings.maxBytes)
      if (text === null) {
        return failure(current.href, status, {
          code: 'too-large',
          message: `The response is larger than ${describeBytes(settings.maxBytes)}.`,
        })
      }
      const parsed = parseJson(text, response.headers.get('content-type'))
      if ('code' in parsed) return failure(current.href, status, parsed)
      return {finalUrl: current.href, httpStatus: status, error: null, body: parsed.value, retryable: false, retryAfterMs: null}
    }
  } catch (error) {
    const status = response?.status ?? null
    if (settings.signal?.aborted) return failure(current.href, status, ABORTED)
    if (timeout.aborted) {
      return failure(
        current.href,
        status,
        {code: 'timeout', message: `No complete answer within ${settings.timeoutMs} ms.`},
        true,
      )
    }
    const {retryable, ...cause} = networkFailure(error)
    return failure(current.href, status, cause, retryable)
  }
}

const ABORTED: FetchError = {code: 'aborted', message: 'The request was cancelled.'}

function failure(
  finalUrl: string,
  httpStatus: number | null,
  error: FetchError,
  retryable = false,
  retryAfterMs: number | null = null,
): Attempt {
  return {finalUrl, httpStatus, error: {...error}, body: null, retryable, retryAfterMs}
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308
}

/** The next URL of a redirect, or why it is not followed (another scheme would let https fall to http). */
function redirectTarget(from: URL, location: string | null, redirects: number, max: number): URL | FetchError {
  if (!location) return {code: 'redirect-without-location', message: 'A redirect came without a Location header.'}
  let next: URL
  try {
    next = new URL(location, from)
  } catch {
    return {code: 'redirect-without-location', message: 'A redirect came with a Location that is not a URL.'}
  }
  if (next.protocol !== from.protocol) {
    return {
      code: 'redirect-scheme-change',
      message: `A redirect from ${from.protocol} to ${next.protocol} was refused: redirects are followed within the same scheme only.`,
    }
  }
  if (redirects >= max) return {code: 'too-many-redirects', message: `More than ${max} redirects.`}
  return next
}

/** Reads the body up to `maxBytes`; null (and the connection cut) as soon as it is larger. */
async function readCapped(response: Response, maxBytes: number): Promise<string | null> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(response.body)
    return null
  }
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const {done, value} = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      discard(reader)
      return null
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Parses JSON without ever quoting the body (it may hold key material) in the error. */
function parseJson(text: string, contentType: string | null): {value: unknown} | FetchError {
  const trimmed = text.replace(/^\uFEFF/, '').trim()
  const what = `${contentType ?? 'no content type'}, ${Buffer.byteLength(text)} bytes`
  if (trimmed === '') return {code: 'not-json', message: `The response is empty (${what}).`}
  let value: unknown
  try {
    value = JSON.parse(trimmed)
  } catch (error) {
    const position = /position (\d+)/.exec(String((error as Error).message))
    const where = position ? ` at position ${position[1]}` : ''
    return {code: 'not-json', message: `The response is not valid JSON${where} (${what}).`}
  }
  // Everything after this walks the document recursively (hashing it, reading keys, redacting).
  const nesting = nestingProblem(value)
  if (nesting) return {code: 'too-deep', message: `The response ${describeNesting(nesting)} (${what}).`}
  return {value}
}

/** Translates undici's `fetch failed` causes into plain codes; only lasting failures are not retried. */
function networkFailure(error: unknown): FetchError & {retryable: boolean} {
  const cause = (error as {cause?: {code?: unknown; message?: unknown}} | null)?.cause
  const code = typeof cause?.code === 'string' ? cause.code : ''
  const detail = typeof cause?.message === 'string' ? cause.message : String((error as Error)?.message ?? error)
  switch (code) {
    case 'ECONNREFUSED':
      return {code: 'connection-refused', message: 'The connection was refused: nothing listens there.', retryable: true}
    case 'ENOTFOUND':
      return {code: 'dns', message: 'The host name does not resolve (DNS).', retryable: false}
    case 'EAI_AGAIN':
      return {code: 'dns', message: 'The host name could not be resolved just now (DNS).', retryable: true}
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return {code: 'connection-reset', message: 'The server closed the connection without an answer.', retryable: true}
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return {code: 'timeout', message: 'The connection timed out.', retryable: true}
  }
  if (/^(CERT_|ERR_TLS_|ERR_SSL_)|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) {
    return {code: 'tls', message: `The TLS handshake failed (${code}).`, retryable: false}
  }
  return {code: 'network', message: `The request failed: ${code || detail}.`, retryable: true}
}

/**
 * Drops a body we will not read. Not awaited: the cancel of a body fetched through msw's interceptor
 * never settles (mswjs/interceptors#712, #799), and nothing here depends on when it does.
 */
function discard(stream: {cancel(): Promise<void>} | null): void {
  stream?.cancel().catch(() => undefined)
}

function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}
