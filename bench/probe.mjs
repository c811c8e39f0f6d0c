// bench/probe: how close `locateKey` comes to the ideal when probing many slow JWKS endpoints.
// A local server (in a worker thread, so it does not share the event loop being measured) answers
// 500 distinct JWKS URLs, each after 100 ms; locateKey fetches them all with concurrency 64. The
// ideal is ceil(500 / 64) rounds × 100 ms = 0.8 s; the target is ≤ 1.1× ideal (issue 18). A reference run
// (bare fetch + p-limit, same URLs and bound, no parsing) shows what the machine allows right now,
// so that a loaded machine can be told from slow code.
//
// Runs the TypeScript sources under tsx (no build needed, dist/ untouched):
//   node --import tsx bench/probe.mjs [--endpoints 500] [--concurrency 64] [--latency 100] [--runs 5] [--quick]
// Ends with one BENCH_RESULT line (bench/lib/bench-result.mjs).
import {generateKeyPairSync} from 'node:crypto'
import {once as onceEvent} from 'node:events'
import {createServer} from 'node:http'
import {performance} from 'node:perf_hooks'
import {setTimeout} from 'node:timers'
import {parseArgs} from 'node:util'
import {isMainThread, parentPort, Worker, workerData} from 'node:worker_threads'

import {printResult, resultRow} from './lib/bench-result.mjs'
import {loopbackIssuers} from './lib/loopback-issuers.mjs'

const TARGET = 1.1

if (isMainThread) await main()
else await serve(workerData)

/** The remote side: /jwks/<i> answers a two-key JWKS after `latencyMs`; every tenth holds the leaked key. */
async function serve({latencyMs, pool}) {
  let inFlight = 0
  let maxInFlight = 0
  const server = createServer((request, response) => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    const index = Number(/^\/jwks\/(\d+)$/.exec(request.url ?? '')?.[1] ?? -1)
    const keys = index % 10 === 0 ? [pool[0], pool[1]] : [pool[1 + (index % 7)], pool[1 + ((index + 3) % 7)]]
    const body = JSON.stringify({keys})
    setTimeout(() => {
      response.writeHead(200, {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)})
      response.end(body, () => inFlight--)
    }, latencyMs)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  parentPort.on('message', (message) => {
    if (message === 'reset') maxInFlight = 0
    if (message === 'stats') parentPort.postMessage({maxInFlight})
    if (message === 'stop') {
      server.closeAllConnections()
      server.close()
      parentPort.close()
    }
  })
  parentPort.postMessage({port: server.address().port})
}

