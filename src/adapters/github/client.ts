// The one place that builds a GitHub REST client (Octokit with the throttling and retry plugins).
// Every GitHub adapter (code search, tracking issues, pull requests) takes the client it returns,
// so tests inject a fetch, switch retries off and shrink the waits, and every request error leaves
// the client already translated into a JwkrError (errors.ts). Reads are retried blind; a write never
// is: GitHub may have applied it before answering 5xx (or not at all), so a write is sent again only
// when the caller's `request.reconcile` looked for its result first and found nothing.
import {setTimeout as sleep} from 'node:timers/promises'

import {retry} from '@octokit/plugin-retry'
import {throttling} from '@octokit/plugin-throttling'
import {Octokit} from '@octokit/rest'
import Bottleneck from 'bottleneck'

import {JwkrError} from '../../core/errors.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {GITHUB_TOKEN_HINT, toGitHubError} from './errors.js'

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com'

/** Octokit's logger shape; the client never logs unless given one. */
export interface GitHubLog {
  debug: (message: string, ...rest: unknown[]) => void
  info: (message: string, ...rest: unknown[]) => void
  warn: (message: string, ...rest: unknown[]) => void
  error: (message: string, ...rest: unknown[]) => void
}

export interface GitHubThrottleOptions {
  /** Milliseconds per second of `retry-after` / `x-ratelimit-reset` (and of the 5xx backoff). Tests use 1. */
  retryAfterBaseMs?: number
  /**
   * Gap between two search requests (default 0). Code search on github.com allows 10 requests a
   * minute; rather than pace every server (GitHub Enterprise and drills have no such limit), the
   * client runs into the limit and waits for its `x-ratelimit-reset`, which is at most a minute away.
   */
  searchIntervalMs?: number
  /** Gap between two write requests (GitHub's best practices ask for one second). */
  writeIntervalMs?: number
  /** A rate limit that resets later than this is reported, not waited for (a responder should not stare at a silent hour). */
  maxWaitSeconds?: number
}

export interface GitHubClientOptions {
  token: string | undefined
  /** REST API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server and drills. */
  baseUrl?: string | undefined
  /** How often a rate-limited, 5xx or failed request is tried again; 0 turns retrying off. Default 3. */
  retries?: number
  throttle?: GitHubThrottleOptions
  /** Registry the token is added to before anything can fail. */
  secrets: SecretRegistry
  fetch?: typeof globalThis.fetch
  /**
   * The deadline of one request, answer body included (default 30 s): a GitHub that accepts the
   * connection and never answers must not hang the run. A write that timed out is reconciled like a 5xx.
   */
  timeoutMs?: number
  log?: Partial<GitHubLog>
}

export interface GitHubSettings {
  token: string | undefined
  baseUrl: string
  throttle?: {writeIntervalMs: number}
}

// The plugins add options (retry, throttle), no methods: the client's type is Octokit's own.
const JwkrOctokit: typeof Octokit = Octokit.plugin(retry, throttling)

export type GitHubClient = Octokit

/**
 * Looks for the result of a write that may have been applied although GitHub answered 5xx or not at
 * all (an issue or comment found by its hidden marker): the created item, or undefined. Passed as
 * `request: {reconcile}` with the write; the write is sent again only when it finds nothing.
 *
 * @example await client.rest.issues.create({owner, repo, title, body, request: {reconcile: () => findByMarker()}})
 */
export type ReconcileWrite = () => Promise<unknown>

/** Thirty seconds per request: GitHub answers most calls in well under a second. */
const DEFAULT_TIMEOUT_MS = 30_000

/** A fetch that aborts the request (and the reading of its body) once `timeoutMs` has passed. */
function withDeadline(fetch: typeof globalThis.fetch, timeoutMs: number): typeof globalThis.fetch {
  return (input, init) => {
    const deadline = AbortSignal.timeout(timeoutMs)
    return fetch(input, {...init, signal: init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline})
  }
}

/** Methods that change nothing: sent again blind when they fail. */
const READS = new Set(['GET', 'HEAD'])

const DEFAULTS = {
  retries: 3,
  retryAfterBaseMs: 1000,
  searchIntervalMs: 0,
  writeIntervalMs: 1000,
  maxWaitSeconds: 120,
}

/** `GITHUB_TOKEN` and `GITHUB_API_URL` (default https://api.github.com) from the environment. */
export function githubSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): GitHubSettings {
  const token = env.GITHUB_TOKEN?.trim()
  const baseUrl = env.GITHUB_API_URL?.trim()
  // GitHub asks for a second between writes; a drill's fake GitHub does not need it.
  const writeInterval = Number(env.JWKR_GITHUB_WRITE_INTERVAL_MS)
  return {
    token: token === '' ? undefined : token,
    baseUrl: baseUrl === undefined || baseUrl === '' ? DEFAULT_GITHUB_API_URL : baseUrl,
    ...(env.JWKR_GITHUB_WRITE_INTERVAL_MS && Number.isFinite(writeInterval) && writeInterval >= 0
      ? {throttle: {writeIntervalMs: writeInterval}}
      : {}),
  }
}

