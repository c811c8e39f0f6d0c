// Benchmark of `jwkr tokens scan` (the whole process, as a user runs it) against ripgrep counting the
// lines that hold a JWT in the same log (`rg -c` with a strict JWT regex). Prints the median wall time
// of each, the ratio (target ≤ 1.5×, issue 18), jwkr's peak RSS (target ≤ 200 MB), and checks that every planted
// token was classified right (signature verification alone: bench/verify.mjs). Ends with one
// BENCH_RESULT line (bench/lib/bench-result.mjs). Needs `npm run build` first (it runs bin/run.js).
//
//   node bench/tokens.mjs                          # a 1 GiB log (built once, ~1 min)
//   BENCH_TOKENS_MB=100 node bench/tokens.mjs      # a quick run on 100 MiB
//   BENCH_TOKENS_RUNS=7 node bench/tokens.mjs
//   BENCH_TOKENS_RATE=0.5 node bench/tokens.mjs    # a dense log: half the lines carry a JWT
//   BENCH_TOKENS_STDIN=4 node bench/tokens.mjs     # the log 4 times through stdin (4 GiB), for both
import {spawn, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

import {printResult, resultRow} from './lib/bench-result.mjs'
import {makeTokenLog} from './lib/make-token-log.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const work = join(root, 'bench', '.work')
const dist = join(root, 'dist')
const megabytes = Number(process.env.BENCH_TOKENS_MB ?? 1024)
const runs = Number(process.env.BENCH_TOKENS_RUNS ?? 5)
const rate = Number(process.env.BENCH_TOKENS_RATE ?? 0.02)
/** 0: jwkr and rg read the file; N: both read it N times over, streamed through their stdin. */
const stdinCopies = Number(process.env.BENCH_TOKENS_STDIN ?? 0)
const TIME = '/usr/bin/time'
/** Header and payload that start with `{"`, three base64url parts: what `jwkr tokens scan` looks for. */
const STRICT_JWT = 'eyJ[A-Za-z0-9_-]+\\.eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+'

if (!existsSync(join(dist, 'commands', 'tokens', 'scan.js'))) {
  console.error('dist/ has no tokens scan command: run `npm run build` first.')
  process.exit(1)
}

const started = Date.now()
const {log, key, issued, expected} = await makeTokenLog({work, megabytes, rate})
const seconds = (Date.now() - started) / 1000
console.log(
  `log: ${relative(root, log)} (${(expected.bytes / 1024 / 1024).toFixed(0)} MiB, ${expected.lines.toLocaleString('en')} lines, ` +
    `${expected.tokens.toLocaleString('en')} with a JWT${seconds > 1 ? `, built in ${seconds.toFixed(1)} s` : ', cached'})` +
    (stdinCopies > 0 ? `, streamed ${stdinCopies} times through stdin` : ''),
)

const measureMemory = existsSync(TIME)
const input = stdinCopies > 0 ? '-' : log
const jwkrArgs = ['bin/run.js', 'tokens', 'scan', '--key', key, input, '--issued-log', issued, '--json']
const jwkr = measureMemory ? [TIME, '-f', 'maxrss-kb=%M', process.execPath, ...jwkrArgs] : [process.execPath, ...jwkrArgs]
const rg = stdinCopies > 0 ? ['rg', '-c', STRICT_JWT] : ['rg', '-c', STRICT_JWT, log]

/** Runs a command to completion and returns its wall time in ms, stdout and stderr. */
async function timed([command, ...args]) {
  const start = process.hrtime.bigint()
  const result =
    stdinCopies > 0
      ? await fedFromLog(command, args)
      : spawnSync(command, args, {cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.error) throw result.error
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr}`)
  return {ms, stdout: result.stdout, stderr: result.stderr}
}

/**
 * Runs a command with the log written stdinCopies times to its stdin through a shell pipe, as a user
 * streams a log (`zcat … | jwkr tokens scan -`). Not Node's own stdio 'pipe': that is a socket pair,
 * which no shell makes; on it rg reads faster and jwkr polls (a socket cannot be reopened blocking).
 */
function fedFromLog(command, args) {
  return new Promise((resolve) => {
    const script = `cat ${Array(stdinCopies).fill('"$JWKR_BENCH_LOG"').join(' ')} | exec "$@"`
    const child = spawn('sh', ['-c', script, 'sh', command, ...args], {
      cwd: root,
      env: {...process.env, JWKR_BENCH_LOG: log},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out = {stdout: '', stderr: ''}
    child.stdout.setEncoding('utf8').on('data', (chunk) => (out.stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (out.stderr += chunk))
    child.on('error', (error) => resolve({error}))
    child.on('close', (status) => resolve({status, ...out}))
  })
}

// Warm-up: fills the page cache for both, and checks the answers.
const first = {jwkr: await timed(jwkr), rg: await timed(rg)}
const scan = JSON.parse(first.jwkr.stdout)
const rgLines = Number(first.rg.stdout.trim())
const times = {jwkr: [], rg: []}
let peakRssKb = Number(/maxrss-kb=(\d+)/.exec(first.jwkr.stderr)?.[1] ?? 0)
for (let run = 0; run < runs; run++) {
  const a = await timed(jwkr)
  times.jwkr.push(a.ms)
  peakRssKb = Math.max(peakRssKb, Number(/maxrss-kb=(\d+)/.exec(a.stderr)?.[1] ?? 0))
  times.rg.push((await timed(rg)).ms)
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const format = (ms) => `${(ms / 1000).toFixed(2)} s`
// Each jwkr run is paired with the rg run right after it: a burst of load on a shared machine slows
// both of a pair, so the median of the pairs' ratios is steadier than the ratio of the medians.
const pairRatio = median(times.jwkr.map((ms, i) => ms / times.rg[i]))
console.log(`jwkr tokens scan median ${format(median(times.jwkr))}  (runs: ${times.jwkr.map(format).join(', ')})`)
console.log(`rg -c (strict JWT) median ${format(median(times.rg))}  (runs: ${times.rg.map(format).join(', ')})`)
console.log(
  `ratio            ${pairRatio.toFixed(2)}× median of paired runs, ${(median(times.jwkr) / median(times.rg)).toFixed(2)}× of medians (target ≤ 1.5×)`,
)
if (measureMemory)
  console.log(`jwkr peak RSS    ${(peakRssKb / 1024).toFixed(0)} MiB (target ≤ 200 MB; threads ${scan.io.threads})`)
else console.log('jwkr peak RSS    not measured (/usr/bin/time is missing)')

const got = {
  signed: scan.counts['signed-with-leaked-key'],
  forged: scan.counts['suspected-forgery'],
  bad: scan.counts['kid-match-bad-signature'],
}
// Every occurrence counts: a log streamed N times holds each planted token N times.
const copies = Math.max(1, stdinCopies)
const want = {signed: expected.signed * copies, forged: expected.forged * copies, bad: expected.bad * copies}
const right =
  JSON.stringify(got) === JSON.stringify(want) && scan.tokens === expected.tokens * copies && rgLines === expected.tokens * copies
console.log(
  `classified       signed ${got.signed}/${want.signed}, suspected forgeries ${got.forged}/${want.forged}, ` +
    `bad signatures ${got.bad}/${want.bad}; tokens jwkr ${scan.tokens}, rg lines ${rgLines}, planted log ${expected.tokens * copies}` +
    (right ? ' — all right' : ''),
)
if (!right) {
  console.error('MISMATCH: jwkr did not classify every planted token right, or does not count the tokens rg finds.')
  process.exitCode = 1
}

// Signature verification alone (RS256, ES256, EdDSA against openssl speed) is bench/verify.mjs.
printResult('tokens', [
  resultRow({
    work:
      `\`tokens scan\` of a ${(expected.bytes / 1024 / 1024).toFixed(0)} MiB JSON access log (~${Math.round(rate * 100)}% of lines carry a JWT)` +
      (stdinCopies > 0 ? `, ${stdinCopies} times through stdin` : ''),
    jwkr: format(median(times.jwkr)),
    reference: `\`rg -c\` strict JWT regex, ${format(median(times.rg))}`,
    ratio: right ? pairRatio : Number.NaN,
    target: {atMost: 1.5},
    note: `median of paired runs; peak RSS ${measureMemory ? `${(peakRssKb / 1024).toFixed(0)} MiB` : 'not measured'}${right ? '' : '; MISCLASSIFIED'}`,
  }),
])
