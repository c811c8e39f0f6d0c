// The --since / --until bounds of a token scan: an ISO 8601 date or time, seconds since the epoch,
// or a duration back from now (`24h`, `90m`, `7d`).
import {DURATION_PATTERN, parseDuration} from '../duration.js'
import {ExitCode, JwkrError} from '../errors.js'

const DAYS = /^(\d+)d$/

/**
 * @example parseTimeBound('2024-05-01', now)   // 2024-05-01T00:00:00.000Z
 * @example parseTimeBound('1714521600', now)   // the same, in epoch seconds
 * @example parseTimeBound('24h', now)          // now − 24 hours
 * @throws JwkrError ERR_USAGE for anything else.
 */
export function parseTimeBound(text: string, now: Date, flag = '--since'): Date {
  const trimmed = text.trim()
  if (/^\d{9,11}$/.test(trimmed)) return new Date(Number(trimmed) * 1000)
  const days = DAYS.exec(trimmed)
  if (days) return new Date(now.getTime() - Number(days[1]) * 86_400_000)
  if (new RegExp(DURATION_PATTERN).test(trimmed)) return new Date(now.getTime() - parseDuration(trimmed))
  const date = /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? new Date(trimmed) : new Date(Number.NaN)
  if (Number.isNaN(date.getTime())) {
    throw new JwkrError('ERR_USAGE', `${flag} '${text.slice(0, 40)}' is not a time.`, {
      hint: 'Give an ISO 8601 date or time (2024-05-01, 2024-05-01T12:00:00Z), seconds since the epoch, or a duration back from now (24h, 7d).',
      exitCode: ExitCode.usage,
    })
  }
  return date
}

/** Checks that the window is not empty. */
export function assertWindow(since: Date | null, until: Date | null): void {
  if (since !== null && until !== null && since.getTime() > until.getTime()) {
    throw new JwkrError('ERR_USAGE', `--since (${since.toISOString()}) is after --until (${until.toISOString()}).`, {
      hint: 'Swap the two, or widen the window.',
      exitCode: ExitCode.usage,
    })
  }
}
