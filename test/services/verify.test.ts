import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {decodeJwt} from 'jose'
import {afterEach, describe, expect, it} from 'vitest'

import {renderVerify} from '../../src/cli/render-verify.js'
import {createStyle} from '../../src/cli/style.js'
import {summarizeStep} from '../../src/playbook/step-summary.js'

import {loadKeySource} from '../../src/services/identify.js'
import {
  checkControlKey,
  notContainedMessage,
  verifyContainment,
  type VerifyCheck,
  type VerifyOptions,
  type VerifyResult,
} from '../../src/services/verify.js'
import {leakedKeyOf} from '../../src/core/inventory/leaked-key.js'
import {loadInventory} from '../../src/services/inventory.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {createDenylistGuard} from '../../src/guard/create-denylist-guard.js'
import {closedPortUrl} from '../helpers/jwks-server.js'
import {startWorld, tokensSeen, type ServiceSpec, type World} from '../adapters/verify/world.js'

const open: {close(): Promise<void>}[] = []
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close()
})

async function world(services: ServiceSpec[], options: Parameters<typeof startWorld>[1] = {}): Promise<World> {
  const started = await startWorld(services, options)
  open.push(started)
  return started
}

async function verify(w: World, options: Partial<VerifyOptions> & {keyFile?: string} = {}) {
  const secrets = new SecretRegistry()
  const key = leakedKeyOf(await loadKeySource(options.keyFile ?? w.keyFile, {secrets}))
  const inventory = await loadInventory(w.inventoryFile, {secrets})
  const result = await verifyContainment({inventory, key, secrets, timeoutMs: 2000, ...options})
  return {result, secrets}
}

const HEX64 = /^[0-9a-f]{64}$/

/** What the journal would say of a check: the services that accepted a canary, and when. */
function acceptances(result: VerifyResult): Record<string, string> {
  return Object.fromEntries(
    result.services.filter((service) => service.status === 'exposed').map((service) => [service.id, service.checkedAt]),
  )
}

describe('verifyContainment before the key is removed', () => {
  it('finds every probe exposed and the issuer still serving the key, with evidence a report can show', async () => {
    // Given an issuer that still publishes the leaked key and two relying parties that trust it
    const w = await world([
      {id: 'billing-api', cacheSeconds: 60},
      {id: 'reports', cacheSeconds: 300},
    ])
    // When containment is checked once
    const {result, secrets} = await verify(w, {incident: 'inc-7'})
    // Then nothing is contained: both services accepted the canary, and the JWKS still serves the key
    expect(result.contained).toBe(false)
    expect(result.services.map((service) => [service.id, service.status, service.basis])).toEqual([
      ['billing-api', 'exposed', 'probe'],
      ['reports', 'exposed', 'probe'],
    ])
    expect(result.exposed).toEqual(['billing-api', 'reports'])
    expect(result.endpoints).toEqual([
      expect.objectContaining({url: w.issuer.url('/jwks'), status: 'exposed', owners: [{type: 'issuer', id: 'auth-main'}]}),
    ])
    expect(result.probes).toEqual({possible: true, alg: 'ES256', reason: null})
    // And each probe's evidence has the URL, the time, the status, a body hash and the canary's jti …
    const [probe] = result.services[0]?.evidence ?? []
    expect(probe).toMatchObject({
      kind: 'probe',
      url: w.rp('billing-api').url,
      method: 'GET',
      httpStatus: 200,
      outcome: 'accepted',
      issuer: 'https://auth.example.com',
      audience: 'billing-api',
      jti: expect.stringMatching(/^jwkr-canary-inc-7-/),
    })
    expect(probe?.bodySha256).toMatch(HEX64)
    expect(Date.parse(probe?.checkedAt ?? '')).not.toBeNaN()
    // … the jti the relying party itself saw and accepted, then refused with a broken signature (the negative control)
    const jti = probe?.kind === 'probe' ? probe.jti : ''
    const seen = w.rp('billing-api').requests.map((request) => [request.jti, request.status, request.error ?? ''])
    expect(seen.sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      [jti, 200, ''],
      [jti, 401, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
    ])
    expect(result.services[0]?.evidence.map((item) => (item.kind === 'probe' ? [item.role, item.outcome] : item.kind))).toEqual([
      ['canary', 'accepted'],
      ['negative-control', 'rejected'],
      'jwks',
    ])
    // … and the canary carried the kid the issuer publishes the key under
    expect(probe).toMatchObject({kid: 'prod-1', typ: 'JWT'})
    const endpoint = result.endpoints[0]?.evidence
    expect(endpoint).toMatchObject({kind: 'jwks', httpStatus: 200, servesLeakedKey: true, kid: 'prod-1'})
    expect(endpoint?.bodySha256).toMatch(HEX64)
    // And the clock has not started: the key is still published
    expect(result.clock).toMatchObject({containedBy: null, deadline: null})
    expect(result.clock.issuers).toEqual([{issuer: 'auth-main', removedAt: null, source: null, stillServing: true}])
    // And the canaries are registered secrets, absent from the result
    const tokens = tokensSeen(w)
    expect(tokens).toHaveLength(4)
    for (const token of tokens) {
      expect(secrets.leaks(token)).toBe(true)
      expect(JSON.stringify(result)).not.toContain(token)
    }
  })
})

