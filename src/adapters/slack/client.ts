// The one place that builds the Slack Web API client (@slack/web-api's WebClient). Every Slack call
// jwkr makes goes through it, so three things hold for all of them: the token is registered as a
// secret before anything can fail, every outgoing argument is redacted, and every SDK error leaves
// the client already translated into a JwkrError (errors.ts). Retries are injectable: tests pass
// `{retries: 0}`, or a 429 would hold them for its Retry-After.
import slackWebApi, {
  LogLevel,
  WebClient,
  WebClientEvent,
  type Logger,
  type RetryOptions,
  type WebAPICallResult,
} from '@slack/web-api'

import {JwkrError} from '../../core/errors.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {SLACK_TOKEN_HINT, toSlackError} from './errors.js'

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/'

/**
 * The SDK's "five retries in five minutes": rate limits (429 + Retry-After, waited out in full) and
 * transient failures. The SDK's own default (ten retries over half an hour) is too long for a responder.
 */
export const DEFAULT_SLACK_RETRY: RetryOptions = slackWebApi.retryPolicies.fiveRetriesInFiveMinutes

export interface SlackSettings {
  token: string | undefined
  apiUrl: string
  /** Set from JWKR_SLACK_RETRIES: how often a failed call is tried again (0 turns retrying off). */
  retryConfig?: RetryOptions
}

export interface SlackClientOptions {
  token: string | undefined
  /** Web API root, ending with /api/ (https://slack.com/api/, or a drill's fake Slack on loopback). */
  apiUrl?: string
  retryConfig?: RetryOptions
  /**
   * Fail a rate-limited call at once (ERR_SLACK_RATE_LIMITED with retryAfter) instead of waiting for its
   * Retry-After. Default: only when retries are off.
   */
  rejectRateLimitedCalls?: boolean
  /** Registry the token is added to before anything can fail; every outgoing argument is redacted with it. */
  secrets: SecretRegistry
  /** Where the SDK's warnings go (e.g. "waiting 30 s for Slack's rate limit"); silent without one. */
  log?: (message: string) => void
  /** Per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number
}

/** `SLACK_TOKEN`, `SLACK_API_URL` (default https://slack.com/api/) and `JWKR_SLACK_RETRIES` from the environment. */
export function slackSettingsFromEnv(env: Record<string, string | undefined> = process.env): SlackSettings {
  const token = env.SLACK_TOKEN?.trim()
  const apiUrl = env.SLACK_API_URL?.trim()
  const retries = env.JWKR_SLACK_RETRIES?.trim()
  return {
    token: token === '' ? undefined : token,
    apiUrl: apiUrl === undefined || apiUrl === '' ? DEFAULT_SLACK_API_URL : apiUrl,
    ...(retries !== undefined && /^\d+$/.test(retries) ? {retryConfig: {retries: Number(retries)}} : {}),
  }
}

/**
 * A WebClient whose every call (the typed methods, `apiCall` and `paginate` all go through `apiCall`)
 * sends redacted arguments and throws only JwkrErrors.
 */
export class SlackClient extends WebClient {
  readonly #secrets: SecretRegistry
  /**
   * The same client without the SDK's retries, for posts that carry jwkr's metadata: a post Slack
   * answered 5xx may have been made, so it is looked for before it is sent again (messages.ts), never
   * resent blind.
   */
  readonly #once: WebClient

  constructor(token: string, options: ConstructorParameters<typeof WebClient>[1] & {secrets: SecretRegistry}) {
    const {secrets, ...rest} = options
    super(token, rest)
    this.#secrets = secrets
    this.#once = new WebClient(token, {...rest, retryConfig: {retries: 0}, rejectRateLimitedCalls: true})
  }

  override async apiCall(method: string, options: Record<string, unknown> = {}): Promise<WebAPICallResult> {
    try {
      const redacted = this.#secrets.redactValue(options)
      if (method === 'chat.postMessage' && options.metadata !== undefined) return await this.#once.apiCall(method, redacted)
      return await super.apiCall(method, redacted)
    } catch (error) {
      const channel =
        typeof options.channel === 'string' ? options.channel : typeof options.name === 'string' ? `#${options.name}` : undefined
      throw toSlackError(error, {secrets: this.#secrets, method, ...(channel ? {channel} : {})})
    }
  }
}

/**
 * Builds the Slack client from settings (usually `slackSettingsFromEnv()`).
 *
 * @example const client = createSlackClient({...slackSettingsFromEnv(), secrets})
 */
export function createSlackClient(options: SlackClientOptions): SlackClient {
  const token = options.token?.trim()
  if (token === undefined || token === '') {
    throw new JwkrError('ERR_SLACK_TOKEN_MISSING', 'No Slack token: SLACK_TOKEN is not set.', {hint: SLACK_TOKEN_HINT})
  }
  options.secrets.add(token)
  const log = options.log ?? (() => {})
  const retryConfig = options.retryConfig ?? DEFAULT_SLACK_RETRY
  // Without retries, waiting out a Retry-After only to fail afterwards helps nobody: fail at once.
  const rejectRateLimitedCalls = options.rejectRateLimitedCalls ?? retryConfig.retries === 0
  const client = new SlackClient(token, {
    slackApiUrl: normaliseApiUrl(options.apiUrl ?? DEFAULT_SLACK_API_URL),
    retryConfig,
    rejectRateLimitedCalls,
    timeout: options.timeoutMs ?? 30_000,
    logger: sdkLogger((message) => log(options.secrets.redact(message))),
    secrets: options.secrets,
  })
  client.on(WebClientEvent.RATE_LIMITED, (retryAfter: number, request: {url?: string}) => {
    const method = request.url?.split('/').at(-1) ?? 'a call'
    const next = rejectRateLimitedCalls ? 'not retried' : `retrying in ${retryAfter} s`
    log(`Slack rate-limited ${method} (Retry-After: ${retryAfter} s): ${next}.`)
  })
  return client
}

/** The Web API root with its trailing slash; anything but an http(s) URL ending with /api/ is refused. */
export function normaliseApiUrl(value: string): string {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (url && (url.username || url.password)) {
    throw new JwkrError('ERR_SLACK_API_URL_INVALID', 'SLACK_API_URL must not carry credentials.', {
      hint: 'Put the token in SLACK_TOKEN and leave it out of the URL.',
    })
  }
  const path = url?.pathname.replace(/\/?$/, '/')
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !path?.endsWith('/api/') || url.search || url.hash) {
    throw new JwkrError('ERR_SLACK_API_URL_INVALID', `SLACK_API_URL is not an http(s) URL ending with /api/: ${value}`, {
      hint: 'Unset it for slack.com, or point it at the Web API root of a Slack-compatible server, e.g. SLACK_API_URL=http://127.0.0.1:3000/api/.',
    })
  }
  return `${url.origin}${path}`
}

/** The SDK logs through this: only its warnings and errors reach the responder, its debug lines never. */
function sdkLogger(write: (message: string) => void): Logger {
  let level = LogLevel.WARN
  const text = (parts: unknown[]) => parts.map((part) => (part instanceof Error ? part.message : String(part))).join(' ')
  return {
    debug: () => {},
    info: () => {},
    warn: (...parts: unknown[]) => write(text(parts)),
    error: (...parts: unknown[]) => write(text(parts)),
    setLevel: (value: LogLevel) => {
      level = value
    },
    getLevel: () => level,
    setName: () => {},
  }
}
