// The crash half of the fault harness (issue 14): the standard playbook runs in the drill world, in a
// child process that is SIGKILLed at a chosen point — right after a journal line, right after a file
// operation, or a seeded random moment inside a step — and the incident is then resumed with the real
// CLI (`jwkr incident resume ID --yes`). Whatever the point, the end state must be the same: the leaked
// key gone from the issuer, one replacement published, the denylist entry once, one tracking issue,
// one Slack status message, every effect's intent followed by its result, and a journal that verifies.
// The world (issuer, relying parties, Slack, GitHub) lives in this process and outlives the kill.
import fc from 'fast-check'
import pLimit from 'p-limit'
import {afterAll, describe, expect, it} from 'vitest'

import {containmentProblems, endStateProblems, journalEvents, tempFiles} from './end-state.js'
import {describeFault, type FaultSpec} from './fault-spec.js'
import {startFaultWorld, type ChildOutcome, type FaultWorld} from './fault-world.js'

/** The seed of the random kill points; JWKR_FAULT_SEED=n explores others. */
const SEED = Number(process.env.JWKR_FAULT_SEED ?? 14)

/** Journal lines spread over the whole run, named by what they record (line numbers vary between runs). */
const JOURNAL_LINES: FaultSpec[] = [
  {kind: 'kill-after-line', line: {seq: 1}},
  {kind: 'kill-after-line', line: {type: 'step.succeeded', step: 'inspect'}},
  {kind: 'kill-after-line', line: {type: 'step.started', step: 'tokens'}},
  {kind: 'kill-after-line', line: {type: 'step.succeeded', step: 'baseline'}},
  {kind: 'kill-after-line', line: {type: 'effect.intent', key: ':rotate:replacement'}},
  {kind: 'kill-after-line', line: {type: 'effect.done', key: ':rotate:replacement'}},
  {kind: 'kill-after-line', line: {type: 'effect.intent', key: ':add'}},
  {kind: 'kill-after-line', line: {type: 'effect.intent', key: ':remove'}},
  {kind: 'kill-after-line', line: {type: 'effect.intent', key: 'world/denylist.json'}},
  {kind: 'kill-after-line', line: {type: 'effect.intent', key: ':slack:status'}},
  {kind: 'kill-after-line', line: {type: 'effect.intent', key: ':github:issue'}},
  {kind: 'kill-after-line', line: {type: 'step.started', step: 'prove'}},
  {kind: 'kill-after-line', line: {type: 'run.finished'}},
]

/** File operations where a half-done write would show: the replacement key, the JWKS, the denylist. */
const FILE_OPS: FaultSpec[] = [
  {kind: 'kill-after-file-op', op: 'write', path: String.raw`/keys/\..*\.private\.jwk\.json\..*\.tmp$`},
  {kind: 'kill-after-file-op', op: 'rename', path: String.raw`/issuer/jwks\.json$`},
  {kind: 'kill-after-file-op', op: 'write', path: String.raw`/world/\.denylist\.json\..*\.tmp$`},
]

/**
 * Seeded random points: inside a step (a delay after a journal line), one in each half of the first
 * 100 lines of about 120, and after the nth file operation of any kind (of about 180).
 */
const RANDOM: FaultSpec[] = [
  ...[
    [3, 50],
    [51, 100],
  ].map(([min, max], index): FaultSpec => {
    const [point] = fc.sample(fc.record({seq: fc.integer({min, max}), delayMs: fc.integer({min: 0, max: 999})}), {
      seed: SEED + index,
      numRuns: 1,
    })
    return {kind: 'kill-after-delay', line: {seq: point!.seq}, delayMs: point!.delayMs}
  }),
  {kind: 'kill-after-file-op', nth: fc.sample(fc.integer({min: 1, max: 170}), {seed: SEED + 2, numRuns: 1})[0]},
]

/**
 * Kill points a known defect makes fail, with the defect; `it.fails` keeps them honest (the mark must
 * go when the defect is fixed). Filled from the harness's findings: see test/faults/README.md.
 */
const KNOWN: Record<string, string> = {}

/** Each case is a world, a child and a CLI process: a few at a time keep two cores busy without starving them. */
const limit = pLimit(Number(process.env.JWKR_FAULT_CONCURRENCY ?? 3))
const outcomes: Array<{point: string; ok: boolean; ms: number; problems: string[]}> = []

