import {describe, expect, it} from 'vitest'

import {canaryShape} from '../../../src/core/containment/canary-shape.js'
import {recordedIssuerAlgs, recordedShapes} from '../../../src/core/containment/recorded-probes.js'
import type {InventoryIssuer, InventoryService} from '../../../src/core/inventory/types.js'
import {shapeCounter, tokenShape, type ObservedShape} from '../../../src/core/tokens/token-shape.js'

const ISSUER: InventoryIssuer = {id: 'op', issuer: 'https://op.example', keySource: {type: 'manual'}}
const service = (extra: Partial<InventoryService> = {}): InventoryService => ({
  id: 'orders',
  team: 't',
  contacts: {},
  trusts: ['op'],
  probe: {url: 'https://orders.example/me', method: 'GET'},
  ...extra,
})
const seen = (extra: Partial<ObservedShape>): ObservedShape => ({
  iss: ISSUER.issuer,
  aud: 'https://orders.example/',
  typ: 'at+jwt',
  alg: 'PS256',
  kid: true,
  scope: 'read',
  scp: null,
  claimNames: ['client_id'],
  tokens: 3,
  ...extra,
})

describe('tokenShape', () => {
  it('keeps header members, aud and scopes, and only the names of other claims, never sub or jti', () => {
    const shape = tokenShape(
      {alg: 'ES256', typ: 'at+jwt'},
      {iss: 'https://op', sub: 'alice@example.com', jti: 'j-123', aud: ['a', 'b'], scp: ['x'], email: 'alice@example.com'},
    )
    expect(shape).toEqual({
      iss: 'https://op',
      aud: ['a', 'b'],
      typ: 'at+jwt',
      alg: 'ES256',
      kid: false,
      scope: null,
      scp: ['x'],
      claimNames: ['email'],
    })
    expect(JSON.stringify(shape)).not.toMatch(/j-123|alice@/)
  })

  it('tolerates any input (a forged token is attacker input) and counts shapes, most frequent first', () => {
    expect(tokenShape('x', [1])).toMatchObject({iss: null, aud: null, typ: null, kid: false, claimNames: []})
    const counter = shapeCounter()
    counter.add(tokenShape({alg: 'RS256'}, {aud: 'a'}))
    counter.add(tokenShape({alg: 'RS256', typ: 'JWT'}, {aud: 'b'}))
    counter.add(tokenShape({alg: 'RS256', typ: 'JWT'}, {aud: 'b', sub: 'other'}))
    expect(counter.result().map((shape) => [shape.aud, shape.tokens])).toEqual([
      ['b', 2],
      ['a', 1],
    ])
  })

  it('orders shapes seen as often by their claims, whatever order their tokens came in (workers finish in any order)', () => {
    const shapes = [
      tokenShape({alg: 'RS256'}, {aud: 'z'}),
      tokenShape({alg: 'RS256'}, {aud: 'a'}),
      tokenShape({alg: 'ES256'}, {aud: 'm'}),
    ]
    const orders = [shapes, [...shapes].reverse(), [shapes[1], shapes[2], shapes[0]]].map((arrival) => {
      const counter = shapeCounter()
      for (const shape of arrival) counter.add(shape as ReturnType<typeof tokenShape>)
      return counter.result().map((shape) => shape.aud)
    })
    expect(orders).toEqual([
      ['a', 'm', 'z'],
      ['a', 'm', 'z'],
      ['a', 'm', 'z'],
    ])
  })
})

