// bench/verify-memory: does a long `verify --until-contained` keep its memory flat? It runs the service
// the command calls (verifyContainment, untilContained) against a loopback world that never gets
// contained: one issuer keeps publishing the leaked key and every service is a relying party that
// keeps accepting it (it checks each canary's signature with the leaked public key; 200, else 401).
// The world runs in a worker thread, so its memory is not the heap being measured.
//
// A 30-minute run at the default interval is 120 checks (DEFAULT_DEADLINE_MS / DEFAULT_INTERVAL_MS).
// The bench makes the same number of checks back to back, on a clock that moves 15 s per check: the
// canaries are dated by it and the secret registry forgets them by it, so what a real run keeps is
// what the bench keeps. After every check it collects the garbage and samples the heap and RSS.
// Target: flat — the heap after GC at the end of the last third is at most 5% above the heap at the
// end of the first third (each the median of that third's last 5 samples). A canary lives 5 minutes
// and is kept redactable 5 more (20 + 20 checks), so the first third already holds all a run keeps.
//
//   node --import tsx --expose-gc bench/verify-memory.mjs [--services 100] [--checks 120] [--quick]
//   node --import tsx --expose-gc bench/verify-memory.mjs --real   # the real thing: 30 minutes, 15 s apart
// Ends with one BENCH_RESULT line (bench/lib/bench-result.mjs).
import {generateKeyPairSync} from 'node:crypto'
import {once} from 'node:events'
import {createServer} from 'node:http'
import {parseArgs} from 'node:util'
import {isMainThread, parentPort, Worker, workerData} from 'node:worker_threads'

import {printResult, resultRow} from './lib/bench-result.mjs'
import {loopbackIssuers} from './lib/loopback-issuers.mjs'

const TARGET = {atMost: 1.05}
/** Each third's figure: the median of its last samples (one GC'd sample after each check). */
const TAIL = 5
const MiB = 1024 * 1024
const GC_PASSES = 3

if (isMainThread) await main()
else await serve(workerData)

/** /jwks/0: the leaked key, published for good; /probe/<j>: 200 for a token the leaked key signed, else 401. */
async function serve({leaked}) {
  const {compactVerify, importJWK} = await import('jose')
  const publicKey = await importJWK(leaked, 'ES256')
  const jwks = JSON.stringify({keys: [leaked]})
  const server = createServer(async (request, response) => {
    let status = 401
    let body = '{"error":"invalid_token"}'
    if (request.url === '/jwks/0') {
      status = 200
      body = jwks
    } else {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
      const valid = await compactVerify(token ?? '', publicKey).then(
        () => true,
        () => false,
      )
      if (valid) [status, body] = [200, '{"sub":"jwkr-canary"}']
    }
    response.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)})
    response.end(body)
  })
  server.keepAliveTimeout = 60_000
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  parentPort.on('message', () => {
    server.closeAllConnections()
    server.close()
    parentPort.close()
  })
  parentPort.postMessage({port: server.address().port})
}

