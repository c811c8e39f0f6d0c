// The result of `jwkr key inspect` and the `key.inspect` step: printable reports, an overall
// severity, and what the responder should do next.
import type {KeyReport, KeySet, Severity} from './types.js'

export interface InspectResult {
  keys: KeyReport[]
  /** The highest severity of any key. */
  severity: Severity
  /** Warnings about the input as a whole. */
  warnings: string[]
  /** What to do next, in words a responder can act on. */
  next: string[]
}

export function inspectKeySet(set: KeySet, source: string): InspectResult {
  const keys = set.keys.map((key) => key.report)
  const severity: Severity = keys.some((key) => key.severity === 'critical') ? 'critical' : 'info'
  const next: string[] = []
  if (keys.some((key) => key.private || key.thumbprintDerivedFromSecret)) {
    next.push(`Start the response: jwkr respond --key ${shellQuote(source)}`)
  } else if (keys.some((key) => key.reference)) {
    next.push('Find the key this token names: jwkr services locate --key <the issuer JWKS or key>')
  } else {
    next.push('No private material here. If a private key was found, inspect that file instead.')
  }
  return {keys, severity, warnings: set.warnings, next}
}

function shellQuote(value: string): string {
  if (value === '-') return '<file holding the key>'
  if (/^[\w./@:+-]+$/.test(value)) return value
  return value.length > 64 ? '<file holding the key>' : `'${value.replace(/'/g, `'\\''`)}'`
}