/**
 * Builds the GitHub client: Octokit with GitHub's recommended throttling, bounded retries that honour
 * `retry-after` and `x-ratelimit-reset`, and request errors translated into JwkrErrors.
 *
 * @example const client = createGitHubClient({...githubSettingsFromEnv(), secrets})
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const {secrets} = options
  const token = options.token?.trim()
  if (token === undefined || token === '') {
    throw new JwkrError('ERR_GITHUB_TOKEN_MISSING', 'No GitHub token: GITHUB_TOKEN is not set.', {hint: GITHUB_TOKEN_HINT})
  }
  secrets.add(token)
  const baseUrl = normaliseBaseUrl(options.baseUrl ?? DEFAULT_GITHUB_API_URL)
  const retries = Math.max(0, Math.floor(options.retries ?? DEFAULTS.retries))
  const throttle = {...DEFAULTS, ...definedOnly(options.throttle ?? {})}
  const log: GitHubLog = {debug: noop, info: noop, warn: noop, error: noop, ...options.log}

  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: {method: string; url: string}, _octokit: unknown, retryCount: number): boolean => {
      if (retryCount >= retries || retryAfter > throttle.maxWaitSeconds) return false
      log.warn(
        `GitHub ${kind} hit on ${request.method} ${pathOf(request.url)}: waiting ${retryAfter} s before retry ${retryCount + 1} of ${retries}.`,
      )
      return true
    }

  const client = new JwkrOctokit({
    auth: token,
    baseUrl,
    userAgent: 'jwk-responder',
    log,
    request: {fetch: withDeadline(options.fetch ?? globalThis.fetch, options.timeoutMs ?? DEFAULT_TIMEOUT_MS)},
    retry: {
      enabled: retries > 0,
      retries,
      retryAfterBaseValue: throttle.retryAfterBaseMs,
      // Rate limits (403, 429) belong to the throttling plugin, which waits for the reset instead of guessing.
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
    throttle: {
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
      retryAfterBaseValue: throttle.retryAfterBaseMs,
      // Our own groups: the plugin's defaults are shared by the whole process and pace searches 2 s apart.
      search: new Bottleneck.Group({maxConcurrent: 1, minTime: throttle.searchIntervalMs}),
      write: new Bottleneck.Group({maxConcurrent: 1, minTime: throttle.writeIntervalMs}),
      notifications: new Bottleneck.Group({maxConcurrent: 1, minTime: throttle.writeIntervalMs * 3}),
    },
  })
  // Outside the plugins' own hooks, so it decides before they retry anything.
  client.hook.wrap('request', async (request, requestOptions) => {
    if (READS.has(requestOptions.method.toUpperCase())) return request(requestOptions)
    const reconcile = requestOptions.request?.reconcile as ReconcileWrite | undefined
    // The hooks inside are bound to this same options object (before-after-hook), so the plugins'
    // retries are turned off on it, not on a copy.
    requestOptions.request = {...requestOptions.request, retries: 0}
    for (let attempt = 1; ; attempt++) {
      try {
        return await request(requestOptions)
      } catch (error) {
        const cancelled = (requestOptions.request?.signal as AbortSignal | undefined)?.aborted === true
        // A write refused for a rate limit was not applied: send it again once the wait GitHub asks for is over.
        const wait = cancelled || attempt > retries ? null : rateLimitWaitSeconds(error)
        if (wait !== null && wait <= throttle.maxWaitSeconds) {
          log.warn(
            `GitHub rate-limited ${requestOptions.method} ${pathOf(requestOptions.url)}: waiting ${wait} s before retry ${attempt} of ${retries}.`,
          )
          await sleep(wait * throttle.retryAfterBaseMs)
          continue
        }
        if (reconcile === undefined || cancelled || attempt > retries || !mayHaveApplied(error)) throw error
        const where = `${requestOptions.method} ${pathOf(requestOptions.url)}`
        // The same backoff as the retry plugin's, which also gives GitHub time to list what it wrote.
        const backoff = attempt ** 2
        log.warn(
          `GitHub failed ${where} (${statusOf(error)}): waiting ${backoff} s, then looking for its result before trying again (${attempt} of ${retries}).`,
        )
        await sleep(backoff * throttle.retryAfterBaseMs)
        const found = await reconcile()
        if (found !== undefined) return {status: 200, url: requestOptions.url, headers: {}, data: found}
      }
    }
  })
  // Registered last, so it sees the final error after every retry: callers only ever get JwkrErrors.
  client.hook.error('request', (error) => {
    throw toGitHubError(error, {secrets, baseUrl})
  })
  return client
}

function normaliseBaseUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    url = new URL('invalid:')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new JwkrError('ERR_GITHUB_API_URL_INVALID', `GITHUB_API_URL is not an http(s) URL: ${value}`, {
      hint: 'Unset it for github.com, or set the REST API root of GitHub Enterprise Server: GITHUB_API_URL=https://HOST/api/v3.',
    })
  }
  return url.toString().replace(/\/+$/, '')
}

/**
 * The seconds a rate-limited answer (429, or 403 with Retry-After or no requests remaining) asks to
 * wait: Retry-After, else until x-ratelimit-reset; null for any other answer.
 */
function rateLimitWaitSeconds(error: unknown): number | null {
  const {status, response} = (error ?? {}) as {status?: number; response?: {headers?: Record<string, string | undefined>}}
  const headers = response?.headers ?? {}
  const retryAfter = Number(headers['retry-after'])
  const limited =
    status === 429 || (status === 403 && (headers['retry-after'] !== undefined || headers['x-ratelimit-remaining'] === '0'))
  if (!limited) return null
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter
  const reset = Number(headers['x-ratelimit-reset'])
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, Math.ceil(reset - Date.now() / 1000)) : null
}

/** A 5xx answer, or none at all (Octokit reports a failed fetch as status 500): the write may have been applied. */
function mayHaveApplied(error: unknown): boolean {
  return typeof (error as {status?: unknown} | null)?.status === 'number' && (error as {status: number}).status >= 500
}

function statusOf(error: unknown): string {
  const response = (error as {response?: unknown} | null)?.response
  return response === undefined ? 'no answer' : String((error as {status?: unknown}).status)
}

function pathOf(url: string): string {
  return url.replace(/^https?:\/\/[^/]+/, '').split('?')[0] ?? url
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

function noop(): void {}
