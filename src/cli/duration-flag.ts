// A duration given as a flag (--deadline 60s, --timeout 5s): a bad one is a usage error (exit 2) that
// names the flag, before anything starts.
import {parseDuration} from '../core/duration.js'
import {ExitCode, JwkrError} from '../core/errors.js'

/**
 * The flag's value in milliseconds, when it is a duration longer than 0.
 *
 * @example positiveDurationFlag('90s', '--deadline') // → 90000
 * @throws JwkrError ERR_USAGE (exit 2) for anything else: `forever`, `0s`, `10`.
 */
export function positiveDurationFlag(text: string, flag: string): number {
  let ms = 0
  try {
    ms = parseDuration(text)
  } catch (error) {
    if (!(error instanceof JwkrError)) throw error
  }
  if (ms > 0) return ms
  throw new JwkrError('ERR_USAGE', `${flag} ${text} is not a positive duration.`, {
    hint: `Give ${flag} a number and a unit: 500ms, 15s, 30m or 1h (or a sum such as 1h30m).`,
    exitCode: ExitCode.usage,
  })
}
