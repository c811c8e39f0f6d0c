// Octokit's RequestError, translated at the boundary into a JwkrError with one of our ERR_GITHUB_*
// codes and a message that says what to do. The client (client.ts) applies it to every request, so
// no adapter or command ever handles a raw HTTP error, and no message can carry the token.
import {JwkrError, type ErrorCode} from '../../core/errors.js'
import type {SecretRegistry} from '../../core/secrets.js'

/** What a token needs: shown when it is missing or refused. */
export const GITHUB_TOKEN_HINT =
  'export GITHUB_TOKEN=… (e.g. GITHUB_TOKEN=$(gh auth token)): a classic token with the `repo` scope, or a ' +
  "fine-grained token with read access to the organisation's repository contents (plus Issues and Pull requests " +
  'write access for `notify github` and GitHub-hosted key sources). For GitHub Enterprise Server also set ' +
  'GITHUB_API_URL=https://HOST/api/v3.'

/** The parts of an Octokit RequestError we read (duck-typed: the class lives in a transitive package). */
export interface GitHubRequestError extends Error {
  status: number
  request?: {method?: string; url?: string}
  response?: {status?: number; headers?: Record<string, string | number | undefined>; data?: unknown}
}

export interface GitHubErrorContext {
  secrets: SecretRegistry
  /** The API root, cut from URLs so messages name the endpoint (`GET /search/code`). */
  baseUrl?: string
  now?: () => Date
}

export function isGitHubRequestError(error: unknown): error is GitHubRequestError {
  return error instanceof Error && typeof (error as Partial<GitHubRequestError>).status === 'number' && 'request' in error
}

/** Translates a failed GitHub request; anything that is not a request error is returned unchanged. */
export function toGitHubError(error: unknown, context: GitHubErrorContext): unknown {
  if (error instanceof JwkrError || !isGitHubRequestError(error)) return error
  const {secrets} = context
  const status = error.status
  const headers = error.response?.headers ?? {}
  const endpoint = `${error.request?.method ?? 'GET'} ${endpointPath(error.request?.url ?? '', context.baseUrl)}`
  const apiMessage = messageOf(error)
  const details: Record<string, unknown> = {
    status,
    endpoint,
    requestId: header(headers, 'x-github-request-id') ?? null,
    documentationUrl: field(error.response?.data, 'documentation_url') ?? null,
  }
  const fail = (code: ErrorCode, message: string, hint: string, extra: Record<string, unknown> = {}) =>
    new JwkrError(code, secrets.redact(message), {hint: secrets.redact(hint), cause: error, details: {...details, ...extra}})

  const rateLimit = rateLimitOf(error, context.now?.() ?? new Date())
  if (rateLimit) {
    const when = rateLimit.resetAt ? `until ${rateLimit.resetAt}` : `for ${rateLimit.retryAfterSeconds ?? 60} s`
    const what = rateLimit.secondary ? "GitHub's secondary rate limit" : `GitHub's rate limit (${rateLimit.resource ?? 'core'})`
    return fail(
      'ERR_GITHUB_RATE_LIMITED',
      `${what} stopped ${endpoint} ${when}: ${apiMessage}`,
      `Wait ${rateLimit.resetAt ? `until ${rateLimit.resetAt}` : `${rateLimit.retryAfterSeconds ?? 60} s`} and run it again. ` +
        'Code search allows 10 requests a minute; many searches at once from one token trip the secondary limit.',
      rateLimit,
    )
  }
  if (status === 401) {
    return fail(
      'ERR_GITHUB_AUTH',
      `GitHub refused the token (401 ${apiMessage}) for ${endpoint}.`,
      `The token in GITHUB_TOKEN is wrong, expired or revoked, or belongs to another GitHub than ${context.baseUrl ?? 'api.github.com'}. ${GITHUB_TOKEN_HINT}`,
    )
  }
  if (status === 403) {
    return fail('ERR_GITHUB_FORBIDDEN', `GitHub forbade ${endpoint} (403): ${apiMessage}`, forbiddenHint(apiMessage, headers))
  }
  if (status === 404) {
    return fail(
      'ERR_GITHUB_NOT_FOUND',
      `GitHub found nothing at ${endpoint} (404).`,
      'Check the organisation, repository or path name. GitHub also answers 404 for private resources the token cannot see: check its access.',
    )
  }
  if (status === 422) {
    const problems = validationMessages(error.response?.data)
    return fail(
      'ERR_GITHUB_VALIDATION',
      `GitHub refused ${endpoint} as invalid: ${problems.length > 0 ? problems.join('; ') : apiMessage}`,
      'Fix what GitHub names above (for a search: the query terms and qualifiers) and run it again.',
      {errors: problems},
    )
  }
  if (status >= 500 || error.response === undefined) {
    const answer = error.response === undefined ? `did not answer ${endpoint}` : `answered ${status} to ${endpoint}`
    return fail(
      'ERR_GITHUB_UNAVAILABLE',
      `GitHub ${answer}: ${apiMessage}`,
      `Check the network and GITHUB_API_URL (${context.baseUrl ?? 'https://api.github.com'}), and https://www.githubstatus.com for an outage; then run it again.`,
    )
  }
  return fail(
    'ERR_GITHUB_REQUEST_FAILED',
    `GitHub answered ${status} to ${endpoint}: ${apiMessage}`,
    'Rerun with --debug for details.',
  )
}

