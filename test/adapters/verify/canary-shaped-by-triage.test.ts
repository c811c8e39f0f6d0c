// Canaries shaped like the issuer's real tokens when the inventory says nothing of their shape: a real
// OpenID Provider (oidc-provider) issues an RFC 9068 access token (typ at+jwt, a URL audience), a real
// jose relying party takes only such tokens, and the inventory gives the service no probe.token. Before
// triage, the canary (typ JWT, the service id as audience) is refused and the service is
// undiscriminating; once token triage has seen the real token in the logs, the canary copies its shape
// and is accepted, so later refusals prove something. The shape keeps no sub or jti of the real token.
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {loadKeySource} from '../../../src/services/identify.js'
import {scanTokens} from '../../../src/services/triage.js'
import {verifyContainment} from '../../../src/services/verify.js'
import type {ProbeEvidence} from '../../../src/core/containment/verdict.js'
import {leakedKeyOf} from '../../../src/core/inventory/leaked-key.js'
import type {Inventory} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {generatePrivateJwk, startOidcIssuer} from '../../helpers/oidc-issuer.js'
import {startRelyingParty} from '../../helpers/real-relying-parties.js'

const AT_AUDIENCE = 'https://orders.example.test/'

const closing: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(closing.splice(0).map((close) => close()))
})

describe('canaries shaped by the tokens triage saw', () => {
  it('turn an undiscriminating at+jwt service into one whose acceptance is seen, without copying sub or jti', async () => {
    // Given a real issuer publishing the leaked key, a real jose service taking only at+jwt for a URL
    // audience, and an inventory that gives the service no token shape
    const leaked = await generatePrivateJwk('k1')
    const issuer = await startOidcIssuer({jwks: {keys: [leaked]}, audience: AT_AUDIENCE, scopes: ['read:orders']})
    closing.push(() => issuer.close())
    const rp = await startRelyingParty({
      library: 'jose-at+jwt',
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audience: AT_AUDIENCE,
      cacheMaxAgeMs: 1000,
    })
    closing.push(() => rp.close())
    const inventory: Inventory = {
      version: 1,
      issuers: [{id: 'op', issuer: issuer.issuer, discovery: issuer.discoveryUrl, keySource: {type: 'manual'}}],
      services: [
        {id: 'orders', team: 't', contacts: {}, trusts: ['op'], probe: {url: rp.url, method: 'GET'}, jwksCacheSeconds: 1},
      ],
    }
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-shape-'))
    closing.push(() => rm(dir, {recursive: true, force: true}))
    await writeFile(join(dir, 'leaked.json'), JSON.stringify({...leaked, kid: undefined}))
    const secrets = new SecretRegistry()
    const key = leakedKeyOf(await loadKeySource(join(dir, 'leaked.json'), {secrets}))

    // When the baseline runs with nothing but the inventory
    const blind = await verifyContainment({inventory, key, secrets, baseline: true, timeoutMs: 3000})
    // Then the service refuses the canary for reasons that are not the key: undiscriminating
    expect(blind.services.map((service) => service.status)).toEqual(['undiscriminating'])

    // When token triage reads a log holding a real access token of the issuer
    const real = await issuer.issueAccessToken({scope: 'read:orders'})
    const log = join(dir, 'access.log')
    await writeFile(log, `10.0.0.1 - - "GET /orders HTTP/1.1" 200 Authorization: Bearer ${real}\n`)
    const triage = await scanTokens(key, [log], {secrets, threads: 0})
    // Then it reports the token's shape, with no value of its sub or jti
    const [payload] = [JSON.parse(Buffer.from(real.split('.')[1] as string, 'base64url').toString())]
    expect(triage.shapes).toEqual([
      expect.objectContaining({iss: issuer.issuer, aud: AT_AUDIENCE, typ: 'at+jwt', kid: true, scope: 'read:orders', tokens: 1}),
    ])
    const shapesText = JSON.stringify(triage.shapes)
    for (const value of [payload.sub, payload.jti]) if (typeof value === 'string') expect(shapesText).not.toContain(value)

    // When the baseline runs again with what triage saw
    const shaped = await verifyContainment({
      inventory,
      key,
      secrets,
      baseline: true,
      timeoutMs: 3000,
      canaryDefaults: {shapes: triage.shapes},
    })
    // Then the canary (typ at+jwt, the URL audience) is accepted: the probe discriminates
    const [service] = shaped.services
    expect(service?.status, service?.reason).toBe('exposed')
    const probe = service?.evidence.find((evidence): evidence is ProbeEvidence => evidence.kind === 'probe')
    expect(probe).toMatchObject({typ: 'at+jwt', audience: AT_AUDIENCE, kid: 'k1'})
    expect(probe?.shapedBy?.join('; ')).toMatch(/typ from 1 token of the issuer seen in the logs/)
  })
})
