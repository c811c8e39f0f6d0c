// bench/verify: signature verification alone, as the token scan does it (one verifier per worker
// thread, bound to the leaked key as `tokens scan` loads it from its JWK and posts it to the workers:
// canonicalizeJwk, then createSignatureVerifier in each worker), against `openssl speed` on the same
// algorithm and the same number of processes: RS256 ↔ rsa2048, ES256 ↔ ecdsap256, EdDSA ↔ ed25519.
// Both sides are wall-clock rates (`openssl speed -elapsed`: without it openssl divides by its own
// CPU time, which on a loaded machine flatters it against any wall-clock figure). Rounds alternate
// jwkr and openssl; the ratio is the median of the rounds' ratios. Target ≥ 0.8× (issue 18).
//
// Runs the TypeScript sources under tsx (no build needed):
//   node --import tsx bench/verify.mjs [--tokens 200000] [--rounds 3] [--threads 2] [--algs RS256,ES256,EdDSA] [--quick]
import {spawnSync} from 'node:child_process'
import {generateKeyPairSync, sign} from 'node:crypto'
import {once} from 'node:events'
import {performance} from 'node:perf_hooks'
import {parseArgs} from 'node:util'
import {isMainThread, parentPort, Worker, workerData} from 'node:worker_threads'

import {formatTarget, printResult, resultRow} from './lib/bench-result.mjs'

const TARGET = {atLeast: 0.8}
/** The key to generate, how to sign with node:crypto, and openssl speed's name and output line. */
const ALGORITHMS = {
  RS256: {generate: ['rsa', {modulusLength: 2048}], digest: 'sha256', options: {}, openssl: 'rsa2048', line: /^rsa\s+2048 bits/m},
  ES256: {
    generate: ['ec', {namedCurve: 'P-256'}],
    digest: 'sha256',
    options: {dsaEncoding: 'ieee-p1363'},
    openssl: 'ecdsap256',
    line: /^\s*256 bits ecdsa \(nistp256\)/m,
  },
  EdDSA: {generate: ['ed25519'], digest: null, options: {}, openssl: 'ed25519', line: /^\s*253 bits EdDSA \(Ed25519\)/m},
}

if (isMainThread) await main()
else await verifyInWorker(workerData)

/** A worker: one verifier for the key, then batches of synchronous verifies on command. */
async function verifyInWorker({tokens, key}) {
  // tsx's loader is not inherited by worker threads on Node 20: load the source through its API.
  const {tsImport} = await import('tsx/esm/api')
  const {createSignatureVerifier} = await tsImport('../src/core/tokens/verify-signature.ts', import.meta.url)
  const verifies = createSignatureVerifier(key)
  parentPort.on('message', (count) => {
    if (count === 'stop') return parentPort.close()
    const start = performance.now()
    let valid = 0
    for (let done = 0; done < count; done++) if (verifies(tokens[done % tokens.length]) === true) valid++
    parentPort.postMessage({valid, ms: performance.now() - start})
  })
  parentPort.postMessage('ready')
}

