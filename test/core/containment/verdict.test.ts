import {describe, expect, it} from 'vitest'

import {
  endpointVerdict,
  probeOutcome,
  serviceVerdict,
  type JwksEvidence,
  type ProbeEvidence,
  type ServiceVerdictInput,
} from '../../../src/core/containment/verdict.js'

const NOW = new Date('2024-05-01T10:10:00Z')

function probe(httpStatus: number | null, error: string | null = null, extra: Partial<ProbeEvidence> = {}): ProbeEvidence {
  return {
    kind: 'probe',
    service: 'billing-api',
    url: 'https://billing.example.com/api/me',
    method: 'GET',
    checkedAt: NOW.toISOString(),
    httpStatus,
    bodySha256: httpStatus === null ? null : 'ab'.repeat(32),
    jti: 'jwkr-canary-x',
    role: 'canary',
    kid: 'prod-1',
    typ: 'JWT',
    issuer: 'https://auth.example.com',
    audience: 'billing-api',
    wwwAuthenticate: null,
    ...probeOutcome(httpStatus, error),
    durationMs: 3,
    ...extra,
  }
}

function jwks(servesLeakedKey: boolean | null, owner = 'auth-main'): JwksEvidence {
  return {
    kind: 'jwks',
    url: `https://${owner}.example.com/jwks`,
    owners: [{type: 'issuer', id: owner}],
    checkedAt: NOW.toISOString(),
    httpStatus: servesLeakedKey === null ? 503 : 200,
    bodySha256: servesLeakedKey === null ? null : 'cd'.repeat(32),
    servesLeakedKey,
    kid: servesLeakedKey ? 'prod-1' : null,
    alg: servesLeakedKey ? 'RS256' : null,
    use: servesLeakedKey ? 'sig' : null,
    error: servesLeakedKey === null ? 'HTTP 503 Service Unavailable' : null,
    durationMs: 2,
  }
}

function input(overrides: Partial<ServiceVerdictInput>): ServiceVerdictInput {
  return {
    id: 'billing-api',
    probes: [],
    acceptedBefore: '2024-05-01T09:58:00.000Z',
    baseline: false,
    noProbe: null,
    issuers: [jwks(false)],
    own: null,
    containedBy: '2024-05-01T10:05:00.000Z',
    cacheSeconds: 300,
    now: NOW,
    ...overrides,
  }
}

describe('probeOutcome', () => {
  it.each([
    [401, 'rejected'],
    [403, 'accepted'],
    [200, 'accepted'],
    [204, 'accepted'],
    [500, 'inconclusive'],
    [302, 'inconclusive'],
    [404, 'inconclusive'],
    [null, 'inconclusive'],
  ] as const)('HTTP %s → %s', (status, outcome) => {
    expect(probeOutcome(status, status === null ? 'no complete answer within 5000 ms' : null).outcome).toBe(outcome)
  })

  it('keeps the reason of a failure without an answer', () => {
    expect(probeOutcome(null, 'the connection was refused: nothing listens there').reason).toContain('refused')
  })
})

