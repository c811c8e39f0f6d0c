import {describe, expect, it} from 'vitest'

import {
  containmentClock,
  DEFAULT_JWKS_CACHE_SECONDS,
  issuerRemoval,
  keyRemovalTime,
  nextCheckDelayMs,
  parseRemovalTime,
} from '../../../src/core/containment/clock.js'
import {JwkrError} from '../../../src/core/errors.js'

const at = (time: string) => new Date(`2024-05-01T${time}Z`)

describe('keyRemovalTime: when the key left an issuer', () => {
  it('takes the earliest of the flag, the journal and the first check that saw it gone (each is an upper bound)', () => {
    expect(keyRemovalTime({firstSeenGone: at('10:05:00'), serving: false})).toEqual({at: at('10:05:00'), source: 'observed'})
    expect(keyRemovalTime({recorded: at('10:02:00'), firstSeenGone: at('10:05:00'), serving: false})).toEqual({
      at: at('10:02:00'),
      source: 'journal',
    })
    expect(
      keyRemovalTime({explicit: at('10:01:00'), recorded: at('10:02:00'), firstSeenGone: at('10:05:00'), serving: false}),
    ).toEqual({
      at: at('10:01:00'),
      source: 'flag',
    })
  })

  it('has no time while the JWKS still serves the key, whatever the flag or journal say', () => {
    expect(keyRemovalTime({explicit: at('10:01:00'), recorded: at('10:02:00'), serving: true})).toBeNull()
  })

  it("trusts only the responder's word for a JWKS that cannot be read", () => {
    expect(keyRemovalTime({recorded: at('10:02:00'), firstSeenGone: at('10:03:00'), serving: null})).toBeNull()
    expect(keyRemovalTime({explicit: at('10:01:00'), serving: null})).toEqual({at: at('10:01:00'), source: 'flag'})
  })
})

describe('containmentClock', () => {
  const removed = (issuer: string, time: string | null) =>
    issuerRemoval(issuer, time === null ? {serving: true} : {firstSeenGone: at(time), serving: false})

  it('gives each service removal + its cache, the slowest overall, and the deadline with the token lifetime', () => {
    // Given two issuers removed at 10:00 and 10:02, and three services with different caches
    const clock = containmentClock({
      services: [
        {id: 'fast', trusts: ['auth-a'], jwksCacheSeconds: 60},
        {id: 'both', trusts: ['auth-a', 'auth-b'], jwksCacheSeconds: 300},
        {id: 'default', trusts: ['auth-a']},
      ],
      removals: [removed('auth-a', '10:00:00'), removed('auth-b', '10:02:00')],
      tokenLifetimeSeconds: 900,
      now: at('10:03:00'),
    })
    // Then each service's clock starts at the last removal among its issuers
    expect(clock.services).toEqual([
      expect.objectContaining({
        id: 'fast',
        keyRemovedAt: at('10:00:00').toISOString(),
        containedBy: at('10:01:00').toISOString(),
      }),
      expect.objectContaining({
        id: 'both',
        keyRemovedAt: at('10:02:00').toISOString(),
        containedBy: at('10:07:00').toISOString(),
      }),
      expect.objectContaining({
        id: 'default',
        cacheSeconds: DEFAULT_JWKS_CACHE_SECONDS,
        cacheSource: 'assumed',
        verifier: null,
        containedBy: at('10:10:00').toISOString(),
        exposureEndsBy: at('10:25:00').toISOString(),
      }),
    ])
    // And overall: the slowest cache, plus the token lifetime for the deadline, and the wait from now
    expect(clock.containedBy).toBe(at('10:10:00').toISOString())
    expect(clock.deadline).toBe(at('10:25:00').toISOString())
    expect(clock.remainingMs).toBe(7 * 60_000)
    expect(clock.waitFor).toBe('7m')
  })

  it("takes a service's cache from its verifier's profile when the inventory gives no jwksCacheSeconds", () => {
    // Given a service naming Spring Security and no cache, one naming get-jwks with its own cache, and one naming nothing
    const clock = containmentClock({
      services: [
        {id: 'spring', trusts: ['auth-a'], verifier: 'spring-security'},
        {id: 'tuned', trusts: ['auth-a'], verifier: 'get-jwks', jwksCacheSeconds: 30},
        {id: 'unknown', trusts: ['auth-a']},
      ],
      removals: [removed('auth-a', '10:00:00')],
      tokenLifetimeSeconds: 600,
      now: at('10:01:00'),
    })
    // When the clock is computed
    // Then the verifier's documented 300 s applies to the first, the inventory's 30 s wins over get-jwks' 60 s,
    // and jose's 600 s is assumed for the last; each says where its cache lifetime came from
    expect(clock.services).toEqual([
      expect.objectContaining({
        id: 'spring',
        cacheSeconds: 300,
        cacheSource: 'profile',
        verifier: 'spring-security',
        containedBy: at('10:05:00').toISOString(),
      }),
      expect.objectContaining({
        id: 'tuned',
        cacheSeconds: 30,
        cacheSource: 'inventory',
        verifier: 'get-jwks',
        containedBy: at('10:00:30').toISOString(),
      }),
      expect.objectContaining({
        id: 'unknown',
        cacheSeconds: DEFAULT_JWKS_CACHE_SECONDS,
        cacheSource: 'assumed',
        verifier: null,
      }),
    ])
    expect(clock.containedBy).toBe(at('10:10:00').toISOString())
  })

  it('lets a long-lived verifier cache set the deadline (Microsoft.IdentityModel: 12 h plus up to 1 h jitter)', () => {
    // Given one service verified by Microsoft.IdentityModel, without jwksCacheSeconds
    const clock = containmentClock({
      services: [{id: 'dotnet', trusts: ['auth-a'], verifier: 'microsoft-identitymodel'}],
      removals: [removed('auth-a', '10:00:00')],
      tokenLifetimeSeconds: 3600,
      now: at('10:00:00'),
    })
    // When the clock is computed
    // Then its cache may hold the key for 13 hours, and the run would wait that long
    expect(clock.services[0]).toMatchObject({cacheSeconds: 46_800, cacheSource: 'profile'})
    expect(clock.containedBy).toBe('2024-05-01T23:00:00.000Z')
    expect(clock.waitFor).toBe('13h')
  })

  it('has not started for a service whose issuer still serves the key, and then has no overall time', () => {
    const clock = containmentClock({
      services: [
        {id: 'done', trusts: ['auth-a'], jwksCacheSeconds: 60},
        {id: 'waiting', trusts: ['auth-a', 'auth-b'], jwksCacheSeconds: 60},
      ],
      removals: [removed('auth-a', '10:00:00'), removed('auth-b', null)],
      tokenLifetimeSeconds: 3600,
      now: at('10:03:00'),
    })
    expect(clock.services[1]).toMatchObject({id: 'waiting', keyRemovedAt: null, containedBy: null, waitingFor: ['auth-b']})
    expect(clock.issuers[1]).toMatchObject({issuer: 'auth-b', removedAt: null, stillServing: true})
    expect(clock).toMatchObject({containedBy: null, deadline: null, remainingMs: null, waitFor: null})
  })

  it('says 0 left once every cache must have expired', () => {
    const clock = containmentClock({
      services: [{id: 'fast', trusts: ['auth-a'], jwksCacheSeconds: 1}],
      removals: [removed('auth-a', '10:00:00')],
      tokenLifetimeSeconds: 60,
      now: at('11:00:00'),
    })
    expect(clock).toMatchObject({remainingMs: 0, waitFor: '0ms'})
  })

  it('sizes the wait by the services not yet proven contained, while containedBy stays the worst case', () => {
    // Given a stubborn service (declared cache 10 minutes) whose cache was busted and whose probe is rejected
    const clock = containmentClock({
      services: [
        {id: 'stubborn', trusts: ['auth-a'], jwksCacheSeconds: 600},
        {id: 'normal', trusts: ['auth-a'], jwksCacheSeconds: 5},
      ],
      removals: [removed('auth-a', '10:00:00')],
      tokenLifetimeSeconds: 60,
      now: at('10:00:02'),
      contained: new Set(['stubborn']),
    })
    // Then the run waits for the normal service only, and the report still knows the worst case
    expect(clock).toMatchObject({remainingMs: 3000, waitFor: '3s', containedBy: '2024-05-01T10:10:00.000Z'})
  })
})

