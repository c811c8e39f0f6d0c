// A step's line says what it found; its mark says whether that is good. A check that ran and found the
// key still accepted, or a locate that found a JWKS serving private key material, is not a ✓.
import {describe, expect, it} from 'vitest'

import {needsAttention, summarizeStep} from '../../src/playbook/step-summary.js'

const verify = (contained: boolean) => ({
  contained,
  services: {contained: contained ? 2 : 0, exposed: contained ? 0 : 2, unknown: 0, undiscriminating: 0},
  exposed: contained ? [] : ['a', 'b'],
  undiscriminating: [],
})

describe('needsAttention', () => {
  it('marks a containment check that found the key still accepted, not one that found it refused, nor a baseline', () => {
    expect(needsAttention('containment.verify', verify(false))).toBe(true)
    expect(needsAttention('containment.verify', verify(true))).toBe(false)
    expect(needsAttention('containment.verify', verify(false), {baseline: true})).toBe(false)
  })

  it('marks a locate that found a JWKS serving private key material, and says so on its line', () => {
    const found = {
      publishing: ['auth'],
      dependents: ['a'],
      failedEndpoints: [],
      criticalFindings: ['https://auth.example/jwks.json serves private key material (d, p, q)'],
    }
    expect(needsAttention('services.locate', found)).toBe(true)
    expect(needsAttention('services.locate', {...found, criticalFindings: []})).toBe(false)
    expect(summarizeStep('services.locate', found)).toBe(
      '1 issuer publishes the key (auth), 1 service trusts it, CRITICAL: https://auth.example/jwks.json serves private key material (d, p, q)',
    )
  })

  it('leaves every other step and a step without outputs alone', () => {
    expect(needsAttention('key.rotate', {issuers: []})).toBe(false)
    expect(needsAttention('containment.verify', null)).toBe(false)
  })
})