async function main() {
  const {values} = parseArgs({
    options: {
      endpoints: {type: 'string', default: '500'},
      concurrency: {type: 'string', default: '64'},
      latency: {type: 'string', default: '100'},
      runs: {type: 'string'},
      quick: {type: 'boolean', default: false},
    },
  })
  const endpoints = Number(values.endpoints)
  const concurrency = Number(values.concurrency)
  const latencyMs = Number(values.latency)
  const runs = Number(values.runs ?? (values.quick ? 3 : 5))
  const [{calculateJwkThumbprint}, {default: pLimit}, {locateKey}, {SecretRegistry}] = await Promise.all([
    import('jose'),
    import('p-limit'),
    import('../src/services/locate.ts'),
    import('../src/core/secrets.ts'),
  ])

  // Eight public keys to serve; the first is the "leaked" key. As in a real run, its private
  // members are registered with the secret registry, so the result is checked for leaks.
  const pairs = Array.from({length: 8}, () => generateKeyPairSync('ec', {namedCurve: 'P-256'}))
  const pool = pairs.map(({publicKey}, i) => ({...publicKey.export({format: 'jwk'}), kid: `key-${i}`, use: 'sig', alg: 'ES256'}))
  const leaked = {thumbprint: await calculateJwkThumbprint(pool[0], 'sha256'), kid: pool[0].kid}
  const leakedPrivate = pairs[0].privateKey.export({format: 'jwk'})

  const worker = new Worker(new URL(import.meta.url), {workerData: {latencyMs, pool}})
  const [{port}] = await onceEvent(worker, 'message')
  const origin = `http://127.0.0.1:${port}`
  const inventory = {
    version: 1,
    issuers: loopbackIssuers(origin, endpoints),
    services: Array.from({length: endpoints}, (_, i) => ({
      id: `service-${i}`,
      team: `team-${i % 20}`,
      contacts: {slack: `#team-${i % 20}`},
      trusts: [`issuer-${i}`],
    })),
  }

  const locate = async () => {
    worker.postMessage('reset')
    const secrets = new SecretRegistry()
    secrets.addJwk(leakedPrivate)
    const started = performance.now()
    const result = await locateKey(inventory, leaked, {secrets, concurrency})
    const seconds = (performance.now() - started) / 1000
    worker.postMessage('stats')
    const [{maxInFlight}] = await onceEvent(worker, 'message')
    return {
      seconds,
      maxInFlight,
      publishing: result.issuers.filter((issuer) => issuer.publishes).length,
      dependents: result.services.length,
      failed: result.endpoints.filter((endpoint) => !endpoint.ok).length,
    }
  }
  const bareFetch = async () => {
    const limit = pLimit(concurrency)
    const started = performance.now()
    await Promise.all(
      inventory.issuers.map(({jwksUri}) => limit(() => globalThis.fetch(jwksUri).then((response) => response.json()))),
    )
    return (performance.now() - started) / 1000
  }

  const ideal = (Math.ceil(endpoints / concurrency) * latencyMs) / 1000
  console.log(`bench/probe: ${endpoints} JWKS endpoints, ${latencyMs} ms latency each, concurrency ${concurrency}`)
  console.log(
    `ideal: ${Math.ceil(endpoints / concurrency)} rounds × ${latencyMs} ms = ${ideal.toFixed(2)} s; target ≤ ${TARGET}× ideal`,
  )
  await locate()
  await bareFetch()
  const times = []
  const references = []
  for (let run = 1; run <= runs; run++) {
    const reference = await bareFetch()
    const measured = await locate()
    references.push(reference)
    times.push(measured.seconds)
    console.log(
      `run ${run}: locateKey ${measured.seconds.toFixed(3)} s (${(measured.seconds / ideal).toFixed(2)}× ideal), ` +
        `bare fetch ${reference.toFixed(3)} s (${(reference / ideal).toFixed(2)}×)  ` +
        `[publishing ${measured.publishing}, dependents ${measured.dependents}, failed ${measured.failed}, max in flight ${measured.maxInFlight}]`,
    )
    if (measured.failed > 0 || measured.publishing !== Math.ceil(endpoints / 10) || measured.maxInFlight > concurrency) {
      console.log('  unexpected: every endpoint should answer, every tenth publish the key, and the bound hold')
      process.exitCode = 1
    }
  }
  worker.postMessage('stop')
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
  const ratio = median(times) / ideal
  console.log(
    `median: locateKey ${median(times).toFixed(3)} s = ${ratio.toFixed(2)}× ideal (${ratio <= TARGET ? 'within' : 'OVER'} target ${TARGET}×); ` +
      `bare fetch ${median(references).toFixed(3)} s = ${(median(references) / ideal).toFixed(2)}× ideal; ` +
      `locateKey / bare fetch ${(median(times) / median(references)).toFixed(2)}×`,
  )
  printResult('probe', [
    resultRow({
      work: `${endpoints} JWKS probes at ${latencyMs} ms latency, ${concurrency} at once (\`services locate\`)`,
      jwkr: `${median(times).toFixed(2)} s`,
      reference: `ideal ${ideal.toFixed(2)} s (bare fetch loop ${median(references).toFixed(2)} s)`,
      ratio: process.exitCode ? Number.NaN : ratio,
      target: {atMost: TARGET},
      note: `locateKey / bare fetch ${(median(times) / median(references)).toFixed(2)}×`,
    }),
  ])
}
