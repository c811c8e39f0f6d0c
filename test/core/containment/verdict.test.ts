import {describe, expect, it} from 'vitest'

import {
  allContained,
  endpointVerdict,
  probeOutcome,
  serviceVerdict,
  type JwksEvidence,
  type ProbeEvidence,
  type ServiceVerdictInput,
} from '../../../src/core/containment/verdict.js'

const NOW = new Date('2024-05-01T10:10:00Z')

function probe(httpStatus: number | null, error: string | null = null): ProbeEvidence {
  return {
    kind: 'probe',
    service: 'billing-api',
    url: 'https://billing.example.com/api/me',
    method: 'GET',
    checkedAt: NOW.toISOString(),
    httpStatus,
    bodySha256: httpStatus === null ? null : 'ab'.repeat(32),
    jti: 'jwkr-canary-x',
    issuer: 'https://auth.example.com',
    audience: 'billing-api',
    ...probeOutcome(httpStatus, error),
    durationMs: 3,
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
    error: servesLeakedKey === null ? 'HTTP 503 Service Unavailable' : null,
    durationMs: 2,
  }
}

function input(overrides: Partial<ServiceVerdictInput>): ServiceVerdictInput {
  return {
    id: 'billing-api',
    probes: [],
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
    [403, 'rejected'],
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

  it('is contained when every canary is rejected, even while an issuer still publishes the key (a denylist at work)', () => {
    expect(serviceVerdict(input({probes: [probe(401), probe(403)], issuers: [jwks(true)]}))).toEqual({
      status: 'contained',
      basis: 'probe',
      reason: 'rejected the canary (HTTP 401/403)',
      advice: null,
    })
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

    it('follows the clock: exposed until its cache must have expired, contained (inferred) after', () => {
      expect(serviceVerdict(input({noProbe, containedBy: '2024-05-01T10:15:00.000Z'}))).toMatchObject({
        status: 'exposed',
        basis: 'clock',
      })
      const after = serviceVerdict(input({noProbe, containedBy: '2024-05-01T10:05:00.000Z'}))
      expect(after).toMatchObject({status: 'contained', basis: 'clock'})
      expect(after.reason).toContain('inferred, not probed')
    })
  })

  it('is exposed while its own JWKS serves the key, whatever its probe says', () => {
    const own = {...jwks(true), owners: [{type: 'service' as const, id: 'billing-api'}], url: 'https://billing.example.com/jwks'}
    expect(serviceVerdict(input({probes: [probe(401)], own}))).toMatchObject({status: 'exposed', basis: 'jwks'})
  })
})

describe('endpointVerdict and allContained', () => {
  it('reads each JWKS: serving is exposed, gone is contained, unreadable is unknown', () => {
    expect(endpointVerdict(jwks(true))).toEqual({status: 'exposed', reason: 'still serves the leaked key (kid "prod-1")'})
    expect(endpointVerdict(jwks(false)).status).toBe('contained')
    expect(endpointVerdict(jwks(null))).toEqual({status: 'unknown', reason: 'could not be read: HTTP 503 Service Unavailable'})
  })

  it('counts unknown as not contained', () => {
    expect(allContained(['contained', 'contained'])).toBe(true)
    expect(allContained(['contained', 'unknown'])).toBe(false)
  })
})
