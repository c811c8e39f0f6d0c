// The one error type jwkr throws on purpose. Every code is listed here, every message says what to
// do next, and every error carries the exit code the CLI ends with (ARCHITECTURE.md, Output and exit codes).

/** Exit codes of ARCHITECTURE.md (Output and exit codes). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  playbookFailed: 3,
  notContained: 4,
  /** Ctrl-C (128 + SIGINT, as shells report it), SIGTERM or SIGHUP: the run is paused and resumable. */
  interrupted: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** Every code jwkr throws with, closed: also what a journal's step.failed is read back as (isErrorCode). */
export const ERROR_CODES = [
  'ERR_INPUT_EMPTY',
  'ERR_INPUT_TOO_LARGE',
  'ERR_INPUT_BINARY',
  'ERR_INPUT_NOT_FOUND',
  'ERR_INPUT_UNREADABLE',
  'ERR_INPUT_UNRECOGNISED',
  'ERR_JSON_MALFORMED',
  'ERR_KEY_INVALID',
  'ERR_KEY_UNSUPPORTED',
  'ERR_PEM_INVALID',
  'ERR_JWT_INVALID',
  'ERR_JWKS_EMPTY',
  'ERR_JWKS_NO_MATCH',
  'ERR_KEY_AMBIGUOUS',
  'ERR_SIZE_INVALID',
  'ERR_USAGE',
  'ERR_PLAYBOOK_INVALID',
  'ERR_PLAYBOOK_UNKNOWN_STEP',
  'ERR_STEP_DEFINITION_INVALID',
  'ERR_PLAYBOOK_NOT_FOUND',
  'ERR_OUTPUT_UNWRITABLE',
  'ERR_STEP_FAILED',
  'ERR_STEP_TIMEOUT',
  'ERR_EXPRESSION_INVALID',
  'ERR_INCIDENT_NOT_FOUND',
  'ERR_INCIDENT_LOCKED',
  'ERR_INCIDENT_CLOSED',
  'ERR_INCIDENT_OPEN',
  'ERR_INCIDENT_INCOMPLETE',
  'ERR_JOURNAL_CORRUPT',
  'ERR_JOURNAL_EXISTS',
  'ERR_JOURNAL_WRITE',
  'ERR_JOURNAL_MISSING',
  'ERR_WORKSPACE_UNWRITABLE',
  'ERR_APPROVAL_REQUIRED',
  'ERR_ABORTED',
  'ERR_INVENTORY_INVALID',
  'ERR_INVENTORY_NOT_FOUND',
  'ERR_INVENTORY_EXISTS',
  'ERR_LOCATE_INCOMPLETE',
  'ERR_BACKSTAGE_FAILED',
  'ERR_GITHUB_TOKEN_MISSING',
  'ERR_GITHUB_API_URL_INVALID',
  'ERR_GITHUB_AUTH',
  'ERR_GITHUB_FORBIDDEN',
  'ERR_GITHUB_RATE_LIMITED',
  'ERR_GITHUB_NOT_FOUND',
  'ERR_GITHUB_VALIDATION',
  'ERR_GITHUB_UNAVAILABLE',
  'ERR_GITHUB_REQUEST_FAILED',
  'ERR_SLACK_TOKEN_MISSING',
  'ERR_SLACK_API_URL_INVALID',
  'ERR_SLACK_AUTH',
  'ERR_SLACK_MISSING_SCOPE',
  'ERR_SLACK_CHANNEL_NOT_FOUND',
  'ERR_SLACK_NOT_IN_CHANNEL',
  'ERR_SLACK_CHANNEL_NAME_INVALID',
  'ERR_SLACK_RATE_LIMITED',
  'ERR_SLACK_UNAVAILABLE',
  'ERR_SLACK_FAILED',
  'ERR_DENYLIST_INVALID',
  'ERR_DENYLIST_READ',
  'ERR_DENYLIST_WRITE',
  'ERR_REDIS_URL_INVALID',
  'ERR_REDIS_UNREACHABLE',
  'ERR_REDIS_FAILED',
  'ERR_IDP_CREDENTIALS_MISSING',
  'ERR_IDP_AUTH',
  'ERR_IDP_FORBIDDEN',
  'ERR_IDP_NOT_FOUND',
  'ERR_IDP_CONFLICT',
  'ERR_IDP_RATE_LIMITED',
  'ERR_IDP_UNAVAILABLE',
  'ERR_IDP_UNSUPPORTED',
  'ERR_IDP_REJECTED',
  'ERR_IDP_BAD_RESPONSE',
  'ERR_KEY_SOURCE_INVALID',
  'ERR_KEY_SOURCE_WRITE',
  'ERR_KEY_FILE_EXISTS',
  'ERR_CONTAINMENT_INCOMPLETE',
  'ERR_JWKS_PRIVATE_MEMBERS',
  'ERR_NOT_CONTAINED',
  'ERR_GITHUB_REPO_INVALID',
  'ERR_GITHUB_REPO_MISSING',
  'ERR_TEMPLATE_INVALID',
  'ERR_TEMPLATE_RENDER',
  'ERR_TEMPLATE_NOT_FOUND',
  'ERR_DRILL_SCENARIO_NOT_FOUND',
  'ERR_DRILL_SCENARIO_INVALID',
  'ERR_DRILL_WORLD_FAILED',
  'ERR_DRILL_WORLD_GONE',
  'ERR_INTERNAL',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** Whether a value read back (from a journal) is one of jwkr's codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return ERROR_CODES.some((code) => code === value)
}

export interface JwkrErrorOptions {
  /** What the user should do next; printed on its own line after the message. */
  hint?: string
  exitCode?: ExitCodeValue
  cause?: unknown
  /** Structured facts for --json consumers (never secrets). */
  details?: Record<string, unknown>
}

export class JwkrError extends Error {
  override readonly name = 'JwkrError'
  readonly code: ErrorCode
  readonly hint: string | undefined
  readonly exitCode: ExitCodeValue
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, options: JwkrErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.code = code
    this.hint = options.hint
    this.exitCode = options.exitCode ?? ExitCode.failure
    this.details = options.details
  }
}

export function isJwkrError(error: unknown): error is JwkrError {
  return error instanceof JwkrError
}

/**
 * The reason a run's signal is aborted with when a person or the system interrupts it: `how` is
 * "Ctrl-C", "SIGTERM" or "SIGHUP" (cli/interrupt.ts), kept for the journal (interruptionOf).
 */
export function interruptedError(how: string): JwkrError {
  return new JwkrError('ERR_ABORTED', `Interrupted (${how}).`, {exitCode: ExitCode.interrupted, details: {interruption: how}})
}

/**
 * How a run was interrupted, from its aborted signal's reason: "Ctrl-C", "SIGTERM" or "SIGHUP"
 * ("Ctrl-C" for a reason that does not say, such as a test's plain abort).
 *
 * @example interruptionOf(signal.reason) // 'SIGTERM'
 */
export function interruptionOf(reason: unknown): string {
  const how = reason instanceof JwkrError ? reason.details?.interruption : undefined
  return typeof how === 'string' ? how : 'Ctrl-C'
}