describe('canaryShape', () => {
  it('takes what the inventory says first, whatever triage saw', () => {
    const given = service({probe: {url: 'u', method: 'GET', token: {aud: 'https://orders.example/', typ: 'JWT', scope: 'admin'}}})
    const shape = canaryShape(given, ISSUER, null, {shapes: [seen({})]})
    expect(shape.claims).toMatchObject({audience: 'https://orders.example/', typ: 'JWT', scope: 'admin', alg: 'PS256'})
    expect(shape.shapedBy).toEqual(['alg from 3 tokens of the issuer seen in the logs'])
  })

  it("copies the issuer's tokens whose audience names the service, else the issuer's only audience, else none", () => {
    const naming = seen({aud: ['orders', 'billing']})
    expect(canaryShape(service(), ISSUER, null, {shapes: [seen({aud: 'x'}), naming]}).claims.audience).toEqual([
      'orders',
      'billing',
    ])
    expect(canaryShape(service(), ISSUER, null, {shapes: [seen({})]}).claims).toMatchObject({
      audience: 'https://orders.example/',
      typ: 'at+jwt',
      scope: 'read',
    })
    // two audiences, neither naming the service: no guess
    const ambiguous = canaryShape(service(), ISSUER, null, {shapes: [seen({aud: 'x'}), seen({aud: 'y'})]})
    expect(ambiguous.claims).toEqual({issuer: ISSUER.issuer, audience: 'orders'})
    expect(ambiguous.shapedBy).toEqual([])
    // another issuer's tokens say nothing
    expect(canaryShape(service(), ISSUER, null, {shapes: [seen({iss: 'https://other'})]}).claims.audience).toBe('orders')
  })

  it("adds the service's id to an audience list from the logs that does not name it (triage keeps at most 16 of a token's)", () => {
    const listed = Array.from({length: 16}, (_, index) => `svc-${index + 1}`)
    const shape = canaryShape(service({id: 'svc-17'}), ISSUER, null, {shapes: [seen({aud: listed})]})
    expect(shape.claims.audience).toEqual([...listed, 'svc-17'])
    expect(shape.shapedBy).toContain("aud: the service's id added to the list the logs show, which does not name it")
    // a list that names it, a single audience, and the inventory's audience are kept as they are
    expect(canaryShape(service({id: 'svc-3'}), ISSUER, null, {shapes: [seen({aud: listed})]}).claims.audience).toEqual(listed)
    expect(canaryShape(service({id: 'svc-17'}), ISSUER, null, {shapes: [seen({aud: 'api'})]}).claims.audience).toBe('api')
    const given = service({id: 'svc-17', probe: {url: 'u', method: 'GET', token: {aud: ['a', 'b']}}})
    expect(canaryShape(given, ISSUER, null, {shapes: [seen({aud: listed})]}).claims.audience).toEqual(['a', 'b'])
  })

  it('asks for a kid-less canary when the issuer tokens carry no kid', () => {
    expect(canaryShape(service(), ISSUER, null, {shapes: [seen({kid: false})]}).kidless).toBe(true)
    expect(canaryShape(service(), ISSUER, null, {shapes: [seen({})]}).kidless).toBe(false)
  })

  it("signs with the published alg, then the tokens', then the first the discovery metadata lists", () => {
    const algs = {issuerAlgs: {op: ['none', 'PS384', 'RS256']}}
    expect(canaryShape(service(), ISSUER, 'RS512', {...algs, shapes: [seen({})]}).claims.alg).toBe('RS512')
    expect(canaryShape(service(), ISSUER, null, {...algs, shapes: [seen({})]}).claims.alg).toBe('PS256')
    const discovered = canaryShape(service(), ISSUER, null, algs)
    expect(discovered.claims.alg).toBe('PS384')
    expect(discovered.shapedBy).toEqual(["alg from the issuer's discovery metadata (PS384, RS256)"])
    expect(canaryShape(service(), ISSUER, null).claims).toEqual({issuer: ISSUER.issuer, audience: 'orders'})
  })
})

describe('what the journal recorded', () => {
  it("reads the discovery algs of locate's discovery endpoints and the last triage's shapes", () => {
    const events = [
      {
        ts: 't',
        type: 'locate.endpoint',
        data: {kind: 'discovery', url: 'u', owners: [{type: 'issuer', id: 'op'}], signingAlgs: ['PS256']},
      },
      {ts: 't', type: 'step.succeeded', data: {step: 'tokens', outputs: {shapes: [seen({tokens: 1}), {bogus: true}]}}},
      {ts: 't', type: 'step.succeeded', data: {step: 'tokens', outputs: {shapes: [seen({tokens: 9})]}}},
    ]
    expect(recordedIssuerAlgs(events)).toEqual({op: ['PS256']})
    expect(recordedShapes(events).map((shape) => shape.tokens)).toEqual([9])
  })
})
