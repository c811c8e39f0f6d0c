// Durations as playbooks and flags write them ("500ms", "2s", "10m", "1h", "1h30m") and as
// people read them.
import {JwkrError} from './errors.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

/** The JSON Schema pattern of a duration: whole numbers with a unit, summed (`1h30m`). */
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h))+$'

/**
 * A duration in milliseconds: `500ms`, `2s`, `5m`, `1h`, or a sum such as `1h30m`.
 *
 * @example parseDuration('1m30s') // → 90000
 * @throws JwkrError ERR_USAGE for anything else.
 */
export function parseDuration(text: string): number {
  if (typeof text !== 'string' || !new RegExp(DURATION_PATTERN).test(text)) {
    throw new JwkrError('ERR_USAGE', `'${String(text)}' is not a duration.`, {
      hint: 'Write a number and a unit: 500ms, 2s, 5m or 1h (or a sum such as 1h30m).',
    })
  }
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(amount) * (UNITS[unit ?? 's'] ?? 0)
  return total
}

/**
 * A long span in days beyond two days (an incident opened in March is not "6403h29m27s", a token valid
 * until 2099 not "631937h"), else as formatDuration.
 *
 * @example formatSpan(3 * 86_400 + 60) // → '3 days'
 */
export function formatSpan(seconds: number): string {
  return seconds >= 2 * 86_400 ? `${Math.floor(seconds / 86_400).toLocaleString('en')} days` : formatDuration(seconds * 1000)
}

/** @example formatDuration(90_500) // → '1m30s' */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const seconds = Math.round(ms / 1000)
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''].join('')
}
