// The fuzz budget (issue 14): each surface jwkr reads untrusted input through gets a fixed number of
// generated cases per run, and each case must end — within DEADLINE_MS — with a result or a
// JwkrError carrying an ERR_* code (never ERR_INTERNAL, never another error: that is a crash with a
// stack), and must not echo a private value it was given. The whole budget runs in about a minute on
// two cores, in `npm test` and so in `.ci/run`.
//
// Replaying and keeping failures: fast-check prints the seed and path of a failing run; rerun with
// JWKR_FUZZ_SEED=<seed> (and JWKR_FUZZ_PATH=<path>) to replay it, then add the shrunk counterexample
// to REGRESSIONS in regressions.ts, where it runs first, every time, before the random cases.
import fc from 'fast-check'
import {afterAll, expect} from 'vitest'

import {JwkrError} from '../../src/core/errors.js'

/** Generated cases per surface and run (regression examples come on top). */
export const FUZZ_RUNS = {
  'key intake': 600,
  'key intake (CLI)': 100,
  'playbook YAML': 500,
  'inventory YAML': 500,
  expressions: 5000,
  'token triage lines': 400,
  templates: 200,
} as const

export type Surface = keyof typeof FUZZ_RUNS

/** No single case may take longer than this. */
export const DEADLINE_MS = 5000

/** A surface's whole budget may take this long on a loaded machine (vitest's default of 20 s is for one test). */
export const SURFACE_TIMEOUT_MS = 180_000

interface Tally {
  cases: number
  /** Calls that failed, shrinking included. */
  failed: number
  slowestMs: number
}

const tallies = new Map<Surface, Tally>()

afterAll(() => {
  // One line per surface, for the closing note: how many cases ran, failed, and the slowest.
  for (const [surface, {cases, failed, slowestMs}] of tallies) {
    process.stdout.write(`[fuzz] ${surface}: ${cases} cases, ${failed} failed, slowest ${Math.round(slowestMs)} ms\n`)
  }
})

function tally(surface: Surface, change: (tally: Tally) => void): void {
  const current = tallies.get(surface) ?? {cases: 0, failed: 0, slowestMs: 0}
  change(current)
  tallies.set(surface, current)
}

/** fast-check settings for a surface: its budget, its regression examples, and a seed to replay. */
export function budget<T>(surface: Surface, examples: T[] = []): fc.Parameters<T> {
  const seed = process.env.JWKR_FUZZ_SEED
  const path = process.env.JWKR_FUZZ_PATH
  return {
    numRuns: FUZZ_RUNS[surface],
    examples,
    ...(seed === undefined ? {} : {seed: Number(seed)}),
    ...(path === undefined ? {} : {path}),
  }
}

export interface Outcome<T> {
  value?: T
  error?: JwkrError
}

/**
 * The body of a surface's property, counted: each generated input is a case, and a case whose body
 * throws (an assertion, a crash, the deadline) is a failure, shrinking included.
 *
 * @example fc.asyncProperty(keyCase, counted('key intake', async ({text}) => { … }))
 */
export function counted<A extends unknown[]>(
  surface: Surface,
  body: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    tally(surface, (t) => t.cases++)
    try {
      await body(...args)
    } catch (error) {
      tally(surface, (t) => t.failed++)
      throw error
    }
  }
}

/**
 * Runs one call under test: it must settle within DEADLINE_MS with a value or a JwkrError that has
 * an ERR_* code other than ERR_INTERNAL.
 */
export async function oneCase<T>(surface: Surface, action: () => T | Promise<T>): Promise<Outcome<T>> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the case ran over ${DEADLINE_MS} ms`)), DEADLINE_MS)
  })
  let outcome: Outcome<T>
  try {
    outcome = {value: await Promise.race([Promise.resolve().then(action), deadline])}
  } catch (error) {
    if (!(error instanceof JwkrError)) throw error instanceof Error ? error : new Error(String(error))
    expect(error.code).toMatch(/^ERR_[A-Z_]+$/)
    expect(error.code, error.message).not.toBe('ERR_INTERNAL')
    outcome = {error}
  } finally {
    clearTimeout(timer)
  }
  const elapsed = performance.now() - started
  // A synchronous case cannot be raced: it is timed instead.
  expect(elapsed, `${surface}: one case took ${Math.round(elapsed)} ms`).toBeLessThan(DEADLINE_MS)
  tally(surface, (t) => (t.slowestMs = Math.max(t.slowestMs, elapsed)))
  return outcome
}

/** Every text an error shows a user: message, hint and details. */
export function errorText(error: JwkrError | undefined): string {
  return error ? `${error.message}\n${error.hint ?? ''}\n${JSON.stringify(error.details ?? null)}` : ''
}

/** Fails when any needle (a private value) is in the text. */
export function expectNoNeedle(text: string, needles: readonly string[]): void {
  for (const needle of needles) expect(text.includes(needle), `a private value was echoed: ${needle.slice(0, 12)}…`).toBe(false)
}

/** Names on Object.prototype now: compared before and after a case, to catch prototype pollution. */
export function prototypeNames(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort()
}

/** Control characters, bidirectional marks and separators no output may carry raw. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/

/** Text an attacker writes into a kid, a claim or a name: markup of every sink, control sequences, look-alikes. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({maxLength: 40}),
  fc.string({unit: 'binary', maxLength: 40}),
  fc
    .array(
      fc.constantFrom(
        '\u001b[2J',
        '\u001b]0;title\u0007',
        '\r',
        '\u009b',
        '\u202e',
        '\u2028',
        '\u0000',
        '<!channel>',
        '<@U1>',
        '<https://e.example|x>',
        '[x](javascript:alert(1))',
        '</script><script>alert(1)</script>',
        '{{thumbprint}}',
        '${{ inputs.key }}',
        '*b*',
        '`',
        '|',
        '\n- item',
        '&amp;',
        '__proto__',
        '\\',
        '"',
        'kid',
      ),
      {maxLength: 8},
    )
    .map((parts) => parts.join('')),
)