describe('verifyContainment --until-contained', () => {
  it('sees services become contained as their caches expire, fastest first, and returns after the slowest', async () => {
    // Given two relying parties whose caches last 1 s and 2 s, warmed by a first check
    const w = await world([
      {id: 'fast', cacheSeconds: 1},
      {id: 'slow', cacheSeconds: 2},
    ])
    const before = await verify(w)
    expect(before.result.exposed).toEqual(['fast', 'slow'])
    // When the key is removed from the issuer and containment is checked until it holds, knowing
    // (as the journal would) that both accepted a canary before
    const removedAt = w.removeKey()
    const checks: VerifyCheck[] = []
    const {result} = await verify(w, {
      acceptedBefore: acceptances(before.result),
      published: before.result.published,
      untilContained: true,
      intervalMs: 100,
      deadlineMs: 15_000,
      onCheck: (check) => void checks.push(check),
    })
    const finished = Date.now()
    // Then everything is contained in the end
    expect(result.contained).toBe(true)
    expect(result.outcome).toBe('proven')
    expect(result.endpoints.map((endpoint) => endpoint.status)).toEqual(['contained'])
    // And a check saw the fast one contained while the slow one still accepted the canary
    const statuses = checks.map(({result: seen}) => seen.services.map((service) => service.status).join(','))
    expect(statuses).toContain('contained,exposed')
    expect(statuses.indexOf('contained,exposed')).toBeLessThan(statuses.indexOf('contained,contained'))
    const fast = result.services.find((service) => service.id === 'fast')
    const slow = result.services.find((service) => service.id === 'slow')
    expect(Date.parse(fast?.containedSince ?? '')).toBeLessThan(Date.parse(slow?.containedSince ?? ''))
    expect(slow?.history.map((change) => change.status)).toEqual(['exposed', 'contained'])
    // And not before the slow relying party's cache really expired: it accepted canaries after the
    // removal and rejected the first one only once its cache was stale
    const rp = w.rp('slow')
    const lastFetch = rp.lastFetchBefore(removedAt) ?? 0
    // (the negative control, a canary with a broken signature, is refused at any time: leave it out)
    const afterRemoval = rp.requests.filter(
      (request) => request.at > removedAt && request.error !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    )
    expect(afterRemoval[0]?.status).toBe(200)
    const firstRejection = afterRemoval.find((request) => request.status === 401)
    expect(firstRejection?.at).toBeGreaterThanOrEqual(lastFetch + 2000)
    expect(finished).toBeGreaterThanOrEqual(lastFetch + 2000)
    // And the clock, started when a check first saw the key gone, is an upper bound the proof kept
    const clock = result.clock.services.find((service) => service.id === 'slow')
    expect(result.clock.issuers[0]).toMatchObject({source: 'observed', stillServing: false})
    expect(Date.parse(clock?.keyRemovedAt ?? '')).toBeGreaterThanOrEqual(removedAt)
    expect(Date.parse(clock?.containedBy ?? '')).toBe(Date.parse(clock?.keyRemovedAt ?? '') + 2000)
    expect(Date.parse(slow?.containedSince ?? '')).toBeLessThanOrEqual(Date.parse(clock?.containedBy ?? '') + 1000)
  })

  it('with deadlineAfterCaches, counts the deadline from when the clock says every cache has dropped the key', async () => {
    // Given a relying party with a 2 s cache that accepted a canary, and the key removed from its issuer now
    const w = await world([{id: 'slow', cacheSeconds: 2}])
    const before = await verify(w)
    const removedAt = new Date(w.removeKey())
    const known = {acceptedBefore: acceptances(before.result), published: before.result.published, removedAt}
    // When it is checked until contained with a deadline shorter than the cache
    const short = {untilContained: true, intervalMs: 100, deadlineMs: 300}
    const startedAlone = Date.now()
    const alone = await verify(w, {...known, ...short})
    // Then on its own the deadline counts from the start: it gives up before the cache could expire
    expect(alone.result.contained).toBe(false)
    expect(Date.parse(alone.result.gaveUpAt ?? '')).toBeLessThan(startedAlone + 1000)
    // But counted from the clock's time for every cache, it goes on checking and proves containment
    const checks: VerifyCheck[] = []
    const {result} = await verify(w, {...known, ...short, deadlineAfterCaches: true, onCheck: (check) => void checks.push(check)})
    expect(result.contained).toBe(true)
    expect(Date.parse(result.clock.containedBy ?? '')).toBe(removedAt.getTime() + 2000)
    expect(Date.parse(checks[0]?.result.gaveUpAt ?? '')).toBe(removedAt.getTime() + 2000 + 300)
  })

  it('gives up at the deadline while a relying party keeps its cache forever, naming it and what to do', async () => {
    // Given a relying party that never refreshes (the inventory claims a 1 s cache)
    const w = await world([{id: 'forever', cacheSeconds: 1, forever: true}])
    await verify(w)
    w.removeKey()
    // When containment is checked until a short deadline
    const started = Date.now()
    const {result} = await verify(w, {untilContained: true, intervalMs: 200, deadlineMs: 1500})
    // Then it gave up at the deadline with the service still exposed
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500)
    expect(result.contained).toBe(false)
    expect(result.checks).toBeGreaterThan(2)
    expect(result.exposed).toEqual(['forever'])
    expect(result.endpoints[0]?.status).toBe('contained')
    const service = result.services[0]
    expect(service?.reason).toContain('trusts a cached copy')
    expect(service?.advice).toMatch(/^forever: .*keeps keys longer than the inventory says.*restart it.*denylist/)
    expect(result.advice).toContain(service?.advice)
  })

  it('counts a forever-caching relying party contained once its denylist guard refuses the key it accepted before', async () => {
    // Given a relying party that never refreshes, guarded by a denylist file that is empty for now
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-denylist-'))
    open.push({close: () => rm(dir, {recursive: true, force: true})})
    const file = join(dir, 'denylist.json')
    const denylist = (entries: unknown[]) => JSON.stringify({version: 1, updated: new Date().toISOString(), entries})
    await writeFile(file, denylist([]))
    const guard = await createDenylistGuard({file}, {watch: false, refreshIntervalMs: 60_000})
    open.push(guard)
    const w = await world([{id: 'guarded', forever: true, guard}])
    // And a baseline check that saw it accept the canary
    const {result: baseline} = await verify(w, {baseline: true})
    expect(baseline.services[0]).toMatchObject({status: 'exposed'})
    await writeFile(
      file,
      denylist([{thumbprint: w.leaked.thumbprint, notBefore: new Date().toISOString(), reason: 'key-compromise'}]),
    )
    // When the denylist is reloaded, while the issuer still publishes the key
    await guard.reload()
    const {result} = await verify(w, {acceptedBefore: acceptances(baseline)})
    // Then the probe proves the service rejects it, even though the issuer's JWKS does not
    expect(result.services[0]).toMatchObject({id: 'guarded', status: 'contained', basis: 'probe'})
    expect(result.endpoints[0]?.status).toBe('exposed')
    expect(result.contained).toBe(false)
    expect(result.outcome).toBe('not-proven')
    // And without the baseline, the same refusal proves nothing: the service is undiscriminating
    const {result: alone} = await verify(w)
    expect(alone.services[0]).toMatchObject({status: 'undiscriminating', basis: 'probe'})
    expect(alone.undiscriminating).toEqual(['guarded'])
  })
})

