// The errors of @slack/web-api (packages/web-api/src/errors.ts), translated at the boundary into
// JwkrErrors with our ERR_SLACK_* codes and a hint that says what to do. Slack answers HTTP 200 with
// `{ok: false, error}` for almost everything (WebAPIPlatformError); 429 carries Retry-After
// (WebAPIRateLimitedError when rate-limited calls are rejected); other statuses and network failures
// are WebAPIHTTPError and WebAPIRequestError.
import {WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError} from '@slack/web-api'

import {JwkrError, type ErrorCode} from '../../core/errors.js'
import type {SecretRegistry} from '../../core/secrets.js'

/**
 * The bot token scopes jwkr's calls need. Slack checks the scope of the channel's type: public
 * channels (channels:*) and private ones (groups:*, the incident channel by default); users:read.email
 * can only be granted with users:read.
 */
export const SLACK_BOT_SCOPES = [
  'chat:write',
  'channels:manage',
  'groups:write',
  'channels:join',
  'channels:read',
  'groups:read',
  'channels:history',
  'groups:history',
  'users:read',
  'users:read.email',
] as const

/** What a token needs: shown when it is missing or refused. */
export const SLACK_TOKEN_HINT =
  'export SLACK_TOKEN=xoxb-… : the bot token of a Slack app installed in the workspace (OAuth & Permissions), with ' +
  `the scopes ${SLACK_BOT_SCOPES.join(', ')}. ` +
  'For a drill or a Slack-compatible server also set SLACK_API_URL=http://HOST:PORT/api/.'

/** Platform errors that mean the token itself is wrong (https://docs.slack.dev/reference/methods, common errors). */
const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'org_login_required',
  'ekm_access_denied',
])
const CHANNEL_ERRORS = new Set(['channel_not_found', 'is_archived', 'method_not_supported_for_channel_type'])
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout'])

/** The message the SDK throws when a 429 was retried until its retries ran out. */
const RETRIES_EXHAUSTED = /A rate limit was exceeded \(url: [^,]*, retry-after: (\d+)\)/

export interface SlackErrorContext {
  secrets: SecretRegistry
  /** The Web API method that failed, e.g. chat.postMessage. */
  method: string
  /** The channel the call was about, named in channel errors. */
  channel?: string
}

/**
 * Translates whatever a WebClient call threw into a JwkrError; a JwkrError passes unchanged.
 *
 * @example try { await client.chat.postMessage(args) } catch (error) { throw toSlackError(error, {secrets, method: 'chat.postMessage'}) }
 */
export function toSlackError(error: unknown, context: SlackErrorContext): JwkrError {
  if (error instanceof JwkrError) return error
  const {method} = context
  const fail = (code: ErrorCode, message: string, hint: string, details: Record<string, unknown> = {}) =>
    new JwkrError(code, context.secrets.redact(message), {
      hint: context.secrets.redact(hint),
      cause: error,
      details: context.secrets.redactValue({method, ...details}),
    })

  if (error instanceof WebAPIPlatformError) return platformError(error, context, fail)
  const rateLimited = rateLimitOf(error)
  if (rateLimited !== undefined) {
    return fail(
      'ERR_SLACK_RATE_LIMITED',
      `Slack rate-limited ${method}: it asks to wait ${rateLimited} s before the next call.`,
      `Wait ${rateLimited} s, then run it again (jwkr incident resume ID, or jwkr notify slack --incident ID): the ` +
        'status message is found again, never posted twice.',
      {retryAfter: rateLimited},
    )
  }
  if (error instanceof WebAPIHTTPError) {
    return fail(
      'ERR_SLACK_UNAVAILABLE',
      `Slack answered HTTP ${error.statusCode} ${error.statusMessage} to ${method}.`,
      'Check SLACK_API_URL (it must end with /api/) and https://slack-status.com for an outage, then run it again.',
      {status: error.statusCode},
    )
  }
  if (error instanceof WebAPIRequestError) {
    return fail(
      'ERR_SLACK_UNAVAILABLE',
      `Slack did not answer ${method}: ${error.original.message}`,
      'Check the network and SLACK_API_URL (default https://slack.com/api/), then run it again.',
    )
  }
  const message = error instanceof Error ? error.message : String(error)
  return fail('ERR_SLACK_FAILED', `Slack call ${method} failed: ${message}`, 'Rerun with --debug for details.')
}