async function main() {
  const {values} = parseArgs({
    options: {
      services: {type: 'string'},
      checks: {type: 'string'},
      real: {type: 'boolean', default: false},
      quick: {type: 'boolean', default: false},
    },
  })
  if (typeof globalThis.gc !== 'function') {
    console.error('Run with --expose-gc: the heap is sampled after a full collection.')
    process.exit(2)
  }
  const [{verifyContainment, DEFAULT_DEADLINE_MS, DEFAULT_INTERVAL_MS}, {loadKeys}, {SecretRegistry}] = await Promise.all([
    import('../src/services/verify.ts'),
    import('../src/core/key/load-keys.ts'),
    import('../src/core/secrets.ts'),
  ])
  const real = values.real
  const services = Number(values.services ?? (values.quick ? 40 : 100))
  const checks = Number(values.checks ?? Math.round(DEFAULT_DEADLINE_MS / DEFAULT_INTERVAL_MS))

  const pair = generateKeyPairSync('ec', {namedCurve: 'P-256'})
  const leakedPrivate = {...pair.privateKey.export({format: 'jwk'}), kid: 'leaked', alg: 'ES256'}
  const leakedPublic = {...pair.publicKey.export({format: 'jwk'}), kid: 'leaked', alg: 'ES256', use: 'sig'}
  const worker = new Worker(new URL(import.meta.url), {workerData: {leaked: leakedPublic}})
  const [{port}] = await once(worker, 'message')
  const origin = `http://127.0.0.1:${port}`
  const inventory = {
    version: 1,
    issuers: loopbackIssuers(origin, 1),
    services: Array.from({length: services}, (_, j) => ({
      id: `service-${j}`,
      team: `team-${j % 10}`,
      contacts: {slack: `#team-${j % 10}`},
      trusts: ['issuer-0'],
      probe: {url: `${origin}/probe/${j}`, method: 'GET'},
      jwksCacheSeconds: 600,
    })),
  }

  // The run's clock: real, or 15 s further at each check (what a run at the default interval sees).
  const started = Date.now()
  let round = 0
  let roundStarted = started
  const now = real ? () => new Date() : () => new Date(started + round * DEFAULT_INTERVAL_MS + (Date.now() - roundStarted))
  const secrets = new SecretRegistry({now: () => now().getTime()})
  const [key] = (await loadKeys(JSON.stringify(leakedPrivate), {secrets})).keys
  console.log(
    `bench/verify-memory: ${services} services that keep accepting the key, ${checks} checks ` +
      (real
        ? `${DEFAULT_INTERVAL_MS / 1000} s apart (real time)`
        : `back to back, the clock moving ${DEFAULT_INTERVAL_MS / 1000} s per check`),
  )

  const samples = []
  const stop = new globalThis.AbortController()
  let last
  try {
    last = await verifyContainment({
      inventory,
      key,
      secrets,
      untilContained: true,
      deadlineMs: real ? DEFAULT_DEADLINE_MS : 24 * 3600_000,
      intervalMs: real ? DEFAULT_INTERVAL_MS : 1,
      timeoutMs: 30_000,
      now,
      signal: stop.signal,
      onCheck: ({round: seen, result}) => {
        // Several passes: one leaves what only a later pass frees (weakly held code, finalizers' targets).
        for (let pass = 0; pass < GC_PASSES; pass++) globalThis.gc()
        const {heapUsed, rss} = process.memoryUsage()
        samples.push({round: seen, heapUsed, rss, secrets: secrets.size, exposed: result.exposed.length})
        if (seen % 10 === 0 || seen === 1) {
          console.log(
            `check ${String(seen).padStart(3)}: heap ${(heapUsed / MiB).toFixed(1)} MiB, rss ${(rss / MiB).toFixed(0)} MiB, ` +
              `secrets registered ${secrets.size}, exposed ${result.exposed.length}/${services}`,
          )
        }
        round = seen
        roundStarted = Date.now()
        if (seen >= checks) stop.abort()
      },
    })
  } catch (error) {
    if (!stop.signal.aborted) throw error
  }
  worker.postMessage('stop')

  const third = Math.floor(samples.length / 3)
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const at = (end, field) => median(samples.slice(Math.max(0, end - TAIL), end).map((sample) => sample[field]))
  const figures = [third, 2 * third, samples.length].map((end) => ({
    check: end,
    heap: at(end, 'heapUsed') / MiB,
    rss: at(end, 'rss') / MiB,
    secrets: at(end, 'secrets'),
  }))
  const [first, middle, lastThird] = figures
  for (const figure of figures) {
    console.log(
      `by check ${String(figure.check).padStart(3)}: heap after GC ${figure.heap.toFixed(1)} MiB, rss ${figure.rss.toFixed(0)} MiB, secrets ${figure.secrets}`,
    )
  }
  const wrong = samples.length < checks || samples.some((sample) => sample.exposed !== services) || last?.contained === true
  if (wrong) {
    console.error(`unexpected: ${checks} checks with every one of the ${services} services exposed`)
    process.exitCode = 1
  }
  const ratio = lastThird.heap / first.heap
  console.log(`heap growth, last third over first: ${((ratio - 1) * 100).toFixed(1)}% (target < 5%)`)
  printResult('verify-memory', [
    resultRow({
      work: `\`verify --until-contained\`, ${checks} checks (${real ? 'a real' : 'as in a'} 30-minute run), ${services} services never contained: heap after GC`,
      jwkr: `${lastThird.heap.toFixed(1)} MiB by check ${lastThird.check}`,
      reference: `${first.heap.toFixed(1)} MiB by check ${first.check}`,
      ratio: wrong ? Number.NaN : ratio,
      target: TARGET,
      note: `heap after GC ${first.heap.toFixed(1)} / ${middle.heap.toFixed(1)} / ${lastThird.heap.toFixed(1)} MiB at checks ${first.check} / ${middle.check} / ${lastThird.check}; secrets registered ${first.secrets} / ${middle.secrets} / ${lastThird.secrets}; rss ${first.rss.toFixed(0)} / ${middle.rss.toFixed(0)} / ${lastThird.rss.toFixed(0)} MiB`,
    }),
  ])
}
