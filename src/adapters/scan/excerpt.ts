// The excerpt printed beside a scan hit: the match (only when it is public material) with a little
// of the line around it. A line that holds a key often holds its private members too, so every long
// opaque run (base64, base64url, hex, decimal) in the context is elided wholly — computed on the
// whole line, so a run cut by the context window is not shown in part either.

export const REDACTED_MATCH = '[REDACTED]'
/** Characters of context kept on each side of the match. */
const CONTEXT = 32
/** Runs this long of base64/hex alphabet could be key material; shorter ones are words and numbers. */
const OPAQUE_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g
const ELIDED = '[…]'

/**
 * @param line the text of the line (or a slice of it around the match)
 * @param start index of the match in `line`
 * @param end index just past the match
 * @param showMatch print the matched text (public needles) instead of `[REDACTED]`
 * @example redactedExcerpt('"kid": "2024-signing-key", "d": "…"', 8, 24, true) // '"kid": "2024-signing-key", "d": "[…]"'
 */
export function redactedExcerpt(line: string, start: number, end: number, showMatch: boolean): string {
  const runs = [...line.matchAll(OPAQUE_RUN)].map((run): [number, number] => [run.index, run.index + run[0].length])
  const from = Math.max(0, start - CONTEXT)
  const to = Math.min(line.length, end + CONTEXT)
  const before = elide(line, from, start, runs).replace(/^\s+/, '')
  const after = elide(line, end, to, runs).replace(/\s+$/, '')
  const match = showMatch ? clean(line.slice(start, end)) : REDACTED_MATCH
  return `${from > 0 ? '…' : ''}${before}${match}${after}${to < line.length ? '…' : ''}`
}

/** line[from, to) with every character that belongs to an opaque run replaced, one marker per run. */
function elide(line: string, from: number, to: number, runs: Array<[number, number]>): string {
  let out = ''
  let at = from
  for (const [runStart, runEnd] of runs) {
    if (runEnd <= at || runStart >= to) continue
    if (runStart > at) out += clean(line.slice(at, runStart))
    out += ELIDED
    at = Math.min(runEnd, to)
  }
  if (at < to) out += clean(line.slice(at, to))
  return out
}

function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]/g, ' ')
}
