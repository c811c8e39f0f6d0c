// bench/drill-overhead: what jwkr adds to a containment. For each drill scenario, the drill's wall time
// (its scorecard: from the incident's opening to the end of the run) minus the slowest cache lifetime
// of a service nothing but time can contain — not behind the denylist guard, and verifying normally (a
// stubborn cache is busted by its hook; a never-refetching one never expires). That difference is the
// overhead: locating, rotating, probing, notifying and reporting around the wait. Target < 1 s
// (issue 18). Each scenario runs as a user runs it (`jwkr drill --yes --json`), in a scratch home.
//
// Runs the TypeScript sources (bin/dev.js, no build needed):
//   node --import tsx bench/drill-overhead.mjs [--scenarios basic,stubborn-cache] [--runs 1] [--quick]
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {printResult, resultRow} from './lib/bench-result.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const TARGET_SECONDS = 1
const {values} = parseArgs({
  options: {scenarios: {type: 'string'}, runs: {type: 'string'}, quick: {type: 'boolean', default: false}},
})
const all = readdirSync(join(root, 'playbooks', 'drills'))
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => file.replace(/\.yaml$/, ''))
const scenarios = values.scenarios?.split(',') ?? (values.quick ? ['basic'] : all)
const runs = Number(values.runs ?? 1)
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]

/** One drill; its wall time, the wait nothing but time could shorten, and the services behind that wait. */
function drill(scenario) {
  const home = mkdtempSync(join(tmpdir(), 'jwkr-bench-drill-'))
  try {
    const run = spawnSync(process.execPath, ['bin/dev.js', 'drill', '--yes', '--json', '--scenario', scenario], {
      cwd: root,
      encoding: 'utf8',
      env: {...process.env, JWKR_HOME: home, NO_COLOR: '1'},
      maxBuffer: 64 * 1024 * 1024,
    })
    const result = JSON.parse(run.stdout)
    const {scorecard} = result
    const waiting = scorecard.services.filter((service) => !service.guarded && service.behaviour === 'normal')
    const floor = Math.max(0, ...waiting.map((service) => service.cacheSeconds ?? 0))
    // When the last service was proven contained (seconds from the incident's opening): the proof's own overhead.
    const proven = scorecard.services.map((service) => service.containedAfterSeconds)
    return {
      wall: scorecard.wallSeconds,
      provenAt: proven.every((seconds) => typeof seconds === 'number') ? Math.max(0, ...proven) : Number.NaN,
      floor,
      contained: scorecard.contained,
      phases: scorecard.phases.map((phase) => `${phase.phase} ${phase.seconds ?? '?'} s`).join(', '),
    }
  } finally {
    rmSync(home, {recursive: true, force: true})
  }
}

console.log(`bench/drill-overhead: ${scenarios.join(', ')}; ${runs} run(s) each; target overhead < ${TARGET_SECONDS} s`)
const rows = []
for (const scenario of scenarios) {
  const measured = []
  for (let run = 0; run < runs; run++) {
    try {
      measured.push(drill(scenario))
    } catch (error) {
      console.error(`${scenario}: the drill did not give a scorecard (${error.message.split('\n')[0]})`)
    }
  }
  if (measured.length === 0) {
    rows.push(
      resultRow({work: `drill ${scenario}: overhead`, jwkr: 'failed', reference: '', ratio: Number.NaN, target: {atMost: 1}}),
    )
    continue
  }
  const wall = median(measured.map((m) => m.wall))
  const floor = median(measured.map((m) => m.floor))
  const overhead = wall - floor
  const provenAt = median(measured.map((m) => m.provenAt))
  const toProof = `last service proven at ${provenAt.toFixed(1)} s (${(provenAt - floor).toFixed(1)} s past the cache)`
  console.log(
    `${scenario.padEnd(20)} wall ${wall.toFixed(1)} s, slowest unguarded cache ${floor} s, overhead ${overhead.toFixed(1)} s; ` +
      `${toProof} (contained: ${measured.map((m) => m.contained).join(', ')}; ${measured[0].phases})`,
  )
  // The ratio column holds overhead / target, so the target reads as ≤ 1 (1 s).
  rows.push(
    resultRow({
      work: `drill ${scenario}: wall time minus its slowest unguarded cache (overhead, target < ${TARGET_SECONDS} s)`,
      jwkr: `${wall.toFixed(1)} s (overhead ${overhead.toFixed(1)} s)`,
      reference: `slowest unguarded cache ${floor} s`,
      ratio: overhead / TARGET_SECONDS,
      target: {atMost: 1},
      note: `${toProof}; phases: ${measured[0].phases}`,
    }),
  )
}
printResult('drill', rows)
