// Benchmark of `jwkr code scan` (the whole process, as a user runs it) against ripgrep searching the
// same tree for the same needles: `rg -F --hidden --no-ignore -c -f NEEDLES TREE`. Prints the median
// wall time of each, the ratio (target ≤ 1.5×, issue 18) and jwkr's peak RSS, and checks that both find the key
// in the same files. Needs `npm run build` first (it runs bin/run.js, which loads dist/).
//
//   node bench/scan.mjs                          # 50,000 files, ~500 MB (built once, ~1 min)
//   BENCH_SCAN_FILES=5000 node bench/scan.mjs    # a quick run on a smaller tree
//   BENCH_SCAN_RUNS=7 BENCH_SCAN_THREADS=2 node bench/scan.mjs
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

import {makeTree} from './lib/make-tree.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const work = join(root, 'bench', '.work')
const dist = join(root, 'dist')
const files = Number(process.env.BENCH_SCAN_FILES ?? 50_000)
const runs = Number(process.env.BENCH_SCAN_RUNS ?? 5)
const threads = process.env.BENCH_SCAN_THREADS
const TIME = '/usr/bin/time'

if (!existsSync(join(dist, 'commands', 'code', 'scan.js'))) {
  console.error('dist/ has no code scan command: run `npm run build` first.')
  process.exit(1)
}

const started = Date.now()
const {tree, key, needles, planted} = await makeTree({work, files, dist})
const seconds = ((Date.now() - started) / 1000).toFixed(1)
console.log(
  `tree: ${relative(root, tree)} (${files.toLocaleString('en')} files${seconds > 1 ? `, built in ${seconds} s` : ', cached'})`,
)

const measureMemory = existsSync(TIME)
const jwkrArgs = ['bin/run.js', 'code', 'scan', '--key', key, tree, '--hidden', '--no-ignore', '--json']
if (threads !== undefined) jwkrArgs.push('--threads', threads)
const jwkr = measureMemory ? [TIME, '-f', 'maxrss-kb=%M', process.execPath, ...jwkrArgs] : [process.execPath, ...jwkrArgs]
const rg = ['rg', '-F', '--hidden', '--no-ignore', '-c', '-f', needles, tree]

/** Runs a command to completion and returns its wall time in ms, stdout and stderr. */
function timed([command, ...args]) {
  const start = process.hrtime.bigint()
  const result = spawnSync(command, args, {cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.error) throw result.error
  // rg exits 1 when nothing matched; anything else is a failure.
  if (result.status !== 0 && !(command === 'rg' && result.status === 1)) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr}`)
  }
  return {ms, stdout: result.stdout, stderr: result.stderr}
}

// Warm-up: fills the page cache for both and checks that they agree.
const first = {jwkr: timed(jwkr), rg: timed(rg)}
const jwkrFiles = new Set(JSON.parse(first.jwkr.stdout).hits.map((hit) => relative(tree, hit.path)))
const rgFiles = new Set(
  first.rg.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => relative(tree, line.slice(0, line.lastIndexOf(':')))),
)
const expected = new Set(planted)
const same = (a, b) => a.size === b.size && [...a].every((value) => b.has(value))

const times = {jwkr: [], rg: []}
let peakRssKb = 0
for (let run = 0; run < runs; run++) {
  const a = timed(jwkr)
  times.jwkr.push(a.ms)
  peakRssKb = Math.max(peakRssKb, Number(/maxrss-kb=(\d+)/.exec(a.stderr)?.[1] ?? 0))
  times.rg.push(timed(rg).ms)
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const jwkrMedian = median(times.jwkr)
const rgMedian = median(times.rg)
const format = (ms) => `${(ms / 1000).toFixed(2)} s`
console.log(`jwkr code scan   median ${format(jwkrMedian)}  (runs: ${times.jwkr.map(format).join(', ')})`)
console.log(`rg -F -c -f      median ${format(rgMedian)}  (runs: ${times.rg.map(format).join(', ')})`)
console.log(`ratio            ${(jwkrMedian / rgMedian).toFixed(2)}× (target ≤ 1.5×)`)
if (measureMemory) console.log(`jwkr peak RSS    ${(peakRssKb / 1024).toFixed(0)} MiB`)
console.log(`files with hits  jwkr ${jwkrFiles.size}, rg ${rgFiles.size}, planted ${expected.size}`)
if (!same(jwkrFiles, rgFiles) || !same(jwkrFiles, expected)) {
  console.error('MISMATCH: jwkr and rg do not find the key in the same files.')
  console.error(`  jwkr only: ${[...jwkrFiles].filter((f) => !rgFiles.has(f)).join(', ') || '-'}`)
  console.error(`  rg only:   ${[...rgFiles].filter((f) => !jwkrFiles.has(f)).join(', ') || '-'}`)
  console.error(`  missed:    ${[...expected].filter((f) => !jwkrFiles.has(f)).join(', ') || '-'}`)
  process.exitCode = 1
}
