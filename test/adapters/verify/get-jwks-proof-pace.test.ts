// get-jwks (fastify's verifier) keeps a removed key while it is asked within its ttl, and its first
// lookup after the entry expires stores the stale copy again: its proof needs a probe after expiry and
// another a ttl later. Those probes are spaced by its verifier profile; the run must check again as
// soon as the spacing allows, not an interval later (bench/drill-overhead measured a second lost).
import {afterEach, describe, expect, it} from 'vitest'

import {loadKeySource} from '../../../src/services/identify.js'
import {verifyContainment, type VerifyResult} from '../../../src/services/verify.js'
import {leakedKeyOf} from '../../../src/core/inventory/leaked-key.js'
import type {Inventory} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {generatePrivateJwk, startOidcIssuer} from '../../helpers/oidc-issuer.js'
import {startRelyingParty} from '../../helpers/real-relying-parties.js'

const closing: {close(): Promise<void>}[] = []
afterEach(async () => {
  await Promise.all(closing.splice(0).map((thing) => thing.close()))
})

const acceptances = (result: VerifyResult): Record<string, string> =>
  Object.fromEntries(result.services.filter((s) => s.status === 'exposed').map((s) => [s.id, s.checkedAt]))

describe('the proof of a get-jwks service', () => {
  it('probes it again as soon as its spacing allows, not an interval later', async () => {
    // Given a real issuer publishing the leaked key, and fastify + get-jwks caching keys for 1 s
    const leaked = await generatePrivateJwk('k1')
    const other = await generatePrivateJwk('k0')
    const issuer = await startOidcIssuer({jwks: {keys: [leaked, other]}})
    closing.push(issuer)
    const rp = await startRelyingParty({
      library: 'fastify+get-jwks',
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audience: 'canary-api',
      cacheMaxAgeMs: 1000,
    })
    closing.push(rp)
    const inventory: Inventory = {
      version: 1,
      issuers: [{id: 'op', issuer: issuer.issuer, discovery: issuer.discoveryUrl, keySource: {type: 'manual'}}],
      services: [
        {
          id: 'api',
          team: 'team',
          contacts: {},
          trusts: ['op'],
          probe: {url: rp.url, method: 'GET', token: {aud: 'canary-api'}},
          jwksCacheSeconds: 1,
          verifier: 'get-jwks',
        },
      ],
    }
    const secrets = new SecretRegistry()
    const key = leakedKeyOf(await loadKeySource(JSON.stringify(leaked), {secrets}))
    const baseline = await verifyContainment({inventory, key, secrets, baseline: true, timeoutMs: 3000})
    expect(baseline.services[0]?.status).toBe('exposed')
    // When the key leaves the issuer and the proof runs with a 5 s interval, until a 4 s deadline
    await issuer.setKeys({keys: [other]})
    const removedAt = Date.now()
    const seen: {after: number; status: string}[] = []
    await verifyContainment({
      inventory,
      key,
      secrets,
      acceptedBefore: acceptances(baseline),
      published: baseline.published,
      removedAt: new Date(removedAt),
      untilContained: true,
      intervalMs: 5000,
      deadlineMs: 4000,
      timeoutMs: 3000,
      onCheck: (check) => void seen.push({after: Date.now() - removedAt, status: check.result.services[0]?.status ?? ''}),
    })
    // Then it was checked a spacing (1.1 s) apart: accepted from the cache, accepted once more from the
    // stale copy that lookup stored again, then no longer accepted, all within 3.5 s of the removal
    // (waiting for the interval between the last two would take more than 5 s). fastify answers get-jwks's
    // JWK_NOT_FOUND with a 500, so the verdict is unknown, never contained (the drill's app answers 401).
    const gone = seen.find((check) => check.status !== 'exposed')
    expect(seen.filter((check) => check.status === 'exposed').length).toBeGreaterThanOrEqual(2)
    expect(gone?.status).toBe('unknown')
    expect(gone?.after).toBeLessThan(3500)
  })
})
