// Benchmark of `jwkr inventory discover` against `jwkr code scan` on the same tree (the 50,000-file
// tree of bench/scan.mjs, plus 200 services' configuration planted in it): both whole processes, as
// a user runs them, with the same ignore rules. Prints the median wall time of each and the ratio
// (target ≤ 1.5×, issue 13), and checks that discovery found every planted service. Needs
// `npm run build` first (it runs bin/run.js, which loads dist/).
//
//   node bench/discover.mjs                          # 50,000 files (the scan tree, built once)
//   BENCH_SCAN_FILES=5000 node bench/discover.mjs    # a quick run on a smaller tree
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

import {makeTree} from './lib/make-tree.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const work = join(root, 'bench', '.work')
const dist = join(root, 'dist')
const files = Number(process.env.BENCH_SCAN_FILES ?? 50_000)
const runs = Number(process.env.BENCH_DISCOVER_RUNS ?? 5)
const SERVICES = 200

if (!existsSync(join(dist, 'commands', 'inventory', 'discover.js'))) {
  console.error('dist/ has no inventory discover command: run `npm run build` first.')
  process.exit(1)
}

const {tree, key} = await makeTree({work, files, dist})
// 200 services, each a package with code that builds a remote JWKS and a .env naming its issuer.
for (let i = 0; i < SERVICES; i++) {
  const dir = join(tree, 'services', `svc-${i}`)
  mkdirSync(join(dir, 'src'), {recursive: true})
  writeFileSync(join(dir, 'package.json'), JSON.stringify({name: `svc-${i}`}))
  writeFileSync(
    join(dir, 'src', 'auth.ts'),
    `const JWKS = createRemoteJWKSet(new URL('https://auth${i % 3}.bench.example/.well-known/jwks.json'))\n`,
  )
  writeFileSync(join(dir, '.env'), `ISSUER=https://auth${i % 3}.bench.example\n`)
}
console.log(`tree: ${relative(root, tree)} (${files.toLocaleString('en')} files + ${SERVICES} services)`)

function timed(args) {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, ['bin/run.js', ...args], {cwd: root, encoding: 'utf8', maxBuffer: 256 << 20})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`jwkr ${args.join(' ')} exited ${result.status}:\n${result.stderr}`)
  return {ms, stdout: result.stdout}
}

// The tree sits in bench/.work, which git ignores: both read it with --no-ignore (and the same walk otherwise).
const discover = ['inventory', 'discover', tree, '--no-ignore', '--json']
const scan = ['code', 'scan', '--key', key, tree, '--no-ignore', '--json']
const first = JSON.parse(timed(discover).stdout)
timed(scan)
const times = {discover: [], scan: []}
for (let run = 0; run < runs; run++) {
  times.discover.push(timed(discover).ms)
  times.scan.push(timed(scan).ms)
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const format = (ms) => `${(ms / 1000).toFixed(2)} s`
const [d, s] = [median(times.discover), median(times.scan)]
console.log(`jwkr inventory discover  median ${format(d)}  (runs: ${times.discover.map(format).join(', ')})`)
console.log(`jwkr code scan           median ${format(s)}  (runs: ${times.scan.map(format).join(', ')})`)
console.log(`ratio                    ${(d / s).toFixed(2)}× (target ≤ 1.5×)`)
const found = first.services.filter((entry) => /^svc-\d+$/.test(entry.service.id)).length
console.log(`services discovered      ${found} of ${SERVICES}`)
if (found !== SERVICES) process.exitCode = 1
