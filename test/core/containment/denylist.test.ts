// The denylist document: idempotent merge that keeps what is there, and a parser that answers a
// hand-edited file with a located message, never a crash.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {
  checkDenylistEntry,
  createDenylistValidator,
  emptyDenylist,
  mergeEntries,
  parseDenylist,
  serializeDenylist,
  type DenylistDocument,
  type DenylistEntry,
} from '../../../src/core/containment/denylist.js'
import {JwkrError} from '../../../src/core/errors.js'

const T0 = new Date('2025-03-01T10:00:00.000Z')
const T1 = new Date('2025-03-01T11:00:00.000Z')
const T2 = new Date('2025-03-01T12:00:00.000Z')

// RFC 7638 §3.1 and RFC 8037 §A.3 thumbprints, and one more well-formed value.
const TP_A = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
const TP_B = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
const TP_C = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

function entry(thumbprint: string, extra: Partial<DenylistEntry> = {}): DenylistEntry {
  return {
    thumbprint,
    kid: 'k1',
    iss: 'https://auth.example.com',
    notBefore: T0.toISOString(),
    reason: 'key-compromise',
    incident: 'inc-1',
    ...extra,
  }
}

function failure(action: () => unknown): JwkrError {
  try {
    action()
  } catch (error) {
    if (error instanceof JwkrError) return error
    throw error
  }
  throw new Error('expected a JwkrError')
}

describe('mergeEntries', () => {
  it('starts a document when there is none', () => {
    // Given no document yet
    // When one entry is merged
    const {document, added} = mergeEntries(undefined, [entry(TP_A)], T1)
    // Then the document holds it and is stamped with the merge time
    expect(document).toEqual({version: 1, updated: T1.toISOString(), entries: [entry(TP_A)]})
    expect(added).toEqual([entry(TP_A)])
  })

  it('is idempotent: the same thumbprint and iss give one entry, and a repeat changes nothing', () => {
    // Given a document with A
    const first = mergeEntries(emptyDenylist(T0), [entry(TP_A), entry(TP_A, {incident: 'inc-2'})], T1)
    // When A is merged again later (even from another incident)
    const second = mergeEntries(first.document, [entry(TP_A, {incident: 'inc-3', notBefore: T2.toISOString()})], T2)
    // Then there is still one entry, the first one as written, and `updated` did not move
    expect(first.document.entries).toEqual([entry(TP_A)])
    expect(second.added).toEqual([])
    expect(second.document).toEqual(first.document)
    expect(second.document.updated).toBe(T1.toISOString())
    expect(serializeDenylist(second.document)).toBe(serializeDenylist(first.document))
  })

  it('keeps existing entries in order and appends new ones in the order given', () => {
    // Given a document with B then A (a hand-made order)
    const existing: DenylistDocument = {version: 1, updated: T0.toISOString(), entries: [entry(TP_B, {kid: 'b'}), entry(TP_A)]}
    // When C and A (already there) are merged
    const {document, added} = mergeEntries(existing, [entry(TP_C, {kid: 'c'}), entry(TP_A, {incident: 'other'})], T1)
    // Then B, A stay first, untouched, and only C is added after them
    expect(document.entries.map((e) => e.thumbprint)).toEqual([TP_B, TP_A, TP_C])
    expect(document.entries[1]).toEqual(entry(TP_A))
    expect(added.map((e) => e.thumbprint)).toEqual([TP_C])
    expect(document.updated).toBe(T1.toISOString())
  })

  it('keeps one entry per issuer for a key that two issuers publish', () => {
    const {document} = mergeEntries(undefined, [entry(TP_A), entry(TP_A, {iss: 'https://other.example.com'})], T1)
    expect(document.entries.map((e) => e.iss)).toEqual(['https://auth.example.com', 'https://other.example.com'])
  })

  it('does not change the document or the entries it is given', () => {
    const existing: DenylistDocument = {version: 1, updated: T0.toISOString(), entries: [entry(TP_B)]}
    const before = structuredClone(existing)
    const fresh = [entry(TP_A)]
    mergeEntries(existing, fresh, T1)
    expect(existing).toEqual(before)
    expect(fresh).toEqual([entry(TP_A)])
  })

  it('writes members in document order and leaves absent ones out', () => {
    const {added} = mergeEntries(undefined, [{reason: 'key-compromise', notBefore: T0.toISOString(), thumbprint: TP_A}], T1)
    expect(JSON.stringify(added[0])).toBe(`{"thumbprint":"${TP_A}","notBefore":"${T0.toISOString()}","reason":"key-compromise"}`)
  })

  it('refuses a malformed new entry instead of writing it', () => {
    // Given an entry whose thumbprint is a kid, not a thumbprint
    const error = failure(() => mergeEntries(undefined, [entry('my-key-2024')], T1))
    // Then the merge fails, saying which entry and what is wrong
    expect(error.code).toBe('ERR_DENYLIST_INVALID')
    expect(error.message).toContain('New entry 1')
    expect(error.message).toContain("'thumbprint' must be a SHA-256 JWK thumbprint")
  })
})

