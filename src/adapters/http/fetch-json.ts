// The one fetcher for every JWKS and discovery document jwkr reads. Remote endpoints are hostile or
// broken during an incident, so it bounds everything (time, size, redirects, retries) and answers
// with a result object instead of throwing: an unreachable endpoint is a finding, not a crash.
import {STATUS_CODES} from 'node:http'

import {describeNesting, nestingProblem} from '../../core/nesting.js'
import {HttpFailure, sendHttp, type HttpAnswer, type HttpFailureCode, type HttpPolicy} from './http-client.js'

export const DEFAULT_TIMEOUT_MS = 5000
export const DEFAULT_MAX_BYTES = 1024 * 1024
export const DEFAULT_RETRIES = 2
export const DEFAULT_RETRY_DELAY_MS = 250
export const DEFAULT_MAX_RETRY_DELAY_MS = 10_000
export const DEFAULT_MAX_REDIRECTS = 5

/** Why a fetch failed, in words a responder can read in a table. */
export type FetchErrorCode = HttpFailureCode | 'bad-url' | 'not-json' | 'too-deep' | `http-${number}`

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

/**
 * Fetches a JSON document with a timeout, a size cap, same-scheme redirects and retries (the shared
 * HTTP client). Never throws for a remote failure: the result says what went wrong.
 *
 * @example const {ok, body, error} = await fetchJson('https://auth.example.com/jwks', {timeoutMs: 2000})
 */
export async function fetchJson(url: string, options: FetchJsonOptions = {}): Promise<FetchJsonResult> {
  const started = performance.now()
  const done = (
    finalUrl: string,
    httpStatus: number | null,
    attempts: number,
    outcome: {error: FetchError} | {body: unknown},
  ): FetchJsonResult => ({
    url,
    finalUrl,
    ok: !('error' in outcome),
    httpStatus,
    error: 'error' in outcome ? {...outcome.error} : null,
    body: 'error' in outcome ? null : outcome.body,
    durationMs: Math.round(performance.now() - started),
    attempts,
  })
  const target = httpUrl(url)
  if ('code' in target) return done(url, null, 0, {error: target})
  let answer: HttpAnswer
  try {
    answer = await sendHttp(
      {
        method: 'GET',
        url: target,
        headers: {accept: 'application/json, application/jwk-set+json', 'user-agent': 'jwk-responder', ...options.headers},
        signal: options.signal,
        resendable: true,
      },
      policyOf(options),
    )
  } catch (error) {
    if (!(error instanceof HttpFailure)) throw error
    return done(error.finalUrl, error.status, error.attempts, {error: {code: error.code, message: error.message}})
  }
  const {status, finalUrl, attempts} = answer
  if (status < 200 || status > 299) {
    return done(finalUrl, status, attempts, {
      error: {code: `http-${status}`, message: `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trim()},
    })
  }
  const parsed = parseJson(answer.body.toString('utf8'), answer.headers.get('content-type'))
  return done(finalUrl, status, attempts, 'code' in parsed ? {error: parsed} : {body: parsed.value})
}

function policyOf(options: FetchJsonOptions): HttpPolicy {
  return {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    retries: options.retries ?? DEFAULT_RETRIES,
    retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    maxRetryDelayMs: options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS,
    longRetryAfter: 'cap',
    maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
  }
}

function httpUrl(url: string): URL | FetchError {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return {code: 'bad-url', message: 'The URL is not valid.'}
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return {code: 'bad-url', message: `Only http and https URLs can be fetched, not ${parsed.protocol}.`}
  }
  return parsed
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
