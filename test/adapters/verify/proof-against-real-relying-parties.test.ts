// The proof against the world users run: a real OpenID Provider (oidc-provider) and relying parties on
// express-jwt + jwks-rsa, jose, fastify + get-jwks, Auth0's express-oauth2-jwt-bearer (with a required
// scope) and a jose service that takes only RFC 9068 `at+jwt` tokens for a URL audience. An attacker
// sends a correctly shaped token signed with the leaked key (the kid the issuer publishes) during the
// whole response: a baseline check, the rotation, then the proof. For every service, jwkr must never
// call it contained at a time the attacker's token was still accepted. The leaked key is handed over
// the three ways responders get it: a JWK without its kid, a PEM, and a JWK with its kid.
import {createPrivateKey} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {JWK} from 'jose'
import {afterEach, describe, expect, it} from 'vitest'

import {loadKeySource} from '../../../src/services/identify.js'
import {verifyContainment, type VerifyCheck, type VerifyResult} from '../../../src/services/verify.js'
import {leakedKeyOf} from '../../../src/core/inventory/leaked-key.js'
import type {Inventory, ProbeTokenShape} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {generatePrivateJwk, signToken, startOidcIssuer} from '../../helpers/oidc-issuer.js'
import {probeRelyingParty, startEveryRelyingParty, type RealRelyingParty} from '../../helpers/real-relying-parties.js'

const API_AUDIENCE = 'canary-api'
const AT_AUDIENCE = 'https://api.example.test/'
const SCOPE = 'read:me'
const MAX_AGE_MS = 1200

type Closable = {close(): Promise<void>}
const closing: Closable[] = []
afterEach(async () => {
  await Promise.all(closing.splice(0).map((thing) => thing.close()))
})

/** What the attacker's token got from one relying party, and when. */
interface Attempt {
  at: number
  status: number
}

/** The service's token shape, as the inventory's probe.token says it. */
function shapeOf(rp: RealRelyingParty): ProbeTokenShape {
  if (rp.library === 'jose-at+jwt') return {aud: AT_AUDIENCE, typ: 'at+jwt'}
  if (rp.library === 'express-oauth2-jwt-bearer') return {aud: API_AUDIENCE, scope: SCOPE}
  return {aud: API_AUDIENCE}
}

async function startWorld(leaked: JWK, other: JWK) {
  const issuer = await startOidcIssuer({jwks: {keys: [leaked, other]}, audience: AT_AUDIENCE, scopes: [SCOPE]})
  closing.push(issuer)
  const rps = await startEveryRelyingParty({
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    cacheMaxAgeMs: MAX_AGE_MS,
    audience: API_AUDIENCE,
    atAudience: AT_AUDIENCE,
    scope: SCOPE,
  })
  closing.push(...rps)
  const inventory: Inventory = {
    version: 1,
    issuers: [{id: 'op', issuer: issuer.issuer, discovery: issuer.discoveryUrl, keySource: {type: 'manual'}}],
    services: rps.map((rp) => ({
      id: rp.library,
      team: 'team',
      contacts: {},
      trusts: ['op'],
      probe: {url: rp.url, method: 'GET', token: shapeOf(rp)},
      jwksCacheSeconds: 2,
    })),
  }
  return {issuer, rps, inventory}
}

