// Defensive readers for journal data: a journal may come from an older or newer jwkr, or from a step
// written by someone else, so every value is checked for its type before the report uses it.

export function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

export function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

export function rec(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item !== '') : []
}

/** A count given as a number, or as the length of a list. */
export function count(value: unknown): number | null {
  return Array.isArray(value) ? value.length : num(value)
}

/** An ISO 8601 time from an ISO string or from seconds since the epoch (a JWT's iat). */
export function instant(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000).toISOString()
  if (typeof value !== 'string') return null
  const time = Date.parse(value)
  return Number.isNaN(time) ? null : new Date(time).toISOString()
}

/** b − a in milliseconds, or null when either is unknown. */
export function between(a: string | null | undefined, b: string | null | undefined): number | null {
  if (!a || !b) return null
  const ms = Date.parse(b) - Date.parse(a)
  return Number.isNaN(ms) ? null : ms
}

export function isHttpUrl(value: unknown): value is string {
  return typeof value === 'string' && /^https?:\/\/\S+$/i.test(value)
}

/** The first of several field names that holds a value the reader accepts. */
export function firstOf<T>(
  data: Record<string, unknown>,
  names: readonly string[],
  read: (value: unknown) => T | null,
): T | null {
  for (const name of names) {
    const value = read(data[name])
    if (value !== null) return value
  }
  return null
}

const EXPRESSION = /\$\{\{[\s\S]*?\}\}/g

/**
 * A text for a document with no raw `${{ … }}` playbook expression in it (older journals recorded
 * skip reasons that way): `its condition is false: ${{ a && b }}` → `its condition is false`.
 */
export function withoutExpressions(text: string): string {
  return text.replace(new RegExp(`:\\s*${EXPRESSION.source}\\s*$`), '').replace(EXPRESSION, 'a playbook expression')
}
