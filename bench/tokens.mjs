// Benchmark of `jwkr tokens scan` (the whole process, as a user runs it) against ripgrep counting the
// lines that hold a JWT in the same log (`rg -c` with a strict JWT regex). Prints the median wall time
// of each, the ratio (target ≤ 1.5×, issue 18), jwkr's peak RSS (target ≤ 200 MB), and checks that every planted
// token was classified right. Then measures signature verification alone: RS256 tokens verified with
// one reused key object on 2 worker threads, against `openssl speed -multi 2 rsa2048` (target ≥ 0.6×).
// Needs `npm run build` first (it runs bin/run.js and imports dist/).
//
//   node bench/tokens.mjs                          # a 1 GiB log (built once, ~1 min)
//   BENCH_TOKENS_MB=100 node bench/tokens.mjs      # a quick run on 100 MiB
//   BENCH_TOKENS_RUNS=7 BENCH_VERIFY_TOKENS=40000 node bench/tokens.mjs
//   BENCH_TOKENS_RATE=0.5 node bench/tokens.mjs    # a dense log: half the lines carry a JWT
//   BENCH_TOKENS_STDIN=4 node bench/tokens.mjs     # the log 4 times through stdin (4 GiB), for both
//   BENCH_VERIFY=0 node bench/tokens.mjs           # the scan only, without the verify comparison
import {spawn, spawnSync} from 'node:child_process'
import {createPrivateKey, createPublicKey, sign as signBytes} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'

import {makeTokenLog} from './lib/make-token-log.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const work = join(root, 'bench', '.work')
const dist = join(root, 'dist')
const megabytes = Number(process.env.BENCH_TOKENS_MB ?? 1024)
const runs = Number(process.env.BENCH_TOKENS_RUNS ?? 5)
const verifyTokens = Number(process.env.BENCH_VERIFY_TOKENS ?? 20_000)
const rate = Number(process.env.BENCH_TOKENS_RATE ?? 0.02)
/** 0: jwkr and rg read the file; N: both read it N times over, streamed through their stdin. */
const stdinCopies = Number(process.env.BENCH_TOKENS_STDIN ?? 0)
const verify = process.env.BENCH_VERIFY !== '0'
const VERIFY_THREADS = 2
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

/** Runs a command with the log written stdinCopies times to its stdin (by `cat`, so this process does not slow the pipe). */
function fedFromLog(command, args) {
  return new Promise((resolve) => {
    const cat = spawn('cat', Array(stdinCopies).fill(log), {stdio: ['ignore', 'pipe', 'inherit']})
    const child = spawn(command, args, {cwd: root, stdio: [cat.stdout, 'pipe', 'pipe']})
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

if (!verify) process.exit()

// Verification throughput: the same verify call as the scan (one reused KeyObject, concurrent calls),
// on 2 worker threads, against openssl's own RSA-2048 verify on 2 processes.
const privateKey = createPrivateKey({key: JSON.parse(readFileSync(key, 'utf8')), format: 'jwk'})
const publicKey = createPublicKey(privateKey)
const distinct = 1000
const header = Buffer.from(JSON.stringify({alg: 'RS256', kid: 'bench'})).toString('base64url')
const tokens = Array.from({length: distinct}, (_, i) => {
  const input = `${header}.${Buffer.from(JSON.stringify({sub: `u${i}`, jti: `j${i}`, iat: 1714521600 + i})).toString('base64url')}`
  return `${input}.${signBytes('sha256', Buffer.from(input), privateKey).toString('base64url')}`
})
const workerSource = `
  const {parentPort, workerData} = require('node:worker_threads')
  import(workerData.module).then(async ({verifiesWith}) => {
    const {tokens, key, count} = workerData
    let valid = 0
    await verifiesWith(tokens[0], key)
    parentPort.postMessage('ready')
    await new Promise((resolve) => parentPort.once('message', resolve))
    const start = performance.now()
    for (let done = 0; done < count; done += 64) {
      const batch = Array.from({length: Math.min(64, count - done)}, (_, i) => tokens[(done + i) % tokens.length])
      valid += (await Promise.all(batch.map((token) => verifiesWith(token, key)))).filter(Boolean).length
    }
    parentPort.postMessage({valid, ms: performance.now() - start})
  })`
const module = pathToFileURL(join(dist, 'adapters', 'tokens', 'run-token-task.js')).href
const perWorker = Math.ceil(verifyTokens / VERIFY_THREADS)

/** One round: 2 workers verify `perWorker` tokens each, all at once; returns verifies per second. */
async function verifyRound() {
  const workers = Array.from(
    {length: VERIFY_THREADS},
    () => new Worker(workerSource, {eval: true, workerData: {module, tokens, key: publicKey, count: perWorker}}),
  )
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))))
  const start = performance.now()
  workers.forEach((worker) => worker.postMessage('go'))
  const results = await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))))
  const ms = performance.now() - start
  await Promise.all(workers.map((worker) => worker.terminate()))
  const valid = results.reduce((sum, result) => sum + result.valid, 0)
  if (valid !== perWorker * VERIFY_THREADS) {
    console.error('MISMATCH: some benchmark tokens did not verify.')
    process.exitCode = 1
  }
  return valid / (ms / 1000)
}

/** openssl's RSA-2048 verifies per second on VERIFY_THREADS processes, or NaN. */
function opensslRound() {
  const openssl = spawnSync('openssl', ['speed', '-seconds', '2', '-multi', String(VERIFY_THREADS), 'rsa2048'], {
    encoding: 'utf8',
  })
  const line = /^rsa\s+2048 bits\s+\S+s\s+\S+s\s+[\d.]+\s+([\d.]+)/m.exec(openssl.stdout ?? '')
  return line ? Number(line[1]) : Number.NaN
}

// Alternated rounds, as for the scan: the median of the paired ratios.
const rounds = []
for (let round = 0; round < 3; round++) rounds.push({jwkr: await verifyRound(), openssl: opensslRound()})
const jose = median(rounds.map((round) => round.jwkr))
console.log(
  `verify           ${jose.toFixed(0)} RS256 verifies/s on ${VERIFY_THREADS} workers, one reused key object (median of 3 rounds)`,
)
if (rounds.some((round) => Number.isNaN(round.openssl))) {
  console.log('openssl speed    not measured (no openssl, or its output was not understood)')
} else {
  const ratio = median(rounds.map((round) => round.jwkr / round.openssl))
  console.log(
    `openssl speed    ${median(rounds.map((round) => round.openssl)).toFixed(0)} rsa2048 verifies/s (-multi ${VERIFY_THREADS}, median)`,
  )
  console.log(`verify ratio     ${ratio.toFixed(2)}× median of paired rounds (target ≥ 0.6×)`)
}
