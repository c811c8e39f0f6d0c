// The one machine-readable line each benchmark prints, and its reader: `npm run bench` (bench/all.mjs)
// runs every script and builds one table from these lines. A row is one line of that table:
// {work, jwkr, reference, ratio, target: {atMost | atLeast}, pass}. Scripts that do not print the
// line yet are read from their human output by FALLBACKS below, so the table survives either form.

export const RESULT_PREFIX = 'BENCH_RESULT '

/**
 * A table row; `pass` follows from the ratio and the target (a ratio that is not a number fails).
 *
 * @example resultRow({work: 'RS256 verifies/s', jwkr: '59k/s', reference: 'openssl 132k/s', ratio: 0.45, target: {atLeast: 0.8}})
 */
export function resultRow({work, jwkr, reference, ratio, target, note}) {
  const pass =
    Number.isFinite(ratio) &&
    (target.atMost === undefined || ratio <= target.atMost) &&
    (target.atLeast === undefined || ratio >= target.atLeast)
  return {
    work,
    jwkr,
    reference,
    ratio: Number.isFinite(ratio) ? Number(ratio.toFixed(3)) : null,
    target,
    pass,
    ...(note ? {note} : {}),
  }
}

/** Prints the rows as the benchmark's machine-readable line. */
export function printResult(bench, rows) {
  console.log(RESULT_PREFIX + JSON.stringify({bench, rows}))
}

/** `≤ 1.5×` / `≥ 0.8×`. */
export function formatTarget(target) {
  return target.atMost !== undefined ? `≤ ${target.atMost}×` : `≥ ${target.atLeast}×`
}

/** The rows a benchmark printed: its BENCH_RESULT lines, else what its human output says. */
export function parseResult(bench, stdout) {
  const rows = stdout
    .split('\n')
    .filter((line) => line.startsWith(RESULT_PREFIX))
    .flatMap((line) => {
      try {
        return JSON.parse(line.slice(RESULT_PREFIX.length)).rows ?? []
      } catch {
        return []
      }
    })
  if (rows.length > 0) return rows
  return FALLBACKS[bench]?.(stdout) ?? []
}

const number = (text, pattern) => {
  const match = pattern.exec(text)
  return match ? Number(match[1]) : Number.NaN
}
const lineOf = (text, pattern) => pattern.exec(text)?.[0]?.trim() ?? 'not printed'

/** Readers of the human output of scripts that print no BENCH_RESULT line (as they were written). */
const FALLBACKS = {
  'cold-start': (out) => [
    resultRow({
      work: '`key thumbprint FILE` cold start',
      jwkr: `${number(out, /jwkr[^\n]*median ([\d.]+) ms/)} ms`,
      reference: `\`node -e 0\`, ${number(out, /node -e 0[^\n]*median ([\d.]+) ms/)} ms`,
      ratio: number(out, /ratio: ([\d.]+)x/),
      target: {atMost: 2},
    }),
  ],
  scan: (out) => [
    resultRow({
      work: '`code scan` of the tree, the key’s needles',
      jwkr: `${number(out, /jwkr code scan\s+median ([\d.]+) s/)} s`,
      reference: `\`rg -F\`, ${number(out, /rg -F -c -f\s+median ([\d.]+) s/)} s`,
      ratio: number(out, /^ratio\s+([\d.]+)×/m),
      target: {atMost: 1.5},
    }),
  ],
  tokens: (out) => [
    resultRow({
      work: '`tokens scan` of the JSON access log',
      jwkr: `${number(out, /jwkr tokens scan median ([\d.]+) s/)} s`,
      reference: `\`rg -c\` strict JWT regex, ${number(out, /rg -c \(strict JWT\) median ([\d.]+) s/)} s`,
      ratio: number(out, /^ratio\s+([\d.]+)×/m),
      target: {atMost: 1.5},
      note: lineOf(out, /^log: .*$/m),
    }),
  ],
  discover: (out) => [
    resultRow({
      work: '`inventory discover` of the tree',
      jwkr: `${number(out, /jwkr inventory discover\s+median ([\d.]+) s/)} s`,
      reference: `\`code scan\` of the same tree, ${number(out, /jwkr code scan\s+median ([\d.]+) s/)} s`,
      ratio: number(out, /^ratio\s+([\d.]+)×/m),
      target: {atMost: 1.5},
    }),
  ],
}
