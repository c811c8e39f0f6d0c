// Durations as playbooks and flags write them ("500ms", "2s", "10m", "1h", "1h30m") and as
// people read them.
import {JwkrError} from './errors.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}

/**
 * @example parseDuration('1m30s') // → 90000
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim()
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed.replace(/\s+/g, '')) {
    throw new JwkrError('ERR_USAGE', `"${text}" is not a duration.`, {
      hint: 'Write durations like 500ms, 30s, 10m, 1h or 1h30m.',
    })
  }
  return parts.reduce((total, [, value, unit]) => total + Number(value) * (UNITS[unit ?? 's'] ?? 0), 0)
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
