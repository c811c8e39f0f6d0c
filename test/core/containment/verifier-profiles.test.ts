import {describe, expect, it} from 'vitest'

import {probeSpacingMs, VERIFIER_PROFILES, verifierProfile} from '../../../src/core/containment/verifier-profiles.js'
import {inventorySchema} from '../../../src/core/inventory/inventory-schema.js'
import {VERIFIER_PROFILE_IDS} from '../../../src/core/inventory/types.js'

describe('VERIFIER_PROFILES', () => {
  it('has one complete profile per verifier id the inventory accepts', () => {
    // Given the verifier ids of the inventory type and schema
    const schema = inventorySchema as {properties: {services: {items: {properties: {verifier: {enum: string[]}}}}}}
    // When the profiles are listed
    const ids = Object.keys(VERIFIER_PROFILES)
    // Then there is exactly one per id, each under its own id, with every fact filled in
    expect(ids).toEqual([...VERIFIER_PROFILE_IDS])
    expect(schema.properties.services.items.properties.verifier.enum).toEqual([...VERIFIER_PROFILE_IDS])
    for (const id of VERIFIER_PROFILE_IDS) {
      const profile = verifierProfile(id)
      expect(profile.id).toBe(id)
      expect(profile.name.length).toBeGreaterThan(0)
      expect(Number.isInteger(profile.cacheSeconds) && profile.cacheSeconds > 0).toBe(true)
      expect(['kid', 'kid-or-alg']).toContain(profile.selectsBy)
      expect(profile.advice.length).toBeGreaterThan(20)
      expect(profile.source.length).toBeGreaterThan(20)
    }
  })

  it('holds the documented defaults of each verifier (jwk-facts.md §5)', () => {
    // Given the profiles
    // When their cache lifetimes and behaviours are read
    const table = Object.fromEntries(
      VERIFIER_PROFILE_IDS.map((id) => {
        const {cacheSeconds, refreshOnUnknownKid, staleOnError, renewsOnUse, selectsBy} = verifierProfile(id)
        return [id, [cacheSeconds, refreshOnUnknownKid, staleOnError, renewsOnUse, selectsBy]]
      }),
    )
    // Then they are the libraries' documented defaults
    expect(table).toEqual({
      'jwks-rsa': [600, true, false, false, 'kid'],
      jose: [600, true, false, false, 'kid-or-alg'],
      'get-jwks': [60, true, true, true, 'kid'],
      'spring-security': [300, true, false, false, 'kid-or-alg'],
      envoy: [600, false, false, false, 'kid-or-alg'],
      istio: [1200, false, true, false, 'kid-or-alg'],
      'go-jwx': [900, false, true, false, 'kid'],
      'microsoft-identitymodel': [46_800, true, true, false, 'kid-or-alg'],
    })
    // And each names its real cache-bust lever
    expect(verifierProfile('jose').advice).toContain('JWKS.reload()')
    expect(verifierProfile('jwks-rsa').advice).toContain('new JwksClient')
    expect(verifierProfile('istio').advice).toContain('PILOT_JWT_PUB_KEY_REFRESH_INTERVAL')
    expect(verifierProfile('microsoft-identitymodel').advice).toContain('RequestRefresh()')
  })
})

describe('probeSpacingMs', () => {
  it('spaces canaries to a verifier that renews on use by a full cache lifetime and a margin (a tenth, 100 ms to 1 s)', () => {
    // Given get-jwks, whose stale entry is re-stored on every lookup
    const profile = verifierProfile('get-jwks')
    // When the spacing is asked for its default ttl and for a ttl the inventory gives
    // Then the next canary waits until the entry has surely expired
    expect(probeSpacingMs(profile, profile.cacheSeconds)).toBe(61_000)
    expect(probeSpacingMs(profile, 5)).toBe(5500)
    expect(probeSpacingMs(profile, 2)).toBe(2200)
    expect(probeSpacingMs(profile, 0.5)).toBe(600)
  })

  it('is null for verifiers that probes cannot keep alive', () => {
    // Given every verifier that does not renew on use
    const others = VERIFIER_PROFILE_IDS.filter((id) => id !== 'get-jwks').map(verifierProfile)
    // When the spacing is asked
    // Then none is needed
    for (const profile of others) expect(probeSpacingMs(profile, profile.cacheSeconds)).toBeNull()
  })
})