type Fail = (code: ErrorCode, message: string, hint: string, details?: Record<string, unknown>) => JwkrError

function platformError(error: WebAPIPlatformError, context: SlackErrorContext, fail: Fail): JwkrError {
  const {method} = context
  const code = error.data.error
  const channel = context.channel ? ` ${context.channel}` : ''
  const details = {slackError: code}
  if (AUTH_ERRORS.has(code)) {
    return fail(
      'ERR_SLACK_AUTH',
      `Slack refused the token (${code}) for ${method}.`,
      `Check SLACK_TOKEN. ${SLACK_TOKEN_HINT}`,
      details,
    )
  }
  if (code === 'missing_scope') {
    const needed = field(error.data, 'needed') ?? 'a scope the call needs'
    const provided = field(error.data, 'provided')
    return fail(
      'ERR_SLACK_MISSING_SCOPE',
      `The Slack token lacks the scope ${needed} for ${method}${provided ? ` (it has: ${provided})` : ''}.`,
      `Add the scope ${needed} to the app (api.slack.com/apps → OAuth & Permissions → Bot Token Scopes), reinstall it, ` +
        'and use the new token.',
      {...details, needed, provided: provided ?? null},
    )
  }
  if (CHANNEL_ERRORS.has(code)) {
    const why =
      code === 'is_archived'
        ? 'is archived'
        : code === 'method_not_supported_for_channel_type'
          ? 'is a kind of conversation the bot cannot join (a private channel or a DM)'
          : 'was not found, or the bot cannot see it'
    return fail(
      'ERR_SLACK_CHANNEL_NOT_FOUND',
      `The Slack channel${channel} ${why} (${code} from ${method}).`,
      'Invite the bot to the channel (/invite @your-app: private channels are invisible to it until then), or check ' +
        'notify.slack.channel in the inventory (or --channel).',
      details,
    )
  }
  if (code === 'not_in_channel') {
    return fail(
      'ERR_SLACK_NOT_IN_CHANNEL',
      `The bot is not a member of the Slack channel${channel} (${method}).`,
      'Invite the bot to the channel (/invite @your-app), or give the app the channels:join scope so jwkr joins it.',
      details,
    )
  }
  if (code === 'ratelimited') {
    return fail('ERR_SLACK_RATE_LIMITED', `Slack rate-limited ${method}.`, 'Wait a minute, then run it again.', details)
  }
  if (code.startsWith('invalid_name')) {
    return fail(
      'ERR_SLACK_CHANNEL_NAME_INVALID',
      `Slack refused the channel name${channel} (${code}).`,
      'Channel names are lower-case letters, digits, hyphens and underscores, 80 characters at most.',
      details,
    )
  }
  if (TRANSIENT_ERRORS.has(code)) {
    return fail('ERR_SLACK_UNAVAILABLE', `Slack failed ${method} on its side (${code}).`, 'Run it again in a minute.', details)
  }
  return fail(
    'ERR_SLACK_FAILED',
    `Slack refused ${method}: ${code}.`,
    `See https://docs.slack.dev/reference/methods/${method} for what "${code}" means.`,
    details,
  )
}

/** Seconds to wait, from a rejected 429 or from the SDK's last retry of one. */
function rateLimitOf(error: unknown): number | undefined {
  if (error instanceof WebAPIRateLimitedError) return error.retryAfter
  const match = error instanceof Error ? RETRIES_EXHAUSTED.exec(error.message) : null
  return match ? Number(match[1]) : undefined
}

function field(data: object, name: string): string | undefined {
  const value = (data as Record<string, unknown>)[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}
