// The live line of a proof run until contained: it never reads as done while a key set still serves the key.
import {describe, expect, it} from 'vitest'

import {containmentProgress, type CheckSeen} from '../../../src/core/containment/containment-progress.js'

const now = new Date('2026-12-08T01:18:00Z')
const check = (endpoints: Array<{url: string; status: string}>): CheckSeen => ({
  round: 4,
  result: {
    baseline: false,
    contained: false,
    gaveUpAt: '2026-12-08T01:20:00Z',
    services: ['billing-api', 'orders-api'].map((id) => ({id, status: 'contained', containedBy: null, cacheSeconds: 5})),
    endpoints,
  },
})

describe('containmentProgress', () => {
  it('names a JWKS still serving the key even when every service refuses it', () => {
    const progress = containmentProgress(check([{url: 'https://other.example/jwks.json', status: 'exposed'}]), 2000, now)
    expect(progress.message).toBe('check 4: 2/2 contained · https://other.example/jwks.json still serves the key')
    expect(progress.nextAt).toBe('2026-12-08T01:18:02.000Z')
  })

  it('says only the count once no key set serves it', () => {
    const progress = containmentProgress(check([{url: 'https://other.example/jwks.json', status: 'contained'}]), 2000, now)
    expect(progress.message).toBe('check 4: 2/2 contained')
  })
})