describe('serviceVerdict', () => {
  it('is exposed when a probe is accepted although the issuer dropped the key, and says to bust the cache', () => {
    const verdict = serviceVerdict(input({probes: [probe(401), probe(200)]}))
    expect(verdict).toMatchObject({status: 'exposed', basis: 'probe'})
    expect(verdict.reason).toContain('trusts a cached copy')
    expect(verdict.advice).toMatch(/^billing-api: .*bust its JWKS cache.*restart it.*denylist/)
  })

  it('says the service keeps keys longer than the inventory claims when its cache should have expired', () => {
    const verdict = serviceVerdict(input({probes: [probe(200)], containedBy: '2024-05-01T10:05:00.000Z'}))
    expect(verdict.advice).toContain('keeps keys longer than the inventory says')
  })

  it('points at the issuer while it still publishes the key', () => {
    const verdict = serviceVerdict(input({probes: [probe(200)], issuers: [jwks(true)]}))
    expect(verdict).toMatchObject({status: 'exposed', basis: 'probe'})
    expect(verdict.advice).toContain('remove the key from auth-main')
  })

  it('is contained when every canary is refused after one was accepted, even while an issuer still publishes the key (a denylist at work)', () => {
    // Given a service seen accepting a canary before containment, When it now refuses every canary
    const verdict = serviceVerdict(input({probes: [probe(401), probe(401)], issuers: [jwks(true)]}))
    // Then it is contained, and the reason names the acceptance the proof rests on
    expect(verdict).toMatchObject({status: 'contained', basis: 'probe', advice: null})
    expect(verdict.reason).toBe('refused the canary (HTTP 401) after accepting one at 2024-05-01T09:58:00.000Z')
  })

  it('is exposed on a 403: the signature was accepted, only authorization failed', () => {
    const verdict = serviceVerdict(input({probes: [probe(403)]}))
    expect(verdict).toMatchObject({status: 'exposed', basis: 'probe'})
  })

  it('is undiscriminating when it refuses a canary it was never seen to accept, with advice from WWW-Authenticate', () => {
    // Given no earlier acceptance and a refusal that names the token type
    const said = 'Bearer error="invalid_token", error_description="unexpected "typ" JWT header value"'
    const verdict = serviceVerdict(input({acceptedBefore: null, probes: [probe(401, null, {wwwAuthenticate: said})]}))
    // Then the refusal proves nothing, and the advice names the typ
    expect(verdict).toMatchObject({status: 'undiscriminating', basis: 'probe'})
    expect(verdict.advice).toContain('probe.token.typ')
  })

  it.each([
    ['Bearer error="invalid_token", error_description="unexpected "aud" claim value"', 'probe.token.aud'],
    ['Bearer error="insufficient_scope"', 'probe.token.scope'],
    ['Bearer error="invalid_token", error_description="unexpected "iss" claim value"', 'iss'],
    ['Bearer error="invalid_token", error_description="no matching key in the key set"', 'kid the issuer publishes'],
    [null, 'probe route'],
  ])('names the likely cause of a refusal: %s', (said, advice) => {
    const verdict = serviceVerdict(input({acceptedBefore: null, probes: [probe(401, null, {wwwAuthenticate: said})]}))
    expect(verdict.advice).toContain(advice)
  })

  it('blames the kid when the canary carried none', () => {
    const verdict = serviceVerdict(input({acceptedBefore: null, probes: [probe(401, null, {kid: null})]}))
    expect(verdict.advice).toContain('the canary had none')
  })

  it('is contained on a refusal beside an accepted control signed with the replacement key', () => {
    const control = probe(200, null, {role: 'control', kid: 'new-1'})
    const verdict = serviceVerdict(input({acceptedBefore: null, probes: [probe(401), control]}))
    expect(verdict).toMatchObject({status: 'contained', basis: 'control'})
  })

  it('stays undiscriminating when the control is refused too', () => {
    const control = probe(401, null, {role: 'control', kid: 'new-1'})
    expect(serviceVerdict(input({acceptedBefore: null, probes: [probe(401), control]})).status).toBe('undiscriminating')
  })

  it('is exposed when it accepts the canary with a broken signature (it checks no signature)', () => {
    const broken = probe(200, null, {role: 'negative-control'})
    const verdict = serviceVerdict(input({probes: [probe(401), broken]}))
    expect(verdict).toMatchObject({status: 'exposed', basis: 'probe'})
    expect(verdict.reason).toContain('broken signature')
  })

  describe('at the baseline, before containment', () => {
    it('an accepted canary is expected: exposed, with no advice', () => {
      const verdict = serviceVerdict(input({baseline: true, acceptedBefore: null, probes: [probe(200)]}))
      expect(verdict).toMatchObject({status: 'exposed', advice: null})
      expect(verdict.reason).toContain('tells a trusted key from a refused one')
    })

    it('a refused canary marks the probe undiscriminating, even beside an accepted control', () => {
      const control = probe(200, null, {role: 'control'})
      const verdict = serviceVerdict(input({baseline: true, acceptedBefore: null, probes: [probe(401), control]}))
      expect(verdict.status).toBe('undiscriminating')
    })
  })

  it('does not blame the probe when the service itself fails (5xx)', () => {
    const verdict = serviceVerdict(input({probes: [probe(503)]}))
    expect(verdict).toMatchObject({status: 'unknown'})
    expect(verdict.advice).toContain('the probe is not at fault')
  })

  it('is unknown when no probe is accepted but one proved nothing (5xx, timeout)', () => {
    const verdict = serviceVerdict(input({probes: [probe(401), probe(503)]}))
    expect(verdict).toMatchObject({status: 'unknown', basis: 'probe'})
    expect(verdict.reason).toContain('HTTP 503')
  })

  describe('without a probe', () => {
    const noProbe = 'no probe possible without the private key'

    it('is exposed while a trusted issuer publishes the key', () => {
      expect(serviceVerdict(input({noProbe, issuers: [jwks(true)]}))).toMatchObject({status: 'exposed', basis: 'jwks'})
    })

    it('is unknown when a trusted issuer cannot be read', () => {
      expect(serviceVerdict(input({noProbe, issuers: [jwks(null)]}))).toMatchObject({status: 'unknown', basis: 'jwks'})
    })

    it('follows the clock: exposed until its cache must have expired, then unknown: the clock infers, it never proves', () => {
      expect(serviceVerdict(input({noProbe, containedBy: '2024-05-01T10:15:00.000Z'}))).toMatchObject({
        status: 'exposed',
        basis: 'clock',
      })
      const after = serviceVerdict(input({noProbe, containedBy: '2024-05-01T10:05:00.000Z'}))
      expect(after).toMatchObject({status: 'unknown', basis: 'clock'})
      expect(after.reason).toContain('inferred, not proven')
    })
  })

  it('is exposed while its own JWKS serves the key, whatever its probe says', () => {
    const own = {...jwks(true), owners: [{type: 'service' as const, id: 'billing-api'}], url: 'https://billing.example.com/jwks'}
    expect(serviceVerdict(input({probes: [probe(401)], own}))).toMatchObject({status: 'exposed', basis: 'jwks'})
  })
})

describe('endpointVerdict', () => {
  it('reads each JWKS: serving is exposed, gone is contained, unreadable is unknown', () => {
    expect(endpointVerdict(jwks(true))).toEqual({status: 'exposed', reason: 'still serves the leaked key (kid "prod-1")'})
    expect(endpointVerdict(jwks(false)).status).toBe('contained')
    expect(endpointVerdict(jwks(null))).toEqual({status: 'unknown', reason: 'could not be read: HTTP 503 Service Unavailable'})
  })
})
