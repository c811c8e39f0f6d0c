import {describe, expect, it} from 'vitest'

import {recordedRemovals, type RemovalEvent} from '../../../src/core/containment/recorded-removals.js'

const issuer = (id: string) => [{type: 'issuer', id}]
/** What key.rotate journals for an issuer whose key store removed the key (as key-change.ts's issuerOutput). */
const removal = (issuerId: string, extra: Record<string, unknown> = {}) => ({
  issuerId,
  source: 'jwks-file',
  status: 'changed',
  removed: [{kid: 'k1', thumbprint: 't1'}],
  leakedStillListed: false,
  ...extra,
})

describe('recordedRemovals: when the journal says the key left each issuer', () => {
  it("takes the first check that saw it gone after the last that saw it, and a key store's reported removal", () => {
    // Given a journal: auth-a served the key, then was seen without it twice; auth-b was rotated
    const events: RemovalEvent[] = [
      {ts: '2024-05-01T10:00:00.000Z', type: 'evidence.jwks', data: {owners: issuer('auth-a'), servesLeakedKey: true}},
      {ts: '2024-05-01T10:01:00.000Z', type: 'evidence.jwks', data: {owners: issuer('auth-a'), servesLeakedKey: false}},
      {ts: '2024-05-01T10:02:00.000Z', type: 'evidence.jwks', data: {owners: issuer('auth-a'), servesLeakedKey: false}},
      {ts: '2024-05-01T10:03:00.000Z', type: 'effect.done', data: {key: 'inc-1:rotate:rotate:replacement'}},
      {ts: '2024-05-01T10:03:30.000Z', type: 'effect.done', data: {key: 'inc-1:rotate:auth-b:remove'}},
      {ts: '2024-05-01T10:04:00.000Z', type: 'key.rotate.issuer', data: removal('auth-b')},
      {ts: '2024-05-01T10:05:00.000Z', type: 'effect.done', data: {key: 'inc-1:sessions:auth-b:logout'}},
      {ts: '2024-05-01T10:06:00.000Z', type: 'note.added', data: {text: 'hello'}},
    ]
    // When the removals are read
    // Then each issuer gets its time; other events say nothing
    expect(recordedRemovals(events)).toEqual({
      'auth-a': new Date('2024-05-01T10:01:00.000Z'),
      'auth-b': new Date('2024-05-01T10:04:00.000Z'),
    })
  })

  it('forgets a removal once a later check sees the key again, and keeps the earliest of two sources', () => {
    const events: RemovalEvent[] = [
      {ts: '2024-05-01T10:01:00.000Z', type: 'evidence.jwks', data: {owners: issuer('auth-a'), servesLeakedKey: false}},
      {ts: '2024-05-01T10:02:00.000Z', type: 'evidence.jwks', data: {owners: issuer('auth-a'), servesLeakedKey: true}},
      {ts: '2024-05-01T10:03:00.000Z', type: 'key.revoke.issuer', data: removal('auth-a')},
      {ts: '2024-05-01T10:04:00.000Z', type: 'evidence.jwks', data: {owners: issuer('auth-a'), servesLeakedKey: false}},
      {
        ts: '2024-05-01T10:05:00.000Z',
        type: 'evidence.jwks',
        data: {owners: [{type: 'service', id: 'svc'}], servesLeakedKey: false},
      },
    ]
    expect(recordedRemovals(events)).toEqual({'auth-a': new Date('2024-05-01T10:03:00.000Z')})
  })

  it('takes no removal from a store that only opened a pull request, keeps the key listed, failed or changed nothing', () => {
    // Given rotations whose key stores did not take the key out of what they publish
    const events: RemovalEvent[] = [
      {ts: '2024-05-01T10:01:00.000Z', type: 'effect.done', data: {key: 'inc-1:rotate:repo:pull-request'}},
      {ts: '2024-05-01T10:01:01.000Z', type: 'key.rotate.issuer', data: removal('repo', {leakedStillListed: true})},
      {ts: '2024-05-01T10:02:00.000Z', type: 'key.rotate.issuer', data: removal('okta', {leakedStillListed: true})},
      {ts: '2024-05-01T10:03:00.000Z', type: 'key.rotate.issuer', data: removal('down', {status: 'failed'})},
      {ts: '2024-05-01T10:04:00.000Z', type: 'key.revoke.issuer', data: removal('none', {removed: []})},
    ]
    // Then the clock learns nothing from them: a later check will see the key gone, or not
    expect(recordedRemovals(events)).toEqual({})
  })

  it('says nothing for an empty or unrelated journal', () => {
    expect(recordedRemovals([])).toEqual({})
    expect(
      recordedRemovals([{ts: 'not a time', type: 'evidence.jwks', data: {owners: issuer('a'), servesLeakedKey: false}}]),
    ).toEqual({})
  })
})