describe('parseDenylist', () => {
  const FILE = '/srv/jwkr/denylist.json'

  it('reads what serializeDenylist writes', () => {
    const document = mergeEntries(undefined, [entry(TP_A), entry(TP_B, {kid: undefined, iss: undefined})], T1).document
    expect(parseDenylist(serializeDenylist(document), FILE)).toEqual(document)
  })

  it('names the file, line and column of broken JSON', () => {
    // Given a hand-edit that left a trailing comma on line 3
    const text = '{\n  "version": 1,\n  "updated": "2025-03-01T10:00:00Z",\n}\n'
    const error = failure(() => parseDenylist(text, FILE))
    expect(error.code).toBe('ERR_DENYLIST_INVALID')
    expect(error.message).toBe(`The denylist ${FILE} is not valid JSON at line 4, column 1.`)
    expect(error.hint).toContain('never overwrites')
  })

  it('says when the file is empty', () => {
    expect(failure(() => parseDenylist('  \n', FILE)).message).toBe(`The denylist ${FILE} is empty.`)
  })

  it('reports every schema problem with its position, and suggests the member meant', () => {
    // Given a document with a typo, a missing member, a bad date and a wrong version
    const text = [
      '{',
      '  "version": 2,',
      '  "updated": "2025-03-01T10:00:00Z",',
      '  "entries": [',
      `    {"thumbprnt": "${TP_A}", "notBefore": "2025-03-01T10:00:00Z", "reason": "key-compromise"},`,
      `    {"thumbprint": "${TP_B}", "notBefore": "yesterday", "reason": "key-compromise"}`,
      '  ]',
      '}',
    ].join('\n')
    const error = failure(() => parseDenylist(text, FILE))
    // Then each problem is on its own line, with file:line:column
    expect(error.message.split('\n').slice(1)).toEqual([
      `${FILE}:2:14: 'version' must be 1 (got 2)`,
      `${FILE}:5:5: missing required property 'thumbprint'`,
      `${FILE}:5:6: unknown property 'thumbprnt' (did you mean 'thumbprint'?)`,
      `${FILE}:6:80: 'notBefore' must be a date-time with a time zone (ISO 8601) (got "yesterday")`,
    ])
    expect(error.details?.problems).toHaveLength(4)
  })

  it('answers any text with a document or a JwkrError, never another exception', () => {
    // A hand-edited file can hold anything: truncated JSON, other types, stray values.
    const valid = serializeDenylist(mergeEntries(undefined, [entry(TP_A)], T1).document)
    const validator = createDenylistValidator()
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.nat({max: valid.length}).map((cut) => valid.slice(0, cut)),
          fc
            .tuple(fc.nat({max: valid.length}), fc.string({maxLength: 3}))
            .map(([at, text]) => valid.slice(0, at) + text + valid.slice(at)),
        ),
        (text) => {
          try {
            parseDenylist(text, FILE, validator)
          } catch (error) {
            expect(error).toBeInstanceOf(JwkrError)
            expect((error as JwkrError).code).toBe('ERR_DENYLIST_INVALID')
            expect((error as JwkrError).message).toContain(FILE)
          }
        },
      ),
      {numRuns: 200},
    )
  })
})

describe('checkDenylistEntry', () => {
  it('accepts a Redis hash (strings only) and puts its members in order', () => {
    const hash = {reason: 'key-compromise', thumbprint: TP_A, notBefore: T0.toISOString(), kid: 'k1'}
    expect(Object.keys(checkDenylistEntry(hash, 'the hash'))).toEqual(['thumbprint', 'kid', 'notBefore', 'reason'])
  })

  it('says what is wrong with a value that is not an entry', () => {
    const error = failure(() => checkDenylistEntry('not json at all', 'a message on jwkr:revocations'))
    expect(error.code).toBe('ERR_DENYLIST_INVALID')
    expect(error.message).toBe(
      'A message on jwkr:revocations is not a valid denylist entry: must be a mapping (got "not json at all").',
    )
  })
})