describe.concurrent(
  'SIGKILL at a point of the standard playbook in the drill world, then incident resume',
  {timeout: 600_000},
  () => {
    afterAll(() => {
      const ok = outcomes.filter((outcome) => outcome.ok).length
      const lines = outcomes.map(
        (o) => `  ${o.ok ? 'ok  ' : 'FAIL'} ${o.point} (${Math.round(o.ms / 1000)} s)${o.ok ? '' : `: ${o.problems.join('; ')}`}`,
      )
      console.log(
        `\nfault harness (seed ${SEED}): ${outcomes.length} kill points tried, ${ok} resumed to the right end state\n${lines.join('\n')}\n`,
      )
    })

    for (const fault of [...JOURNAL_LINES, ...FILE_OPS, ...RANDOM]) {
      const point = describeFault(fault)
      const known = KNOWN[point]
      const test = known === undefined ? it : it.fails
      test(known === undefined ? point : `${point} — known defect: ${known}`, () =>
        limit(async () => {
          const started = Date.now()
          const faultWorld = await startFaultWorld()
          try {
            // Given a run killed at the point
            const child = await faultWorld.runChild(fault)
            const killed = child.signal === 'SIGKILL'
            const lines = (await journalEvents(faultWorld.world.incident)).length
            // When the incident is resumed with the CLI
            const resumed = await faultWorld.resumeWithCli()
            // Then a drill killed before its opening was journaled is refused, saying to run the drill again
            // (its world ends with its process), with nothing changed and no draft left; any other kill
            // resumes to the world and journal of an uninterrupted run
            const problems =
              lines === 0
                ? await neverOpenedProblems(faultWorld, resumed)
                : [
                    ...(killed
                      ? []
                      : [
                          `the run was not killed at the point (exit ${child.code}): ${child.stdout.trim()} ${child.stderr.trim().split('\n').at(-1) ?? ''}`,
                        ]),
                    ...(resumed.code === 0 ? [] : [`incident resume exited ${resumed.code}: ${whatItSaid(resumed)}`]),
                    ...(await endStateProblems(faultWorld, {
                      outputs: [child.stdout, child.stderr, resumed.stdout, resumed.stderr],
                    })),
                  ]
            outcomes.push({
              point: `${point} (after ${lines} lines)`,
              ok: problems.length === 0,
              ms: Date.now() - started,
              problems,
            })
            expect(problems).toEqual([])
          } finally {
            await faultWorld.close()
          }
        }),
      )
    }
  },
)

/** What a `--json` run said when it failed: its error, or the steps that did not succeed. */
/** A drill incident whose opening was never journaled: refused with the drill's hint, nothing changed, no draft left. */
async function neverOpenedProblems(faultWorld: FaultWorld, resumed: ChildOutcome): Promise<string[]> {
  const said = `${resumed.stdout}${resumed.stderr}`
  const problems = []
  if (resumed.code !== 1 || !said.includes('ERR_INCIDENT_INCOMPLETE'))
    problems.push(`resume should refuse: exit ${resumed.code}, ${whatItSaid(resumed)}`)
  if (!said.includes('Run jwkr drill again'))
    problems.push(`resume does not say to run the drill again: ${said.trim().slice(0, 300)}`)
  const leftovers = await tempFiles(faultWorld.world.incident.dir)
  if (leftovers.length > 0) problems.push(`temporary files left: ${leftovers.join(', ')}`)
  if ((await containmentProblems(faultWorld)).length === 0) problems.push('the world was changed although no step ran')
  return problems
}

function whatItSaid(outcome: ChildOutcome): string {
  try {
    const json = JSON.parse(outcome.stdout) as {
      error?: {code: string; message: string}
      status?: string
      steps?: Array<{id: string; status: string; error?: {message?: string}}>
    }
    if (json.error) return `${json.error.code}: ${json.error.message}`
    const failed = (json.steps ?? []).filter((step) => !['succeeded', 'skipped'].includes(step.status))
    return `status ${json.status}; ${failed.map((step) => `${step.id} ${step.status}${step.error?.message ? ` (${step.error.message})` : ''}`).join(', ')}`
  } catch {
    return outcome.stderr.trim().split('\n').at(-1)?.slice(0, 300) ?? ''
  }
}
