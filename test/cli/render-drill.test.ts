// The drill's scorecard on an 80-column terminal: one line per service, nothing broken mid-word.
import {describe, expect, it} from 'vitest'

import {renderServices} from '../../src/cli/render-drill.js'
import {createStyle} from '../../src/cli/style.js'
import type {ScoredService} from '../../src/drill/scorecard.js'

const plain = createStyle({isTTY: false})

const service = (id: string, verifier: string, more: Partial<ScoredService> = {}): ScoredService => ({
  id,
  verifier,
  behaviour: 'normal',
  guarded: false,
  cacheSeconds: 2,
  contained: true,
  containedAfterSeconds: 236.8,
  ...more,
})

describe('the services of a drill scorecard', () => {
  it('gives each service one line under 80 columns, its result and facts in words', () => {
    // Given the basic world's services, the longest library name among them
    const lines = renderServices(
      [
        service('billing-api', 'get-jwks'),
        service('orders-api', 'jwks-rsa', {guarded: true, cacheSeconds: 3}),
        service('reports-api', 'express-oauth2-jwt-bearer', {cacheSeconds: 6}),
        service('search-api', 'jose', {
          behaviour: 'never-refetch',
          cacheSeconds: null,
          contained: false,
          containedAfterSeconds: null,
        }),
      ],
      plain,
    )
    // Then every line fits 80 columns, and each names what the table used to put in its columns
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80)
    expect(lines).toEqual([
      "Services (contained after: seconds from the incident's opening):",
      '  ✓ billing-api  contained after 236.8 s  get-jwks, cache 2 s',
      '  ✓ orders-api   contained after 236.8 s  jwks-rsa, guarded, cache 3 s',
      '  ✓ reports-api  contained after 236.8 s  express-oauth2-jwt-bearer, cache 6 s',
      '  ✗ search-api   not contained            jose, never-refetch, cache forever',
    ])
  })
})