describe('verifyContainment after the key was removed at one issuer and not another', () => {
  it('names, never drops, a service of the issuer it left when nothing says it was there, and checks it when told', async () => {
    // Given two issuers publishing the key: auth-main, trusted by a relying party that caches key sets
    // for ten minutes, and auth-other, trusted by a service with no probe
    const w = await world([{id: 'cached'}, {id: 'elsewhere', trusts: 'auth-other', noProbe: true}], {otherIssuer: true})
    // (the relying party has fetched auth-main's key set while it served the key)
    await verify(w, {baseline: true})
    // When the key is removed at auth-main only (a rotation this verify has no record of)
    w.removeKey()
    const {result} = await verify(w)
    // Then the relying party of auth-main is not silently dropped: it is named as not checked, with the way to check it
    expect(result.services.map((service) => service.id)).toEqual(['elsewhere'])
    expect(result.notChecked).toEqual([
      {
        id: 'cached',
        reason:
          'it trusts auth-main, which does not serve the key now; nothing says whether it did before. Run again naming every issuer that published the key: --published-by auth-main if the key was removed there already, or only --published-by auth-other if it never was',
      },
    ])
    // And auth-other's key set, seen serving the key, makes it not proven (never "not attempted"), named
    expect(result.outcome).toBe('not-proven')
    expect(result.missing).toContain(
      `${w.issuer.url('/other-jwks')}: ${result.endpoints.find((e) => e.status === 'exposed')?.reason}`,
    )
    expect(notContainedMessage(result)).toContain('not checked: cached')
    expect(result.advice).toContain(`cached was not checked: ${result.notChecked[0]!.reason}`)
    // When the responder says auth-main published it (--published-by), or locate had seen it there
    for (const told of [
      {publishedBy: ['auth-main']},
      {published: [{issuer: 'auth-main', url: w.issuer.url('/jwks'), kid: 'prod-1', alg: 'ES256', use: 'sig'}]},
    ]) {
      const {result: checked} = await verify(w, told)
      // Then the relying party is probed, and found still accepting the leaked key from its cache
      expect(checked.notChecked).toEqual([])
      const cached = checked.services.find((service) => service.id === 'cached')
      expect(cached?.status).toBe('exposed')
      expect(cached?.basis).toBe('probe')
      expect(checked.outcome).toBe('not-proven')
    }
  }, 30_000)
  it('proves nothing while a service is left unchecked, even once every service it did check refuses the key', async () => {
    // Given auth-main without the key already (a rotation this run never saw), its relying party caching
    // the key set for ten minutes, and auth-other's relying party caching it for one second
    const w = await world([{id: 'cached'}, {id: 'quick', trusts: 'auth-other', cacheSeconds: 1}], {otherIssuer: true})
    await verify(w, {baseline: true})
    w.removeKey()
    // When the key leaves auth-other during a run that checks until contained
    setTimeout(() => w.issuer.serve('/other-jwks', {keys: []}), 300)
    const {result} = await verify(w, {untilContained: true, intervalMs: 300, deadlineMs: 20_000})
    // Then the service it checked is contained and no JWKS serves the key, but the unchecked one keeps it unproven
    expect(result.services.map((service) => [service.id, service.status])).toEqual([['quick', 'contained']])
    expect(result.endpoints.every((endpoint) => endpoint.status === 'contained')).toBe(true)
    expect(result.notChecked.map((service) => service.id)).toEqual(['cached'])
    expect(result.outcome).toBe('not-proven')
    expect(result.contained).toBe(false)
    expect(notContainedMessage(result)).toContain('not checked: cached')
    // And it stops there, rather than polling to the deadline: only --published-by could change that
    expect(result.gaveUpAt).not.toBeNull()
    expect(Date.parse(result.checkedAt)).toBeLessThan(Date.parse(result.gaveUpAt as string) - 10_000)
  }, 30_000)
})

