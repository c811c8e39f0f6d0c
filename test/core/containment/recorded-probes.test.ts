// What later checks learn from the journal: where the key was published (so a canary carries the
// published kid after the key is gone from the JWKS), and which services accepted a canary (so their
// refusals count as proof).
import {describe, expect, it} from 'vitest'

import {recordedAcceptances, recordedPublished} from '../../../src/core/containment/recorded-probes.js'

const T = 'leaked-thumbprint'
const issuer = [{type: 'issuer', id: 'auth-main'}]

describe('recordedPublished', () => {
  it('reads the kid, alg and use of the key from locate and from JWKS checks that saw it, each place once', () => {
    // Given a locate that saw the key as kid k1 among others, and a later check that saw it as k1 and k2
    const events = [
      {
        ts: '2024-05-01T10:00:00.000Z',
        type: 'locate.endpoint',
        data: {
          url: 'https://auth/jwks',
          owners: issuer,
          keys: [
            {kid: 'other', alg: 'RS256', use: 'sig', thumbprint: 'someone-else'},
            {kid: 'k1', alg: 'RS256', use: 'sig', thumbprint: T},
          ],
        },
      },
      {
        ts: '2024-05-01T10:00:01.000Z',
        type: 'evidence.jwks',
        data: {url: 'https://auth/jwks', owners: issuer, servesLeakedKey: true, kid: 'k1', alg: 'RS256', use: 'sig'},
      },
      {
        ts: '2024-05-01T10:00:02.000Z',
        type: 'evidence.jwks',
        data: {url: 'https://auth/jwks', owners: issuer, servesLeakedKey: true, kid: 'k2', alg: null, use: null},
      },
      {
        ts: '2024-05-01T10:00:03.000Z',
        type: 'evidence.jwks',
        data: {url: 'https://auth/jwks', owners: issuer, servesLeakedKey: false, kid: null},
      },
      {
        ts: '2024-05-01T10:00:04.000Z',
        type: 'evidence.jwks',
        data: {url: 'https://svc/jwks', owners: [{type: 'service', id: 'svc'}], servesLeakedKey: true, kid: 'x'},
      },
    ]
    // When the published places are read
    // Then the issuer's kids come out once each, a service's own JWKS is not an issuer, and gone is not a place
    expect(recordedPublished(events, T)).toEqual([
      {issuer: 'auth-main', url: 'https://auth/jwks', kid: 'k1', alg: 'RS256', use: 'sig'},
      {issuer: 'auth-main', url: 'https://auth/jwks', kid: 'k2', alg: null, use: null},
    ])
  })

  it('keeps a key served without a kid as kid null (the canary then carries none)', () => {
    const events = [
      {
        ts: '2024-05-01T10:00:00.000Z',
        type: 'locate.endpoint',
        data: {url: 'u', owners: issuer, keys: [{kid: null, thumbprint: T}]},
      },
    ]
    expect(recordedPublished(events, T)).toEqual([{issuer: 'auth-main', url: 'u', kid: null, alg: null, use: null}])
  })
})

describe('recordedAcceptances', () => {
  it('keeps the last time each service accepted a canary; controls and refusals do not count', () => {
    const probe = (service: string, outcome: string, checkedAt: string, role?: string) => ({
      ts: checkedAt,
      type: 'evidence.probe',
      data: {service, outcome, checkedAt, ...(role === undefined ? {} : {role})},
    })
    const events = [
      probe('billing', 'accepted', '2024-05-01T10:00:00.000Z', 'canary'),
      probe('billing', 'accepted', '2024-05-01T10:00:05.000Z'),
      probe('billing', 'rejected', '2024-05-01T10:00:09.000Z', 'canary'),
      probe('orders', 'accepted', '2024-05-01T10:00:01.000Z', 'control'),
      probe('orders', 'accepted', '2024-05-01T10:00:01.000Z', 'negative-control'),
      probe('reports', 'rejected', '2024-05-01T10:00:01.000Z', 'canary'),
    ]
    expect(recordedAcceptances(events)).toEqual({billing: '2024-05-01T10:00:05.000Z'})
  })
})
