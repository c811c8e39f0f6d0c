// The HTTP client every IdP adapter uses: one place for the timeout, the bounded 429 / 5xx retry
// (honouring Retry-After and the vendors' rate-limit reset headers), and the translation of error
// answers into JwkrErrors with our ERR_IDP_* codes. No message can carry a token or key material:
// everything is passed through the secret registry, and response bodies are never quoted whole.
import {STATUS_CODES} from 'node:http'

import {JwkrError, type ErrorCode} from '../../core/errors.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {HttpFailure, retryDelay, sendHttp, type HttpAnswer, type HttpPolicy} from '../http/http-client.js'

export interface IdpHttpSettings {
  /** Per attempt. Default 15 s. */
  timeoutMs?: number
  /** Retries after the first attempt on 429 (any method) and 5xx / network errors (GET and idempotent writes). Default 2. */
  retries?: number
  /** A wait longer than this is reported instead of waited for. Default 30 s. */
  maxRetryDelayMs?: number
  /** First backoff delay when the service names none. Default 500 ms. */
  retryDelayMs?: number
  /** Injectable for tests: how a retry waits. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

export interface IdpClientOptions {
  /** How messages name the service, e.g. "Auth0 Management API". */
  service: string
  /** API root without a trailing slash; request paths are appended to it. */
  baseUrl: string
  /** Authentication headers, resolved before each request (a client-credentials token may be fetched lazily). */
  auth: () => Promise<Record<string, string>> | Record<string, string>
  /** What to do when the credential is refused (401): names the environment variable. */
  authHint: string
  /** What to do when the credential lacks a permission (403): names the scopes or policy. */
  forbiddenHint: string
  /** Pulls the vendor's own message out of an error body (never a whole body). */
  errorMessage: (body: unknown) => string | undefined
  /** Maps a vendor's odd status to our code (Vault answers 400 for a named key that does not exist). */
  classify?: (status: number, body: unknown) => ErrorCode | undefined
  secrets: SecretRegistry
  http?: IdpHttpSettings
}

export interface IdpRequest {
  query?: Record<string, string>
  /** Sent as JSON. */
  json?: unknown
  /** Sent as is (form bodies); `contentType` says what it is. */
  body?: string
  contentType?: string
  headers?: Record<string, string>
  signal?: AbortSignal | undefined
  /** Statuses answered as a value instead of an error (e.g. 404 when checking that a thing is gone). */
  accept?: readonly number[]
  /** Skips the auth headers (a token endpoint). */
  anonymous?: boolean
  /**
   * The request carries an Idempotency-Key the service honours: sending it again after no answer
   * or a 5xx cannot apply it twice, so it is retried like a read.
   */
  idempotent?: boolean
}

export interface IdpResponse {
  status: number
  headers: Headers
  /** The parsed JSON body, or null when there is none. May hold secrets: never print it whole. */
  body: unknown
}

export interface IdpClient {
  readonly baseUrl: string
  request(method: string, path: string, options?: IdpRequest): Promise<IdpResponse>
}

const DEFAULTS = {timeoutMs: 15_000, retries: 2, maxRetryDelayMs: 30_000, retryDelayMs: 500}

/** The largest body read: key lists and vendor errors are a few kilobytes. */
const MAX_BODY_BYTES = 8 * 1024 * 1024
/** The largest error body parsed to find the vendor's message. */
const MAX_ERROR_BODY = 64 * 1024

/**
 * Builds the client for one service, on the shared HTTP client (adapters/http/http-client.ts).
 *
 * @example const client = createIdpClient({service: 'Okta API', baseUrl: 'https://example.okta.com', auth: () => ({authorization: `SSWS ${token}`}), …})
 */
