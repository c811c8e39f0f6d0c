// The HTTP client every IdP adapter uses: one place for the timeout, the bounded 429 / 5xx retry
// (honouring Retry-After and the vendors' rate-limit reset headers), and the translation of error
// answers into JwkrErrors with our ERR_IDP_* codes. No message can carry a token or key material:
// everything is passed through the secret registry, and response bodies are never quoted whole.
import {STATUS_CODES} from 'node:http'
import {setTimeout as sleepFor} from 'node:timers/promises'

import {JwkrError, type ErrorCode} from '../../core/errors.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {backoffDelay, parseRetryAfter} from '../http/fetch-json.js'

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
  fetch?: typeof globalThis.fetch
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

/** The largest error body read to find the vendor's message. */
const MAX_ERROR_BODY = 64 * 1024

/**
 * Builds the client for one service.
 *
 * @example const client = createIdpClient({service: 'Okta API', baseUrl: 'https://example.okta.com', auth: () => ({authorization: `SSWS ${token}`}), …})
 */
export function createIdpClient(options: IdpClientOptions): IdpClient {
  const settings = {...DEFAULTS, ...definedOnly(options.http ?? {})}
  const sleep =
    options.http?.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, signal ? {signal} : undefined))
  const doFetch = options.fetch ?? globalThis.fetch
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
    const resendable = method === 'GET' || call.idempotent === true
    for (let attempt = 0; ; attempt++) {
      if (call.signal?.aborted) throw aborted(options.service, endpoint)
      const auth = call.anonymous ? {} : await options.auth()
      const outcome = await attemptOnce(url, {method, headers: {...headers, ...auth}, body}, call.signal)
      if ('error' in outcome) {
        // A request that never got an answer may have been applied: only reads and idempotent writes are sent again.
        if (outcome.error === 'aborted') throw aborted(options.service, endpoint)
        if (resendable && attempt < settings.retries) {
          await wait(backoffDelay(attempt + 1, settings.retryDelayMs), call.signal, endpoint)
          continue
        }
        throw unavailable(options, endpoint, outcome.message)
      }
      const response = outcome.response
      if (response.ok)
        return {status: response.status, headers: response.headers, body: await readJson(response, options, endpoint)}
      if (call.accept?.includes(response.status)) {
        return {status: response.status, headers: response.headers, body: await readErrorBody(response)}
      }
      const errorBody = await readErrorBody(response)
      const vendorMessage = safeMessage(options, errorBody)
      const retryable = response.status === 429 || (response.status >= 500 && resendable)
      if (retryable && attempt < settings.retries) {
        const delay = retryDelay(response.headers) ?? backoffDelay(attempt + 1, settings.retryDelayMs)
        if (delay <= settings.maxRetryDelayMs) {
          await wait(delay, call.signal, endpoint)
          continue
        }
      }
      throw translate(
        options,
        endpoint,
        response.status,
        response.headers,
        vendorMessage,
        options.classify?.(response.status, errorBody),
      )
    }
  }

  async function attemptOnce(
    url: URL,
    init: {method: string; headers: Record<string, string>; body: string | undefined},
    signal: AbortSignal | undefined,
  ): Promise<{response: Response} | {error: 'aborted' | 'timeout' | 'network'; message: string}> {
    const timeout = AbortSignal.timeout(settings.timeoutMs)
    const combined = signal ? AbortSignal.any([timeout, signal]) : timeout
    try {
      return {response: await doFetch(url, {...init, redirect: 'manual', signal: combined})}
    } catch (error) {
      if (signal?.aborted) return {error: 'aborted', message: 'cancelled'}
      if (timeout.aborted) return {error: 'timeout', message: `no answer within ${settings.timeoutMs} ms`}
      const cause = (error as {cause?: {code?: unknown}} | null)?.cause
      return {error: 'network', message: `the request failed (${typeof cause?.code === 'string' ? cause.code : 'network error'})`}
    }
  }

  async function wait(ms: number, signal: AbortSignal | undefined, endpoint: string): Promise<void> {
    try {
      await sleep(ms, signal)
    } catch {
      throw aborted(options.service, endpoint)
    }
  }

  return {baseUrl, request}
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

async function readJson(response: Response, options: IdpClientOptions, endpoint: string): Promise<unknown> {
  const text = await response.text()
  if (text.trim() === '') return null
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new JwkrError(
      'ERR_IDP_BAD_RESPONSE',
      `${options.service} answered ${endpoint} with a body that is not JSON (${Buffer.byteLength(text)} bytes).`,
      {
        hint: `Check that ${options.baseUrl} is the service's API root.`,
        details: {status: response.status, endpoint, service: options.service},
      },
    )
  }
}

async function readErrorBody(response: Response): Promise<unknown> {
  const text = (await response.text()).slice(0, MAX_ERROR_BODY)
  try {
    return JSON.parse(text) as unknown
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
