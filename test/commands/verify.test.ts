import {generateKeyPairSync} from 'node:crypto'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {VerifyResult} from '../../src/services/verify.js'
import {startWorld, tokensSeen, type ServiceSpec, type World} from '../adapters/verify/world.js'
import {keys, runOnTerminal} from '../helpers/pty.js'
import {exitCodeOf, run} from '../helpers/run.js'

const open: World[] = []
let savedEnv: string | undefined
beforeEach(() => {
  savedEnv = process.env.JWKR_INVENTORY
  delete process.env.JWKR_INVENTORY
})
afterEach(async () => {
  if (savedEnv === undefined) delete process.env.JWKR_INVENTORY
  else process.env.JWKR_INVENTORY = savedEnv
  for (const world of open.splice(0)) await world.close()
})

async function world(services: ServiceSpec[], options: {keyType?: 'ec' | 'rsa'} = {}): Promise<World> {
  const started = await startWorld(services, options)
  open.push(started)
  return started
}

const verify = (w: World, ...extra: string[]) =>
  run<VerifyResult>(['verify', '--key', w.keyFile, '--inventory', w.inventoryFile, '--timeout', '2s', ...extra])

function parse(stdout: string): VerifyResult {
  return JSON.parse(stdout) as VerifyResult
}

describe('jwkr verify', () => {
  it('before rotation: every probe accepts the canary, the table says so, and it exits 4 naming the services', async () => {
    // Given an issuer that still publishes the leaked key and two relying parties that trust it
    const w = await world([
      {id: 'billing-api', cacheSeconds: 60},
      {id: 'reports', cacheSeconds: 300},
    ])
    // When containment is verified
    const {stdout, stderr, error} = await verify(w)
    // Then each service is exposed, with its evidence (URL, status, jti), and the JWKS still serves the key
    expect(exitCodeOf(error)).toBe(4)
    expect(stdout).toContain('NOT PROVEN')
    for (const id of ['billing-api', 'reports']) expect(stdout).toMatch(new RegExp(`${id}\\tEXPOSED`))
    expect(stdout).toContain(`canary kid prod-1: GET ${w.rp('billing-api').url} → HTTP 200, jti jwkr-canary-`)
    expect(stdout).toContain(`negative-control kid prod-1: GET ${w.rp('billing-api').url} → HTTP 401`)
    expect(stdout).toContain(`JWKS ${w.issuer.url('/jwks')} → HTTP 200, serves the key`)
    expect(stdout).toContain('auth-main: still publishes the key: the clock has not started')
    // And the error names what is exposed and what to do
    expect(stderr).toContain('Error: Containment is not proven: still exposed: billing-api, reports')
    expect(stderr).toContain('remove the key from auth-main (jwkr key rotate / jwkr key revoke)')
  })

  it('--json: one document with services, endpoints and the clock, and exit 4', async () => {
    const w = await world([{id: 'billing-api', cacheSeconds: 60}])
    const {stdout, error} = await verify(w, '--json')
    expect(exitCodeOf(error)).toBe(4)
    const document = parse(stdout)
    expect(document).toMatchObject({
      contained: false,
      services: [{id: 'billing-api', status: 'exposed', containedSince: null, checkedAt: expect.any(String)}],
      endpoints: [{url: w.issuer.url('/jwks'), status: 'exposed'}],
      clock: {containedBy: null, tokenLifetimeSeconds: 3600},
    })
    expect(document.services[0]?.evidence[0]).toMatchObject({
      kind: 'probe',
      url: w.rp('billing-api').url,
      httpStatus: 200,
      bodySha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      jti: expect.stringMatching(/^jwkr-canary-/),
    })
  })

  it('--until-contained returns once the slowest cache has expired, not before, and exits 0', async () => {
    // Given relying parties caching for 1 s and 2 s, warmed by a first check that saw them exposed
    const w = await world([
      {id: 'fast', cacheSeconds: 1},
      {id: 'slow', cacheSeconds: 2},
    ])
    const first = await verify(w, '--json')
    expect(parse(first.stdout).exposed).toEqual(['fast', 'slow'])
    // When the key leaves the issuer's JWKS and verify waits for containment
    const removedAt = w.removeKey()
    const {stdout, error} = await verify(w, '--until-contained', '--interval', '100ms', '--deadline', '20s', '--json')
    const returned = Date.now()
    // Then it exits 0 with everything contained …
    expect(exitCodeOf(error)).toBe(0)
    const result = parse(stdout)
    expect(result.contained).toBe(true)
    expect(result.checks).toBeGreaterThan(1)
    // … in the order of the caches …
    const since = (id: string) => Date.parse(result.services.find((service) => service.id === id)?.containedSince ?? '')
    expect(since('fast')).toBeLessThan(since('slow'))
    // … and not before the slow relying party's cache expired: it accepted canaries after the removal
    const slow = w.rp('slow')
    const expiry = (slow.lastFetchBefore(removedAt) ?? 0) + 2000
    expect(slow.requests.some((request) => request.at > removedAt && request.status === 200)).toBe(true)
    // (the negative control, the canary with a broken signature, is refused at any time: leave it out)
    const refusals = slow.requests.filter(
      (request) => request.status === 401 && request.error !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    )
    expect(refusals.every((request) => request.at >= expiry)).toBe(true)
    expect(returned).toBeGreaterThanOrEqual(expiry)
    // And the clock's times bound what was observed
    const clock = result.clock.services.find((service) => service.id === 'slow')
    expect(Date.parse(clock?.containedBy ?? '')).toBeGreaterThanOrEqual(expiry)
    expect(since('slow')).toBeLessThanOrEqual(Date.parse(clock?.containedBy ?? '') + 1000)
    expect(result.clock.containedBy).toBe(clock?.containedBy)
  })

  it('a relying party that keeps its cache forever stays exposed: progress on stderr, exit 4, and the message names it', async () => {
    // Given a relying party that never refreshes its key set (its inventory entry claims 1 s)
    const w = await world([{id: 'forever-api', cacheSeconds: 1, forever: true}])
    await verify(w, '--json')
    w.removeKey()
    // When verify waits for containment until a short deadline
    const {stdout, stderr, error} = await verify(w, '--until-contained', '--interval', '200ms', '--deadline', '1500ms')
    // Then it gives up with exit 4, having shown its progress
    expect(exitCodeOf(error)).toBe(4)
    expect(stderr).toMatch(/check 1: 0\/1 contained · waiting for forever-api · slowest cache forever-api \(1s, /)
    expect(stderr).toMatch(/check [3-9]: 0\/1 contained/)
    // One line per check without a terminal, not a paragraph
    expect(stderr.split('\n').filter((line) => /^check \d+:/.test(line)).length).toBeGreaterThanOrEqual(3)
    expect(stdout).toMatch(/forever-api\tEXPOSED/)
    // And the message names the service and says what to do
    expect(stderr).toMatch(/Error: Containment is not proven by .*: still exposed: forever-api\./)
    expect(stderr).toMatch(/forever-api: .*keeps keys longer than the inventory says.*bust its JWKS cache.*restart it.*denylist/)
  })

  it('--until-contained on a terminal: one status line with a countdown, and Ctrl-C exits 130 saying nothing was changed', async () => {
    const w = await world([{id: 'forever-api', cacheSeconds: 1, forever: true}])
    await verify(w, '--json')
    w.removeKey()
    const args = [
      'verify',
      '--key',
      w.keyFile,
      '--inventory',
      w.inventoryFile,
      '--until-contained',
      '--interval',
      '5s',
      '--deadline',
      '5m',
    ]
    const result = await runOnTerminal(args, [
      {waitFor: /check 1: 0\/1 contained · waiting for forever-api[^\n]*next check in/, send: keys.ctrlC},
    ])
    expect(result.exitCode).toBe(130)
    expect(result.screen).toContain('Interrupted: nothing was changed anywhere. Run jwkr verify again to go on checking.')
    expect(result.screen).not.toMatch(/bug in jwkr/)
  })

  it('without the private key: says probes are impossible, still checks the JWKS, and sends nothing to the services', async () => {
    const w = await world([{id: 'billing-api', cacheSeconds: 1}])
    const {stdout, error} = await run(['verify', '--key', w.publicKeyFile, '--inventory', w.inventoryFile])
    expect(exitCodeOf(error)).toBe(4)
    expect(stdout).toContain('Probes impossible: Only the public key is known')
    expect(stdout).toContain(`JWKS ${w.issuer.url('/jwks')} → HTTP 200, serves the key`)
    expect(stdout).toMatch(/billing-api\tEXPOSED/)
    expect(w.rp('billing-api').requests).toEqual([])
    expect(w.issuer.requestsTo('/jwks').length).toBeGreaterThan(0)
  })

  it('never prints the private key or a canary token, in tables, JSON, progress or errors', async () => {
    // Given an RSA leaked key (many private members) and a relying party that caches it forever
    const w = await world([{id: 'billing-api', cacheSeconds: 1, forever: true}], {keyType: 'rsa'})
    // When verify runs in every output mode, including a failure and --debug
    const outputs = [
      await verify(w),
      await verify(w, '--json'),
      await verify(w, '--until-contained', '--interval', '100ms', '--deadline', '300ms', '--debug'),
      await run(['verify', '--key', w.keyFile, '--inventory', w.inventoryFile, '--removed-at', 'soon']),
    ]
    // Then no private value and no canary token shows anywhere
    const text = outputs.map(({stdout, stderr}) => `${stdout}\n${stderr}`).join('\n')
    const needles = [...w.needles(), ...tokensSeen(w)]
    expect(w.needles().length).toBeGreaterThanOrEqual(6)
    expect(tokensSeen(w).length).toBeGreaterThanOrEqual(3)
    expect(needles.filter((needle) => text.includes(needle))).toEqual([])
  })

  it('refuses bad flags with exit 2 and a hint, and a missing inventory with exit 1', async () => {
    const w = await world([{id: 'billing-api', cacheSeconds: 1}])
    const removed = await verify(w, '--removed-at', 'yesterday')
    expect(exitCodeOf(removed.error)).toBe(2)
    expect(removed.stderr).toContain("--removed-at 'yesterday' is not an ISO 8601 time.")
    expect(removed.stderr).toContain('2024-05-01T10:02:00Z')
    const interval = await verify(w, '--until-contained', '--interval', '0s')
    expect(exitCodeOf(interval.error)).toBe(2)
    expect(interval.stderr).toContain('--interval 0s is not a positive duration.')
    // A bare d given as the key, attached to its flag (--key=VALUE, -kVALUE), is never quoted back
    // (an RSA d: too long for a file name, so the error is ENAMETOOLONG quoting the path it was given)
    const d = String(generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({format: 'jwk'}).d)
    for (const args of [[`--key=${d}`], [`-k${d}`], [`--key=${d}`, '--json']]) {
      const pasted = await run(['verify', ...args, '--inventory', w.inventoryFile])
      expect(exitCodeOf(pasted.error)).not.toBe(0)
      expect(pasted.stdout + pasted.stderr).not.toContain(d)
    }
    const publisher = await verify(w, '--published-by', 'auth-mian')
    expect(exitCodeOf(publisher.error)).toBe(2)
    expect(publisher.stderr).toContain('The inventory has no issuer "auth-mian".')
    expect(publisher.stderr).toContain('Issuers in the inventory: auth-main.')
    const missing = await run(['verify', '--key', w.keyFile, '--inventory', `${w.dir}/nope.yaml`])
    expect(exitCodeOf(missing.error)).toBe(1)
    expect(missing.stderr).toContain('No inventory at')
    expect(w.rp('billing-api').requests).toEqual([])
  })
})