describe('a baseline', () => {
  it('counts as accepting only the services seen to accept the canary, not one without a probe', async () => {
    // Given a relying party with a probe and one listed without, both trusting an issuer that publishes the key
    const w = await world([{id: 'probed'}, {id: 'unprobed', noProbe: true}])
    // When the baseline is taken
    const {result} = await verify(w, {baseline: true})
    // Then both are exposed (the issuer serves the key), but only the probed one accepted a canary
    expect(result.exposed).toEqual(['probed', 'unprobed'])
    expect(result.accepting).toEqual(['probed'])
    // And the command's headline and the step's line say 1 of 2, naming the other
    const text = renderVerify(result, createStyle({isTTY: false}))
    expect(text).toContain(
      'BASELINE: 1 of 2 services accept the canary before containment, so their refusals will prove it. Not so: unprobed.',
    )
    const outputs = {
      services: {contained: 0, exposed: 2, unknown: 0, undiscriminating: 0},
      exposed: result.exposed,
      accepting: result.accepting,
      undiscriminating: [],
    }
    expect(summarizeStep('containment.verify', outputs, {baseline: true})).toBe(
      '1/2 services accept the canary now, so their refusals can prove containment',
    )
  })
})

describe('verifyContainment over a 30-minute run (issue 18: memory stays flat)', () => {
  it('keeps every canary a verifier could still take redacted, and the secret registry no larger than those', async () => {
    // Given two relying parties that never let go of the leaked key, and a run whose clock moves 15 s a
    // check (the default interval): 60 checks are 15 minutes, and a canary is live 5 + 5 minutes (40 checks)
    const w = await world([
      {id: 'billing-api', cacheSeconds: 1, forever: true},
      {id: 'reports', cacheSeconds: 1, forever: true},
    ])
    let now = Date.now()
    const secrets = new SecretRegistry({now: () => now})
    const key = leakedKeyOf(await loadKeySource(w.keyFile, {secrets}))
    const inventory = await loadInventory(w.inventoryFile, {secrets})
    const held = secrets.size
    const stop = new AbortController()
    const canaries: number[] = []
    const unredacted: string[] = []
    // When it checks again and again
    const run = verifyContainment({
      inventory,
      key,
      secrets,
      untilContained: true,
      intervalMs: 1,
      deadlineMs: 3_600_000,
      timeoutMs: 5000,
      now: () => new Date(now),
      signal: stop.signal,
      onCheck: ({round}) => {
        // Then at every check, every token a relying party was sent that a verifier could still take
        // (exp plus 5 minutes of skew ahead) is redacted wherever it would be printed
        for (const token of tokensSeen(w)) {
          const live = ((decodeJwt(token).exp ?? 0) + 300) * 1000 > now
          if (live && secrets.redact(`Authorization: Bearer ${token}`) !== 'Authorization: Bearer [REDACTED]') {
            unredacted.push(`check ${round}: ${decodeJwt(token).jti as string}`)
          }
        }
        canaries.push(secrets.size - held)
        now += 15_000
        if (round === 60) stop.abort()
      },
    })
    await expect(run).rejects.toMatchObject({code: 'ERR_ABORTED'})
    expect(tokensSeen(w).length).toBe(2 * 60 + 2)
    expect(unredacted).toEqual([])
    // And the registry holds the last 40 checks' canaries (2 a check), never a whole run's
    expect(canaries.slice(0, 3)).toEqual([4, 6, 8])
    expect(Math.max(...canaries)).toBe(2 * 40 + 2)
    expect(canaries.slice(40)).toEqual(Array.from({length: 20}, () => 2 * 40))
  })
})

