import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import fc from 'fast-check'
import {beforeAll, describe, expect, it} from 'vitest'

import {canonicalJson} from '../../src/incident/canonical-json.js'
import {formatEventLine, hashEvent} from '../../src/incident/event-line.js'
import {GENESIS_HASH, type JournalEvent} from '../../src/core/journal/types.js'
import {verifyJournal} from '../../src/incident/verify-journal.js'
import {writeJournal} from './helpers.js'

/** Builds a journal text from events whose hashes are computed correctly, whatever else is wrong. */
function chain(events: Omit<JournalEvent, 'hash' | 'prev'>[], firstPrev = GENESIS_HASH): string {
  let prev = firstPrev
  return events
    .map((event) => {
      const hash = hashEvent({...event, prev})
      const line = formatEventLine({...event, prev, hash})
      prev = hash
      return line + '\n'
    })
    .join('')
}

function withLines(text: string, change: (lines: string[]) => void): string {
  const lines = text.split('\n').slice(0, -1)
  change(lines)
  return lines.map((line) => line + '\n').join('')
}

describe('verifyJournal', () => {
  // Six events; event 3 carries a long text so that the middle byte of the file falls inside it.
  let text = ''
  beforeAll(async () => {
    const {file} = await writeJournal(6, (n) => ({n, note: n === 3 ? `event 3 ${'a'.repeat(3000)}` : `event ${n}`}))
    text = await readFile(file, 'utf8')
  })

  it('accepts an intact journal and an empty one', () => {
    expect(verifyJournal(text)).toEqual({ok: true, events: 6})
    expect(verifyJournal('')).toEqual({ok: true, events: 0})
  })

  it('uses the documented formula: sha256 hex of prev + canonical JSON of {seq, ts, type, data, prev}', () => {
    // Given the first written event, when its hash is recomputed by hand, then it is the stored one
    const first = JSON.parse(text.split('\n')[0] as string) as JournalEvent
    const {seq, ts, type, data, prev} = first
    const expected = createHash('sha256')
      .update(prev + canonicalJson({seq, ts, type, data, prev}))
      .digest('hex')
    expect(first.hash).toBe(expected)
  })

  it('detects one changed byte in an event data and names that event', () => {
    // Given event 2's note changed by one character
    const tampered = withLines(text, (lines) => (lines[1] = (lines[1] as string).replace('event 2', 'event 7')))
    // When verified, then event 2 is the first broken one, because its hash no longer matches
    expect(verifyJournal(tampered)).toEqual({
      ok: false,
      events: 1,
      broken: {seq: 2, line: 2, reason: 'Event 2 does not match its hash: it was changed after it was written.'},
    })
  })

  it('detects one changed byte in a stored hash and names that event', () => {
    // Given the last hex digit of event 4's hash changed
    const tampered = withLines(text, (lines) => {
      const line = lines[3] as string
      const last = line.at(-3) === '0' ? '1' : '0'
      lines[3] = `${line.slice(0, -3)}${last}${line.slice(-2)}`
    })
    // When verified, then event 4 is the first broken one
    expect(verifyJournal(tampered).broken).toMatchObject({
      seq: 4,
      line: 4,
      reason: expect.stringMatching(/Event 4 does not match its hash/),
    })
  })

  it('detects one changed byte in the middle of the file', () => {
    // Given the byte in the middle of the file changed (it falls in event 3's long note)
    const bytes = Buffer.from(text)
    const middle = Math.floor(bytes.length / 2)
    expect(bytes[middle]).toBe('a'.charCodeAt(0))
    bytes[middle] = 'b'.charCodeAt(0)
    // When verified, then event 3 is the first broken one and events 1-2 are intact
    expect(verifyJournal(bytes.toString())).toMatchObject({ok: false, events: 2, broken: {seq: 3, line: 3}})
  })

  it('detects a change of any single byte anywhere, on the line that holds it', () => {
    const bytes = Buffer.from(text)
    const lineOf = (position: number) => bytes.subarray(0, position).filter((byte) => byte === 0x0a).length + 1
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({min: 0, max: 255}), (position, value) => {
        fc.pre(bytes[position] !== value)
        // Given one byte set to another value
        const tampered = Buffer.from(bytes)
        tampered[position] = value
        // When verified, then the journal is refused at the line of that byte
        const result = verifyJournal(tampered.toString())
        expect(result.ok).toBe(false)
        expect(result.broken?.line).toBe(lineOf(position))
      }),
      {numRuns: 300},
    )
  })

  it('detects a deleted line, and names the event found where the missing one should be', () => {
    // Given line 3 (event 3) deleted
    const tampered = withLines(text, (lines) => lines.splice(2, 1))
    // When verified, then the chain breaks at event 4, which now sits on line 3, and says 3 is missing
    expect(verifyJournal(tampered)).toEqual({
      ok: false,
      events: 2,
      broken: {seq: 4, line: 3, reason: 'Event 3 is missing before event 4: a line was deleted.'},
    })
  })

  it('detects a deleted first line', () => {
    const tampered = withLines(text, (lines) => lines.splice(0, 1))
    expect(verifyJournal(tampered)).toMatchObject({
      ok: false,
      events: 0,
      broken: {seq: 2, line: 1, reason: expect.stringMatching(/Event 1 is missing/)},
    })
  })

  it('detects two reordered lines and says they are out of order', () => {
    // Given lines 2 and 5 swapped
    const tampered = withLines(text, (lines) => ([lines[1], lines[4]] = [lines[4] as string, lines[1] as string]))
    // When verified, then the first broken event is event 5, found on line 2
    expect(verifyJournal(tampered)).toEqual({
      ok: false,
      events: 1,
      broken: {seq: 5, line: 2, reason: 'Event 5 stands where event 2 should be (event 2 is on line 5): lines are out of order.'},
    })
  })

  it('detects a repeated line', () => {
    const tampered = withLines(text, (lines) => lines.splice(3, 0, lines[2] as string))
    expect(verifyJournal(tampered).broken).toMatchObject({seq: 3, line: 4, reason: expect.stringMatching(/comes after event 3/)})
  })

  it('detects a seq gap even when every hash was recomputed to match', () => {
    // Given a forged journal, correctly hashed, whose seq jumps from 2 to 4
    const forged = chain([
      {seq: 1, ts: '2026-11-29T03:00:00.000Z', type: 'a', data: {}},
      {seq: 2, ts: '2026-11-29T03:00:01.000Z', type: 'b', data: {}},
      {seq: 4, ts: '2026-11-29T03:00:02.000Z', type: 'c', data: {}},
    ])
    // When verified, then the gap is named
    expect(verifyJournal(forged).broken).toEqual({
      seq: 4,
      line: 3,
      reason: 'Event 3 is missing before event 4: a line was deleted.',
    })
  })

  it('detects a chain that does not start at the genesis value', () => {
    // Given a correctly hashed journal whose first prev is not 64 zeros (its head was cut off and rebuilt)
    const forged = chain([{seq: 1, ts: '2026-11-29T03:00:00.000Z', type: 'a', data: {}}], 'f'.repeat(64))
    expect(verifyJournal(forged).broken).toEqual({
      seq: 1,
      line: 1,
      reason: 'Event 1 does not start the chain: its prev is not the genesis value (64 zeros).',
    })
  })

  it('detects a line that is not JSON, is not an event, or is empty', () => {
    const garbage = withLines(text, (lines) => (lines[2] = 'not json'))
    expect(verifyJournal(garbage)).toMatchObject({
      ok: false,
      events: 2,
      broken: {seq: null, line: 3, reason: expect.stringMatching(/^Line 3 is not valid JSON/)},
    })
    const shapeless = withLines(text, (lines) => (lines[2] = '{"seq":3,"ts":"x","type":"t","data":[]}'))
    expect(verifyJournal(shapeless).broken?.reason).toBe('Line 3 is not a journal event: data, prev, hash missing or malformed.')
    const empty = withLines(text, (lines) => (lines[2] = ''))
    expect(verifyJournal(empty).broken).toEqual({seq: null, line: 3, reason: 'Line 3 is empty.'})
  })

  it('detects a line rewritten in another form even when its meaning is unchanged', () => {
    // Given event 2 re-serialised with spaces (same data, same hash)
    const tampered = withLines(
      text,
      (lines) => (lines[1] = JSON.stringify(JSON.parse(lines[1] as string), null, 1).replace(/\n/g, '')),
    )
    expect(verifyJournal(tampered).broken).toEqual({
      seq: 2,
      line: 2,
      reason: 'Event 2 is not written the way jwkr writes it: the line was edited.',
    })
  })

  it('reports an incomplete last line as a cut-off write that resume repairs', () => {
    const cut = text.slice(0, text.length - 40)
    expect(verifyJournal(cut)).toMatchObject({
      ok: false,
      events: 5,
      broken: {seq: null, line: 6, reason: expect.stringMatching(/incomplete.*Resuming the incident repairs it/)},
    })
  })
})