export function createIdpClient(options: IdpClientOptions): IdpClient {
  const settings = {...DEFAULTS, ...definedOnly(options.http ?? {})}
  const policy: HttpPolicy = {
    timeoutMs: settings.timeoutMs,
    maxBytes: MAX_BODY_BYTES,
    retries: settings.retries,
    retryDelayMs: settings.retryDelayMs,
    maxRetryDelayMs: settings.maxRetryDelayMs,
    longRetryAfter: 'give-up', // a long rate limit is reported with the time to resume, not slept through
    maxRedirects: 0,
    ...(options.http?.sleep ? {sleep: options.http.sleep} : {}),
  }
  const baseUrl = options.baseUrl.replace(/\/+$/, '')

  async function request(method: string, path: string, call: IdpRequest = {}): Promise<IdpResponse> {
    const url = new URL(`${baseUrl}${path}`)
    for (const [name, value] of Object.entries(call.query ?? {})) url.searchParams.set(name, value)
    const endpoint = `${method} ${url.pathname}`
    const headers: Record<string, string> = {accept: 'application/json', 'user-agent': 'jwk-responder', ...call.headers}
    let body: string | undefined
    if (call.json !== undefined) {
      body = JSON.stringify(call.json)
      headers['content-type'] = 'application/json'
    } else if (call.body !== undefined) {
      body = call.body
      headers['content-type'] = call.contentType ?? 'application/octet-stream'
    }
    let answer: HttpAnswer
    try {
      answer = await sendHttp(
        {
          method,
          url,
          headers,
          body,
          signal: call.signal,
          // A request that never got an answer may have been applied: only reads and idempotent writes are sent again.
          resendable: method === 'GET' || call.idempotent === true,
          ...(call.anonymous ? {} : {headersPerAttempt: options.auth}),
        },
        policy,
      )
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error
      if (error.code === 'aborted') throw aborted(options.service, endpoint)
      if (error.code === 'too-large') throw badResponse(options, endpoint, error.status, error.message)
      throw unavailable(options, endpoint, lowerSentence(error.message))
    }
    const {status, headers: answered} = answer
    const text = answer.body.toString('utf8')
    if (status >= 200 && status <= 299) return {status, headers: answered, body: parseBody(text, options, endpoint, status)}
    const errorBody = parseErrorBody(text)
    if (call.accept?.includes(status)) return {status, headers: answered, body: errorBody}
    const vendorMessage = safeMessage(options, errorBody)
    throw translate(options, endpoint, status, answered, vendorMessage, options.classify?.(status, errorBody))
  }

  return {baseUrl, request}
}

/** "No answer within 300 ms." → "no answer within 300 ms", to sit after a colon. */
function lowerSentence(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1).replace(/\.$/, '')
}