describe('verifyContainment without the private key', () => {
  it('sends no canary, says why, and relies on the JWKS checks and the clock', async () => {
    // Given only the public half of the leaked key
    const w = await world([{id: 'billing-api', cacheSeconds: 1}])
    // When containment is checked while the issuer still publishes it
    const {result: before} = await verify(w, {keyFile: w.publicKeyFile})
    // Then probes are impossible, the service is exposed on the JWKS evidence, and no request reached it
    expect(before.probes).toEqual({possible: false, alg: null, reason: expect.stringContaining('Only the public key is known')})
    expect(before.services[0]).toMatchObject({status: 'exposed', basis: 'jwks'})
    expect(before.services[0]?.reason).toContain('no probe possible without the private key')
    // When the key was removed long ago (per the responder) and is gone from the JWKS
    w.removeKey()
    const {result: after} = await verify(w, {keyFile: w.publicKeyFile, removedAt: new Date(Date.now() - 60_000)})
    // Then the clock says every cache should have dropped it, but that is inferred: not proven, not attempted
    expect(after.services[0]).toMatchObject({status: 'unknown', basis: 'clock'})
    expect(after.services[0]?.reason).toContain('inferred, not proven')
    expect(after.clock.issuers[0]).toMatchObject({source: 'flag'})
    expect(after.contained).toBe(false)
    expect(after.outcome).toBe('not-attempted')
    expect(after.missing[0]).toContain('Only the public key is known')
    expect(w.rp('billing-api').requests).toEqual([])
  })

  it('refuses a JWT that only names the key: neither canary nor thumbprint match is possible', async () => {
    const w = await world([{id: 'billing-api', cacheSeconds: 1}])
    const jwtFile = join(w.dir, 'token.jwt')
    await writeFile(jwtFile, 'eyJhbGciOiJFUzI1NiIsImtpZCI6InByb2QtMSJ9.eyJzdWIiOiJ4In0.c2ln')
    await expect(verify(w, {keyFile: jwtFile})).rejects.toMatchObject({code: 'ERR_KEY_INVALID'})
  })
})

