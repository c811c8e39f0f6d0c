// bench/scale: an inventory of 5,000 services and 500 issuers on a loopback world (a server in a
// worker thread answering every JWKS and every probe after --latency ms). Measures `services locate`
// (locateKey) and one `verify` check (verifyContainment, once) against the ideal their concurrency
// bounds allow: locate fetches each issuer's JWKS, `concurrency` at once (ceil(500 / c) rounds); a
// check fetches every JWKS again (16 at once) and then sends each service its probes (a canary, and
// on the first check a negative control: 16 at once). Target ≤ 1.2× ideal (issue 18). Also prints
// the secret registry's size and the heap after the check: every canary is registered as a secret.
// Each is run once untimed first (JIT, connections), then timed.
//
// Runs the TypeScript sources under tsx (no build needed):
//   node --import tsx bench/scale.mjs [--services 5000] [--issuers 500] [--latency 100] [--concurrency 64] [--quick]
import {generateKeyPairSync} from 'node:crypto'
import {once} from 'node:events'
import {createServer} from 'node:http'
import {performance} from 'node:perf_hooks'
import {setTimeout} from 'node:timers'
import {parseArgs} from 'node:util'
import {isMainThread, parentPort, Worker, workerData} from 'node:worker_threads'

import {printResult, resultRow} from './lib/bench-result.mjs'
import {loopbackIssuers} from './lib/loopback-issuers.mjs'

const TARGET = {atMost: 1.2}
/** The concurrency of a verify check's JWKS fetches and probes (checkJwks, probeServices). */
const CHECK_CONCURRENCY = 16

if (isMainThread) await main()
else await serve(workerData)