type RateLimitFacts = {
  secondary: boolean
  resource: string | null
  /** ISO time the quota resets (primary limit). */
  resetAt: string | null
  retryAfterSeconds: number | null
}

/** The same tests the throttling plugin applies: a "secondary rate" message, or no requests remaining. */
function rateLimitOf(error: GitHubRequestError, now: Date): RateLimitFacts | undefined {
  if (error.status !== 403 && error.status !== 429) return undefined
  const headers = error.response?.headers ?? {}
  const secondary = /\bsecondary rate\b/i.test(messageOf(error))
  const exhausted = header(headers, 'x-ratelimit-remaining') === '0'
  if (!secondary && !exhausted && error.status !== 429) return undefined
  const retryAfter = Number(header(headers, 'retry-after'))
  const reset = Number(header(headers, 'x-ratelimit-reset'))
  const resetAt = !secondary && Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : null
  return {
    secondary,
    resource: header(headers, 'x-ratelimit-resource') ?? null,
    resetAt: resetAt ? resetAt.toISOString() : null,
    retryAfterSeconds:
      Number.isFinite(retryAfter) && retryAfter > 0
        ? retryAfter
        : resetAt
          ? Math.max(0, Math.ceil((resetAt.getTime() - now.getTime()) / 1000))
          : null,
  }
}

function forbiddenHint(apiMessage: string, headers: Record<string, string | number | undefined>): string {
  if (/SAML|single sign-on/i.test(apiMessage)) {
    return "Authorize the token for the organisation's SAML single sign-on (GitHub → Settings → Tokens → Configure SSO), then run it again."
  }
  const accepted = header(headers, 'x-accepted-oauth-scopes')
  const granted = header(headers, 'x-oauth-scopes')
  const scopes =
    accepted !== undefined ? ` This endpoint accepts the scopes "${accepted}"; the token has "${granted ?? ''}".` : ''
  return `The token is valid but may not do this.${scopes} ${GITHUB_TOKEN_HINT}`
}

/** `errors[]` of a 422 as readable strings (GitHub sends strings or {resource, field, code, message}). */
function validationMessages(data: unknown): string[] {
  const errors = field(data, 'errors')
  if (!Array.isArray(errors)) return []
  return errors.map((entry: unknown) => {
    if (typeof entry === 'string') return entry
    const message = field(entry, 'message')
    if (typeof message === 'string') return message
    const parts = ['resource', 'field', 'code'].map((name) => field(entry, name)).filter((v) => typeof v === 'string')
    return parts.length > 0 ? parts.join(' ') : JSON.stringify(entry)
  })
}

function messageOf(error: GitHubRequestError): string {
  const message = field(error.response?.data, 'message')
  if (typeof message === 'string' && message !== '') return message
  // Octokit appends " - <documentation_url>" to the API's message; the URL is in details.
  return error.message.replace(/ - https?:\/\/\S+$/, '')
}

function endpointPath(url: string, baseUrl: string | undefined): string {
  const withoutQuery = url.split('?')[0] ?? url
  if (baseUrl && withoutQuery.startsWith(baseUrl)) return withoutQuery.slice(baseUrl.length) || '/'
  return withoutQuery.replace(/^https?:\/\/[^/]+/, '') || '/'
}

function header(headers: Record<string, string | number | undefined>, name: string): string | undefined {
  const value = headers[name]
  return value === undefined ? undefined : String(value)
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined
}