describe('verifyContainment with endpoints that prove nothing', () => {
  it('is unknown, not contained, for a probe that fails or answers 500 and a JWKS that cannot be read', async () => {
    // Given a service whose probe URL has nothing listening, one that answers 500, and an issuer that is down
    const failing = createServer((_request, response) => response.writeHead(500).end('oops'))
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve))
    open.push({close: () => new Promise<void>((resolve) => failing.close(() => resolve()))})
    const failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/api/me`
    const w = await world([
      {id: 'nobody-home', probeUrl: await closedPortUrl('/api/me'), cacheSeconds: 1},
      {id: 'broken', probeUrl: failingUrl, cacheSeconds: 1},
    ])
    w.issuer.route('/jwks', {status: 503, json: {error: 'down'}})
    // When containment is checked
    const {result} = await verify(w, {removedAt: new Date(Date.now() - 60_000)})
    // Then nothing is claimed: both services and the endpoint are unknown, with the reason
    expect(result.contained).toBe(false)
    expect(result.unknown).toEqual(['nobody-home', 'broken'])
    expect(result.services[0]?.reason).toContain('refused')
    expect(result.services[1]?.reason).toContain('HTTP 500')
    expect(result.endpoints[0]).toMatchObject({status: 'unknown', reason: expect.stringContaining('503')})
  })
})

describe('verifyContainment with a verifier that renews a cached key on use', () => {
  it('spaces its probes past its cache lifetime, so the probes never keep a removed key alive', async () => {
    // Given a service whose verifier (get-jwks) renews a cached key each time it is asked, with a 1 s cache
    const w = await world([{id: 'renewing', cacheSeconds: 1, verifier: 'get-jwks'}])
    // When containment is checked every 100 ms for 1 s
    const checks: VerifyCheck[] = []
    const {result} = await verify(w, {
      untilContained: true,
      intervalMs: 100,
      deadlineMs: 1000,
      onCheck: (check) => void checks.push(check),
    })
    // Then it was checked many times but probed once: the next probe is due only after 1.1 s
    expect(checks.length).toBeGreaterThan(3)
    const canaries = w.rp('renewing').requests.filter((request) => request.error !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
    expect(canaries).toHaveLength(1)
    // And the later checks say why, keeping the last verdict
    expect(result.services[0]?.reason).toContain('not probed again yet')
    expect(result.services[0]?.status).toBe('exposed')
  })
})

describe('checkControlKey', () => {
  it('refuses a public key and the leaked key itself as the control, and takes a replacement private key', async () => {
    const w = await world([{id: 'billing-api', cacheSeconds: 1}])
    const secrets = new SecretRegistry()
    const leaked = leakedKeyOf(await loadKeySource(w.keyFile, {secrets}))
    const publicOnly = leakedKeyOf(await loadKeySource(w.publicKeyFile, {secrets}))
    // A public key cannot sign a control; the leaked key would prove nothing
    expect(() => checkControlKey(publicOnly, leaked)).toThrow(/cannot sign/)
    expect(() => checkControlKey(leaked, leaked)).toThrow(/the leaked key itself/)
    // The replacement's private key is taken
    const replacement = leakedKeyOf(await loadKeySource(JSON.stringify(w.current.privateJwk), {secrets}))
    expect(checkControlKey(replacement, leaked)).toBe(replacement)
  })
})