/** /jwks/<i>: issuer i's own key (issuer 0 also still serves the leaked key); /probe/<j>: 401, as a contained service answers. */
async function serve({latencyMs, leaked, own}) {
  const server = createServer((request, response) => {
    const jwks = /^\/jwks\/(\d+)$/.exec(request.url ?? '')
    const index = Number(jwks?.[1])
    const body = jwks ? JSON.stringify({keys: index === 0 ? [leaked, own[0]] : [own[index]]}) : '{"error":"invalid_token"}'
    setTimeout(() => {
      response.writeHead(jwks ? 200 : 401, {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)})
      response.end(body)
    }, latencyMs)
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
      issuers: {type: 'string'},
      latency: {type: 'string', default: '100'},
      concurrency: {type: 'string', default: '64'},
      quick: {type: 'boolean', default: false},
    },
  })
  const services = Number(values.services ?? (values.quick ? 1000 : 5000))
  const issuers = Number(values.issuers ?? (values.quick ? 100 : 500))
  const latencyMs = Number(values.latency)
  const concurrency = Number(values.concurrency)
  const [{calculateJwkThumbprint}, {locateKey}, {verifyContainment}, {loadKeys}, {SecretRegistry}] = await Promise.all([
    import('jose'),
    import('../src/services/locate.ts'),
    import('../src/services/verify.ts'),
    import('../src/core/key/load-keys.ts'),
    import('../src/core/secrets.ts'),
  ])

  const pair = generateKeyPairSync('ec', {namedCurve: 'P-256'})
  const leakedPrivate = {...pair.privateKey.export({format: 'jwk'}), kid: 'leaked', alg: 'ES256'}
  const leakedPublic = {...pair.publicKey.export({format: 'jwk'}), kid: 'leaked', alg: 'ES256', use: 'sig'}
  // Every issuer signs with its own key, as in a real inventory: no thumbprint is worked out twice.
  const own = Array.from({length: issuers}, (_, i) => ({
    ...generateKeyPairSync('ec', {namedCurve: 'P-256'}).publicKey.export({format: 'jwk'}),
    kid: `issuer-${i}-key`,
    alg: 'ES256',
  }))
  const worker = new Worker(new URL(import.meta.url), {workerData: {latencyMs, leaked: leakedPublic, own}})
  const [{port}] = await once(worker, 'message')
  const origin = `http://127.0.0.1:${port}`
  const inventory = {
    version: 1,
    issuers: loopbackIssuers(origin, issuers),
    services: Array.from({length: services}, (_, j) => ({
      id: `service-${j}`,
      team: `team-${j % 50}`,
      contacts: {slack: `#team-${j % 50}`},
      // Every tenth service trusts issuer 0 (which served the leaked key): 500 dependents to probe.
      trusts: [j % 10 === 0 ? 'issuer-0' : `issuer-${1 + (j % (issuers - 1))}`],
      probe: {url: `${origin}/probe/${j}`, method: 'GET'},
      jwksCacheSeconds: 1,
    })),
  }
  const leaked = {thumbprint: await calculateJwkThumbprint(leakedPublic, 'sha256'), kid: 'leaked'}

  const secrets = new SecretRegistry()
  const [key] = (await loadKeys(JSON.stringify(leakedPrivate), {secrets})).keys
  console.log(
    `bench/scale: ${services.toLocaleString('en')} services, ${issuers} issuers, ${latencyMs} ms latency; locate concurrency ${concurrency}`,
  )

  await locateKey(inventory, leaked, {secrets, concurrency})
  let started = performance.now()
  const located = await locateKey(inventory, leaked, {secrets, concurrency})
  const locateSeconds = (performance.now() - started) / 1000
  const locateIdeal = (Math.ceil(issuers / concurrency) * latencyMs) / 1000
  const publishing = located.issuers.filter((issuer) => issuer.publishes).length
  console.log(
    `services locate  ${locateSeconds.toFixed(2)} s; ideal ${locateIdeal.toFixed(2)} s = ${(locateSeconds / locateIdeal).toFixed(2)}× ` +
      `(${publishing} issuer publishing, ${located.services.length} dependents)`,
  )

  const dependents = services / 10
  await verifyContainment({inventory, key, secrets, timeoutMs: 30_000})
  started = performance.now()
  const checked = await verifyContainment({inventory, key, secrets, timeoutMs: 30_000})
  const verifySeconds = (performance.now() - started) / 1000
  const probes = checked.services.reduce((sum, service) => sum + (service.probes?.length ?? 0), 0)
  const sends = probes > 0 ? probes : dependents * 2
  const verifyIdeal = ((Math.ceil(issuers / CHECK_CONCURRENCY) + Math.ceil(sends / CHECK_CONCURRENCY)) * latencyMs) / 1000
  const heap = process.memoryUsage().heapUsed / 1024 / 1024
  console.log(
    `one verify check ${verifySeconds.toFixed(2)} s; ideal ${verifyIdeal.toFixed(2)} s = ${(verifySeconds / verifyIdeal).toFixed(2)}× ` +
      `(${checked.services.length} services checked, ${sends} probes; secrets registered ${secrets.size}; heap ${heap.toFixed(0)} MiB)`,
  )
  worker.postMessage('stop')

  const wrong = publishing !== 1 || located.services.length !== dependents || checked.services.length !== dependents
  if (wrong) {
    console.error(`unexpected: 1 issuer should publish the key and ${dependents} services depend on it`)
    process.exitCode = 1
  }
  printResult('scale', [
    resultRow({
      work: `\`services locate\`, ${services.toLocaleString('en')} services / ${issuers} issuers, ${concurrency} at once, ${latencyMs} ms latency`,
      jwkr: `${locateSeconds.toFixed(2)} s`,
      reference: `ideal ${locateIdeal.toFixed(2)} s`,
      ratio: wrong ? Number.NaN : locateSeconds / locateIdeal,
      target: TARGET,
    }),
    resultRow({
      work: `one \`verify\` check, ${dependents.toLocaleString('en')} dependents probed (${sends} probes), ${CHECK_CONCURRENCY} at once`,
      jwkr: `${verifySeconds.toFixed(2)} s`,
      reference: `ideal ${verifyIdeal.toFixed(2)} s`,
      ratio: wrong ? Number.NaN : verifySeconds / verifyIdeal,
      target: TARGET,
      note: `secrets registered ${secrets.size}; heap ${heap.toFixed(0)} MiB`,
    }),
  ])
}