async function main() {
  // Not a static import: the workers load this file too, without tsx's loader.
  const {tsImport} = await import('tsx/esm/api')
  const {canonicalizeJwk} = await tsImport('../src/core/key/canonical-key.ts', import.meta.url)
  const {values} = parseArgs({
    options: {
      tokens: {type: 'string'},
      rounds: {type: 'string'},
      threads: {type: 'string', default: '2'},
      algs: {type: 'string', default: 'RS256,ES256,EdDSA'},
      quick: {type: 'boolean', default: false},
    },
  })
  const threads = Number(values.threads)
  const total = Number(values.tokens ?? (values.quick ? 20_000 : 200_000))
  const rounds = Number(values.rounds ?? (values.quick ? 1 : 3))
  const seconds = values.quick ? 1 : 3
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
  const rows = []
  console.log(
    `bench/verify: ${total.toLocaleString('en')} verifies a round on ${threads} worker threads, ${rounds} round(s) per algorithm`,
  )
  for (const alg of values.algs.split(',')) {
    const spec = ALGORITHMS[alg]
    if (!spec) throw new Error(`unknown alg ${alg}: one of ${Object.keys(ALGORITHMS).join(', ')}`)
    const {privateKey} = generateKeyPairSync(...spec.generate)
    // The key as `tokens scan --key leaked.jwk` holds it: node:crypto imports a JWK differently from a
    // generated key or PEM, and OpenSSL then does more work per verify with it.
    const {publicKey} = canonicalizeJwk(privateKey.export({format: 'jwk'}))
    const header = Buffer.from(JSON.stringify({alg, kid: 'bench'})).toString('base64url')
    // Distinct tokens, as in a log: each verify works on another input.
    const tokens = Array.from({length: 1000}, (_, i) => {
      const input = `${header}.${Buffer.from(JSON.stringify({sub: `u${i}`, jti: `j${i}`, iat: 1714521600 + i})).toString('base64url')}`
      return `${input}.${sign(spec.digest, Buffer.from(input), {key: privateKey, ...spec.options}).toString('base64url')}`
    })
    const workers = Array.from(
      {length: threads},
      () => new Worker(new URL(import.meta.url), {workerData: {tokens, key: publicKey}}),
    )
    await Promise.all(workers.map((worker) => once(worker, 'message')))
    const perWorker = Math.ceil(total / threads)
    const jwkrRound = async () => {
      const start = performance.now()
      const cpu = process.cpuUsage()
      workers.forEach((worker) => worker.postMessage(perWorker))
      const results = await Promise.all(workers.map(async (worker) => (await once(worker, 'message'))[0]))
      const ms = performance.now() - start
      const used = process.cpuUsage(cpu)
      const valid = results.reduce((sum, result) => sum + result.valid, 0)
      if (valid !== perWorker * threads) {
        console.error(`MISMATCH: ${perWorker * threads - valid} ${alg} benchmark tokens did not verify.`)
        process.exitCode = 1
      }
      // Per CPU-second of the whole process, scaled to the threads: comparable with openssl's default figure.
      return {wall: valid / (ms / 1000), cpu: (valid / ((used.user + used.system) / 1e6)) * threads}
    }
    /**
     * openssl's verifies/s on `threads` processes by wall clock (-elapsed), or per CPU-second: one
     * process's default figure (it divides by its CPU time; with -multi it does not) times `threads`.
     */
    const openssl = (elapsed) => {
      const processes = elapsed ? ['-elapsed', '-multi', String(threads)] : []
      const args = ['speed', ...processes, '-seconds', String(seconds), spec.openssl]
      const out = spawnSync('openssl', args, {encoding: 'utf8'}).stdout ?? ''
      const line = out.split('\n').find((text) => spec.line.test(text))
      // "<name>  <sign s>  <verify s>  <sign/s>  <verify/s>": the last number.
      return line ? Number(line.trim().split(/\s+/).at(-1)) * (elapsed ? 1 : threads) : Number.NaN
    }
    const opensslRound = () => ({wall: openssl(true), cpu: openssl(false)})
    await jwkrRound() // warm-up: JIT and the header decision
    const measured = []
    for (let round = 0; round < rounds; round++) measured.push({jwkr: await jwkrRound(), openssl: opensslRound()})
    workers.forEach((worker) => worker.postMessage('stop'))
    const of = (side, basis) => median(measured.map((m) => m[side][basis]))
    const ratio = (basis) => median(measured.map((m) => m.jwkr[basis] / m.openssl[basis]))
    const k = (rate) => `${(rate / 1000).toFixed(1)}k/s`
    const perCpu = `per CPU-second ${k(of('jwkr', 'cpu'))} against ${k(of('openssl', 'cpu'))}, ${ratio('cpu').toFixed(2)}×`
    console.log(
      `${alg.padEnd(6)} jwkr ${k(of('jwkr', 'wall'))}  openssl speed -elapsed -multi ${threads} ${spec.openssl} ${k(of('openssl', 'wall'))}  ` +
        `ratio ${ratio('wall').toFixed(2)}× (target ${formatTarget(TARGET)}; rounds: ${measured.map((m) => (m.jwkr.wall / m.openssl.wall).toFixed(2)).join(', ')}); ${perCpu}`,
    )
    rows.push(
      resultRow({
        work: `${alg} verifies/s on ${threads} cores`,
        jwkr: k(of('jwkr', 'wall')),
        reference: `\`openssl speed -elapsed -multi ${threads} ${spec.openssl}\`, ${k(of('openssl', 'wall'))}`,
        ratio: ratio('wall'),
        target: TARGET,
        note: perCpu,
      }),
    )
  }
  printResult('verify', rows)
}