describe('parseRemovalTime', () => {
  it('reads ISO 8601 and refuses other text and the future', () => {
    const now = at('12:00:00')
    expect(parseRemovalTime('2024-05-01T10:02:00Z', '--removed-at', now)).toEqual(at('10:02:00'))
    expect(() => parseRemovalTime('yesterday', '--removed-at', now)).toThrow(JwkrError)
    expect(() => parseRemovalTime('2024-05-01T13:00:00Z', '--removed-at', now)).toThrow(/in the future/)
  })
})

describe('nextCheckDelayMs: the next check of an --until-contained run', () => {
  // Given the key removed at 10:00:00 from the issuer both services trust; caches of 3 s and 600 s
  const clockAt = (now: Date) =>
    containmentClock({
      services: [
        {id: 'fast', trusts: ['auth'], jwksCacheSeconds: 3},
        {id: 'slow', trusts: ['auth'], jwksCacheSeconds: 600},
      ],
      removals: [{issuer: 'auth', removedAt: at('10:00:00').toISOString(), source: 'journal', stillServing: false}],
      tokenLifetimeSeconds: 300,
      now,
    })

  const after = (time: string, ms: number) => new Date(at(time).getTime() + ms)

  it('wakes when a pending service’s cache is due to expire, counted from the removal, not a whole interval later', () => {
    // When a check ends at 10:00:02.5 with a 1 s interval
    const now = after('10:00:02', 500)
    // Then the next check comes when "fast" drops the key (10:00:03) plus the margin: 600 ms, not 1 s
    expect(nextCheckDelayMs(clockAt(now), new Set(['fast', 'slow']), now, 1_000)).toBe(600)
  })

  it('waits at least a quarter of the interval, so expiries close together do not each make a check', () => {
    const now = after('10:00:01', 500)
    expect(nextCheckDelayMs(clockAt(now), new Set(['fast', 'slow']), now, 15_000)).toBe(3_750)
  })

  it('waits the interval when no pending cache expires sooner, or one already has, or the removal is unknown', () => {
    const now = after('10:00:02', 500)
    // "fast" already proven contained: only "slow" (10:10:00) is pending
    expect(nextCheckDelayMs(clockAt(now), new Set(['slow']), now, 1_000)).toBe(1_000)
    // "fast" expired a second ago and is still pending: nothing to wait for but the interval
    const later = after('10:00:04', 0)
    expect(nextCheckDelayMs(clockAt(later), new Set(['fast']), later, 1_000)).toBe(1_000)
    // No removal known yet: no clock has started
    const unknown = containmentClock({
      services: [{id: 'fast', trusts: ['auth'], jwksCacheSeconds: 3}],
      removals: [{issuer: 'auth', removedAt: null, source: null, stillServing: true}],
      tokenLifetimeSeconds: 300,
      now,
    })
    expect(nextCheckDelayMs(unknown, new Set(['fast']), now, 1_000)).toBe(1_000)
  })
})