function translate(
  options: IdpClientOptions,
  endpoint: string,
  status: number,
  headers: Headers,
  vendorMessage: string | undefined,
  classified: ErrorCode | undefined,
): JwkrError {
  const {secrets, service} = options
  const said = vendorMessage ? `: ${vendorMessage}` : ''
  const base = `${service} answered ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd() + ` to ${endpoint}${said}`
  const details = {status, endpoint, service}
  const fail = (code: ErrorCode, hint: string, extra: Record<string, unknown> = {}) =>
    new JwkrError(code, secrets.redact(base), {hint: secrets.redact(hint), details: {...details, ...extra}})
  const code = classified ?? codeOf(status)
  if (code === 'ERR_IDP_AUTH') return fail('ERR_IDP_AUTH', options.authHint)
  if (code === 'ERR_IDP_FORBIDDEN') return fail('ERR_IDP_FORBIDDEN', options.forbiddenHint)
  if (code === 'ERR_IDP_NOT_FOUND') {
    return fail(
      'ERR_IDP_NOT_FOUND',
      "Check the issuer's keySource in the inventory (domain, realm, server or key name) and that the key still exists.",
    )
  }
  if (code === 'ERR_IDP_CONFLICT')
    return fail('ERR_IDP_CONFLICT', 'Something changed the same resource meanwhile: list the keys again, then resume.')
  if (code === 'ERR_IDP_RATE_LIMITED') {
    const delay = retryDelay(headers)
    const when = delay === null ? 'in a minute' : `after ${new Date(Date.now() + delay).toISOString()}`
    return fail('ERR_IDP_RATE_LIMITED', `The service is rate limiting jwkr: resume ${when} (jwkr incident resume).`, {
      retryAfterMs: delay,
    })
  }
  if (code === 'ERR_IDP_UNAVAILABLE')
    return fail('ERR_IDP_UNAVAILABLE', `${service} is failing: check its status page, then resume.`)
  return fail(
    code,
    `${service} refused the request as sent: this is likely a jwkr bug or an API change; report it with the message above.`,
  )
}

function codeOf(status: number): ErrorCode {
  if (status === 401) return 'ERR_IDP_AUTH'
  if (status === 403) return 'ERR_IDP_FORBIDDEN'
  if (status === 404) return 'ERR_IDP_NOT_FOUND'
  if (status === 409) return 'ERR_IDP_CONFLICT'
  if (status === 429) return 'ERR_IDP_RATE_LIMITED'
  if (status >= 500) return 'ERR_IDP_UNAVAILABLE'
  return 'ERR_IDP_REJECTED'
}

function unavailable(options: IdpClientOptions, endpoint: string, reason: string): JwkrError {
  return new JwkrError(
    'ERR_IDP_UNAVAILABLE',
    options.secrets.redact(`${options.service} did not answer ${endpoint}: ${reason}.`),
    {
      hint: `Check the address (${options.baseUrl}) and the network, then resume.`,
      details: {status: null, endpoint, service: options.service},
    },
  )
}

function aborted(service: string, endpoint: string): JwkrError {
  return new JwkrError('ERR_ABORTED', `Cancelled while waiting for ${service} (${endpoint}).`, {
    hint: 'Resume the incident to carry on.',
  })
}

function parseBody(text: string, options: IdpClientOptions, endpoint: string, status: number): unknown {
  if (text.trim() === '') return null
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw badResponse(options, endpoint, status, `a body that is not JSON (${Buffer.byteLength(text)} bytes).`)
  }
}

function badResponse(options: IdpClientOptions, endpoint: string, status: number | null, problem: string): JwkrError {
  return new JwkrError('ERR_IDP_BAD_RESPONSE', `${options.service} answered ${endpoint} with ${lowerSentence(problem)}.`, {
    hint: `Check that ${options.baseUrl} is the service's API root.`,
    details: {status, endpoint, service: options.service},
  })
}

function parseErrorBody(text: string): unknown {
  try {
    return JSON.parse(text.slice(0, MAX_ERROR_BODY)) as unknown
  } catch {
    return null
  }
}

/** The vendor's message, redacted and cut short: error bodies can echo what was sent. */
function safeMessage(options: IdpClientOptions, body: unknown): string | undefined {
  const message = options.errorMessage(body)
  if (message === undefined || message.trim() === '') return undefined
  const clean = options.secrets.redact(message.replace(/\s+/g, ' ').trim())
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean
}

/** Reads the first string found at the given paths of a JSON body. */
export function firstString(body: unknown, ...paths: string[][]): string | undefined {
  for (const path of paths) {
    let value: unknown = body
    for (const part of path) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined
    }
    if (typeof value === 'string' && value !== '') return value
  }
  return undefined
}

/**
 * The credential an adapter needs, from the environment only; registered as a secret at once.
 * A missing one is an error naming the variable.
 */
export function requireCredential(
  env: Record<string, string | undefined>,
  name: string,
  purpose: string,
  secrets: SecretRegistry,
): string {
  const value = env[name]?.trim()
  if (value === undefined || value === '') {
    throw new JwkrError('ERR_IDP_CREDENTIALS_MISSING', `No credential for ${purpose}: ${name} is not set.`, {
      hint: `export ${name}=… (credentials come from the environment, never from the inventory).`,
      details: {variable: name},
    })
  }
  secrets.add(value)
  return value
}

/** `https://` + a bare domain, or the URL as given (drills and tests use http on loopback). */
export function originOf(domainOrUrl: string, label: string): string {
  const text = /^https?:\/\//i.test(domainOrUrl) ? domainOrUrl : `https://${domainOrUrl}`
  try {
    return new URL(text).toString().replace(/\/+$/, '')
  } catch {
    throw new JwkrError(
      'ERR_KEY_SOURCE_INVALID',
      `The inventory's ${label} is not a domain or URL: ${JSON.stringify(domainOrUrl)}.`,
      {
        hint: `Write it as a host name (example.com) or an https URL.`,
      },
    )
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
