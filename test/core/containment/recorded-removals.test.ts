import {describe, expect, it} from 'vitest'

import {recordedRemovals, type RemovalEvent} from '../../../src/core/containment/recorded-removals.js'

const issuer = (id: string) => [{type: 'issuer', id}]

describe('recordedRemovals: when the journal says the key left each issuer', () => {
  it('takes the first check that saw it gone after the last that saw it, and the last rotation stage', () => {
    // Given a journal: auth-a served the key, then was seen without it twice; auth-b was rotated
    const events: RemovalEvent[] = [
      {ts: '2024-05-01T10:00:00.000Z', type: 'evidence.jwks', data: {owners: issuer('auth-a'), servesLeakedKey: true}},
      {ts: '2024-05-01T10:01:00.000Z', type: 'evidence.jwks', data: {owners: issuer('auth-a'), servesLeakedKey: false}},
      {ts: '2024-05-01T10:02:00.000Z', type: 'evidence.jwks', data: {owners: issuer('auth-a'), servesLeakedKey: false}},
      {ts: '2024-05-01T10:03:00.000Z', type: 'effect.done', data: {key: 'inc-1:rotate:auth-b:add'}},
      {ts: '2024-05-01T10:04:00.000Z', type: 'effect.done', data: {key: 'inc-1:rotate:auth-b:remove'}},
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
      {ts: '2024-05-01T10:03:00.000Z', type: 'effect.done', data: {key: 'inc-1:revoke:auth-a:remove'}},
      {ts: '2024-05-01T10:04:00.000Z', type: 'evidence.jwks', data: {owners: issuer('auth-a'), servesLeakedKey: false}},
      {
        ts: '2024-05-01T10:05:00.000Z',
        type: 'evidence.jwks',
        data: {owners: [{type: 'service', id: 'svc'}], servesLeakedKey: false},
      },
    ]
    expect(recordedRemovals(events)).toEqual({'auth-a': new Date('2024-05-01T10:03:00.000Z')})
  })

  it('says nothing for an empty or unrelated journal', () => {
    expect(recordedRemovals([])).toEqual({})
    expect(
      recordedRemovals([{ts: 'not a time', type: 'evidence.jwks', data: {owners: issuer('a'), servesLeakedKey: false}}]),
    ).toEqual({})
  })
})
