// `npm run bench`: runs every benchmark, one after another (each takes its own reference in the same
// run), and prints one Markdown table — work, jwkr, reference, ratio, target, pass — then writes it as
// JSON (bench/.work/bench-results.json, or --out). Each script's figures are read from its
// BENCH_RESULT line (bench/lib/bench-result.mjs). The machine's load (`uptime`) is recorded next to
// the table: on a shared machine the ratios mean little without it.
//
//   npm run bench                        # full sizes (1 GiB log, 50,000-file tree, …): long
//   npm run bench -- --quick             # small sizes, a few minutes
//   npm run bench -- --only verify,probe --out /tmp/bench.json --no-build
import {spawnSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {loadavg} from 'node:os'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {formatTarget, parseResult} from './lib/bench-result.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const {values} = parseArgs({
  options: {
    quick: {type: 'boolean', default: false},
    only: {type: 'string'},
    out: {type: 'string', default: join(root, 'bench', '.work', 'bench-results.json')},
    build: {type: 'boolean', default: true},
    'no-build': {type: 'boolean', default: false},
  },
})
const quick = values.quick

/** Every benchmark: how to run it (full and quick; `node`: flags for node itself), and whether it runs the compiled CLI. */
const BENCHMARKS = [
  {name: 'cold-start', script: 'cold-start.mjs', built: true, args: quick ? ['--runs', '7', '--warmup', '2'] : []},
  {name: 'tokens', script: 'tokens.mjs', built: true, env: quick ? {BENCH_TOKENS_MB: '64', BENCH_TOKENS_RUNS: '3'} : {}},
  {name: 'scan', script: 'scan.mjs', built: true, env: quick ? {BENCH_SCAN_FILES: '5000', BENCH_SCAN_RUNS: '3'} : {}},
  {name: 'discover', script: 'discover.mjs', built: true, env: quick ? {BENCH_SCAN_FILES: '5000', BENCH_DISCOVER_RUNS: '3'} : {}},
  {name: 'verify', script: 'verify.mjs', tsx: true, args: quick ? ['--quick'] : []},
  {name: 'probe', script: 'probe.mjs', tsx: true, args: quick ? ['--quick'] : []},
  {name: 'drill', script: 'drill-overhead.mjs', tsx: true, args: quick ? ['--quick'] : []},
  {name: 'scale', script: 'scale.mjs', tsx: true, args: quick ? ['--quick'] : []},
  {name: 'verify-memory', script: 'verify-memory.mjs', tsx: true, node: ['--expose-gc'], args: quick ? ['--quick'] : []},
]
const only = values.only?.split(',')
const chosen = BENCHMARKS.filter((bench) => only === undefined || only.includes(bench.name))

const uptime = () =>
  spawnSync('uptime', {encoding: 'utf8'}).stdout?.trim() ||
  `load average: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`

if (values.build && !values['no-build'] && chosen.some((bench) => bench.built)) {
  console.log('$ npm run build')
  const build = spawnSync('npm', ['run', 'build'], {cwd: root, stdio: 'inherit'})
  if (build.status !== 0) {
    console.error('npm run build failed: the benchmarks that run the compiled CLI cannot run.')
    process.exit(1)
  }
}

const results = []
for (const bench of chosen) {
  const args = [
    ...(bench.tsx ? ['--import', 'tsx'] : []),
    ...(bench.node ?? []),
    join('bench', bench.script),
    ...(bench.args ?? []),
  ]
  const load = uptime()
  console.log(`\n$ node ${args.join(' ')}    [${load}]`)
  const started = Date.now()
  const run = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    env: {...process.env, ...bench.env},
    maxBuffer: 64 * 1024 * 1024,
  })
  process.stdout.write(run.stdout ?? '')
  process.stderr.write(run.stderr ?? '')
  const rows = parseResult(bench.name, run.stdout ?? '')
  const failed = run.status !== 0 || rows.length === 0
  results.push({
    bench: bench.name,
    command: `node ${args.join(' ')}`,
    exitCode: run.status,
    seconds: (Date.now() - started) / 1000,
    load,
    rows: rows.length > 0 ? rows : [{work: bench.name, jwkr: 'failed', reference: '', ratio: null, target: {}, pass: false}],
    ...(failed ? {problem: run.status !== 0 ? `exited ${run.status}` : 'no result line'} : {}),
  })
}

const cell = (text) => String(text ?? '').replaceAll('|', '\\|')
const lines = [
  '| Work | jwkr | Reference | Ratio | Target | Pass |',
  '|---|---|---|---|---|---|',
  ...results.flatMap((result) =>
    result.rows.map((row) =>
      [
        row.work,
        row.jwkr,
        row.reference,
        row.ratio === null ? '—' : `${row.ratio.toFixed(2)}×`,
        row.target.atMost !== undefined || row.target.atLeast !== undefined ? formatTarget(row.target) : '',
        row.pass ? 'yes' : result.problem ? `no (${result.problem})` : 'no',
      ]
        .map(cell)
        .join(' | ')
        .replace(/^/, '| ')
        .replace(/$/, ' |'),
    ),
  ),
]
const table = lines.join('\n')
const document = {
  date: new Date().toISOString(),
  quick,
  node: process.version,
  commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], {cwd: root, encoding: 'utf8'}).stdout?.trim() ?? null,
  load: uptime(),
  table,
  results,
}
mkdirSync(dirname(values.out), {recursive: true})
writeFileSync(values.out, `${JSON.stringify(document, null, 2)}\n`)
console.log(`\n${table}\n\nload: ${document.load}; node ${process.version}${quick ? '; --quick sizes' : ''}`)
console.log(`written: ${relative(process.cwd(), values.out) || values.out}`)
const notes = results.flatMap((result) => result.rows.filter((row) => row.note).map((row) => `- ${row.work}: ${row.note}`))
if (notes.length > 0) console.log(`\nnotes:\n${notes.join('\n')}`)
if (results.some((result) => result.rows.some((row) => !row.pass))) process.exitCode = 1