/** Sends each relying party, every 100 ms, the token an attacker holding the leaked key would send. */
function startAttacker(rps: RealRelyingParty[], leaked: JWK, issuer: string) {
  const attempts = new Map<string, Attempt[]>(rps.map((rp) => [rp.library, []]))
  let running = true
  const loop = async (rp: RealRelyingParty) => {
    while (running) {
      const shape = shapeOf(rp)
      const token = await signToken(leaked, {
        iss: issuer,
        aud: shape.aud as string,
        ...(shape.typ === undefined ? {} : {typ: shape.typ}),
        ...(shape.scope === undefined ? {} : {scope: shape.scope}),
        sub: 'attacker',
      })
      const at = Date.now()
      const answer = await probeRelyingParty(rp, token)
      attempts.get(rp.library)?.push({at, status: answer.status})
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  const loops = rps.map((rp) => loop(rp))
  return {
    attempts,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

/** When each service was first reported contained: the time jwkr gives (the last request its verdict rests on). */
function containedAt(checks: VerifyCheck[]): Map<string, number> {
  const first = new Map<string, number>()
  for (const {result} of checks) {
    for (const service of result.services) {
      if (service.status === 'contained' && !first.has(service.id))
        first.set(service.id, Date.parse(service.containedSince ?? ''))
    }
  }
  return first
}

function acceptances(result: VerifyResult): Record<string, string> {
  return Object.fromEntries(result.services.filter((s) => s.status === 'exposed').map((s) => [s.id, s.checkedAt]))
}

/** Per check: each service's verdict, and the status the attacker's token last got before the check started. */
function proofTable(label: string, baseline: VerifyResult, checks: VerifyCheck[], attempts: Map<string, Attempt[]>): string {
  const start = Date.parse(baseline.checkedAt)
  const rows = [
    {at: baseline.checkedAt, services: baseline.services},
    ...checks.map(({result}) => ({at: result.checkedAt, services: result.services})),
  ]
  const lines = [`leaked key as ${label}: check (s after baseline) | service: verdict / attacker's last status`]
  for (const row of rows) {
    const at = Date.parse(row.at)
    const cells = row.services.map((service) => {
      const last = (attempts.get(service.id) ?? []).filter((attempt) => attempt.at <= Date.parse(service.checkedAt)).at(-1)
      return `${service.id}: ${service.status} / ${last?.status ?? '-'}`
    })
    lines.push(`${((at - start) / 1000).toFixed(1).padStart(5)} | ${cells.join(' | ')}`)
  }
  return lines.join('\n')
}

const forms = [
  ['a JWK without its kid', (jwk: JWK) => JSON.stringify({...jwk, kid: undefined, alg: undefined, use: undefined})],
  [
    'a PEM (PKCS#8)',
    (jwk: JWK) =>
      createPrivateKey({key: jwk as never, format: 'jwk'})
        .export({type: 'pkcs8', format: 'pem'})
        .toString(),
  ],
  ['a JWK with its kid', (jwk: JWK) => JSON.stringify(jwk)],
] as const

describe('the proof, against real relying parties and a real issuer, with an attacker sending the whole time', () => {
  it.each(forms)(
    'never says contained while the attacker is accepted: the leaked key given as %s',
    async (_label, render) => {
      // Given an issuer publishing the leaked key (kid k1) beside another, five real relying parties,
      // and the leaked key as a responder found it
      const leaked = await generatePrivateJwk('k1')
      const other = await generatePrivateJwk('k0')
      const replacement = await generatePrivateJwk('k2')
      const {issuer, rps, inventory} = await startWorld(leaked, other)
      const dir = await mkdtemp(join(tmpdir(), 'jwkr-real-proof-'))
      closing.push({close: () => rm(dir, {recursive: true, force: true})})
      await writeFile(join(dir, 'leaked'), render(leaked))
      await writeFile(join(dir, 'replacement.json'), JSON.stringify(replacement))
      const secrets = new SecretRegistry()
      const key = leakedKeyOf(await loadKeySource(join(dir, 'leaked'), {secrets}))
      const controlKey = leakedKeyOf(await loadKeySource(join(dir, 'replacement.json'), {secrets}))
      const attacker = startAttacker(rps, leaked, issuer.issuer)
      try {
        // When the baseline runs before anything changes
        const baseline = await verifyContainment({inventory, key, secrets, baseline: true, timeoutMs: 3000})
        // Then every service that accepts the attacker's token accepts the canary: the canary carries the
        // published kid, whatever the key file says
        expect(baseline.published.map((entry) => entry.kid)).toEqual(['k1'])
        expect(baseline.contained).toBe(false)
        for (const service of baseline.services) expect([service.id, service.status]).toEqual([service.id, 'exposed'])

        // When the issuer rotates (the leaked key leaves, the replacement arrives) and the proof runs
        await issuer.setKeys({keys: [replacement, other]})
        const checks: VerifyCheck[] = []
        const result = await verifyContainment({
          inventory,
          key,
          secrets,
          acceptedBefore: acceptances(baseline),
          published: baseline.published,
          controlKey,
          untilContained: true,
          intervalMs: 300,
          deadlineMs: 6000,
          timeoutMs: 3000,
          onCheck: (check) => void checks.push(check),
        })
        await attacker.stop()

        // Then no service was called contained at or after a time the attacker's token was accepted
        const contained = containedAt(checks)
        for (const [id, since] of contained) {
          const accepted = (attacker.attempts.get(id) ?? []).filter((a) => a.status < 300 || a.status === 403)
          const lastAccepted = Math.max(0, ...accepted.map((a) => a.at))
          expect(lastAccepted, `${id}: contained at ${since}, attacker accepted at ${lastAccepted}`).toBeLessThan(since)
        }
        // And the libraries that drop a removed key at their max-age are proven contained, each by a probe
        // seen to accept before or beside an accepted control
        for (const id of ['express-jwt+jwks-rsa', 'jose', 'express-oauth2-jwt-bearer', 'jose-at+jwt']) {
          const service = result.services.find((s) => s.id === id)
          expect(service?.status, `${id}: ${service?.reason}`).toBe('contained')
          expect(['probe', 'control']).toContain(service?.basis)
        }
        // And get-jwks, which keeps serving a removed key while it is asked within its ttl (the attacker
        // keeps asking), is never called contained, so the run is not proven
        expect(result.services.find((s) => s.id === 'fastify+get-jwks')?.status).not.toBe('contained')
        expect(result.outcome).toBe('not-proven')
        // And no canary or private value is in the result
        expect(secrets.leaks(JSON.stringify(result))).toBe(false)
        // (the figures of the run, for the record: each check's verdict per service beside the attacker's last answer)
        if (process.env.JWKR_PROOF_TABLE === '1') console.log(proofTable(_label, baseline, checks, attacker.attempts))
      } finally {
        await attacker.stop()
      }
    },
    60_000,
  )
})
