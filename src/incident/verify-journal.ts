// Checks a journal's hash chain line by line and names the first event that does not hold: a changed
// byte, a deleted, inserted or moved line, an unparseable line, or a chain that does not start at the
// genesis value. With the incident's chain key (chain-key.ts) the hashes are HMACs, so a journal
// rewritten from the top with the published formula does not verify either. Deleting trailing lines
// cannot be seen from the chain alone; everything else can.
import {formatEventLine, hashEvent} from './event-line.js'
import {GENESIS_HASH, type JournalEvent} from '../core/journal/types.js'

export interface JournalBreak {
  /** The seq of the broken event, or null when its line cannot be read as an event. */
  seq: number | null
  /** 1-based line number in the file. */
  line: number
  /** What is wrong, in words. */
  reason: string
  /** True when only the last line is cut off (a crash mid-write, which a resume repairs), not an edit. */
  incomplete?: true
}

export interface VerifyResult {
  ok: boolean
  /** Events read intact (all of them when ok, those before the break otherwise). */
  events: number
  broken?: JournalBreak
}

export interface ReadJournalResult {
  /** The intact events, up to the first break. */
  events: JournalEvent[]
  broken?: JournalBreak
}

export interface ReadJournalOptions {
  /** The incident's chain key: the hashes are then HMAC-SHA-256 under it (absent: an unkeyed, older journal). */
  chainKey?: Uint8Array
}

const HEX_HASH = /^[0-9a-f]{64}$/

/**
 * Recomputes every hash of a journal's text (the whole file, newline-terminated lines).
 *
 * @example
 * const result = verifyJournal(await readFile(journalPath, 'utf8'))
 * if (!result.ok) console.log(`line ${result.broken.line}: ${result.broken.reason}`)
 */
export function verifyJournal(text: string, options: ReadJournalOptions = {}): VerifyResult {
  const {events, broken} = readJournal(text, options)
  return broken ? {ok: false, events: events.length, broken} : {ok: true, events: events.length}
}

/** Parses and checks a journal's text: the intact events in order, and the first break if any. */
export function readJournal(text: string, options: ReadJournalOptions = {}): ReadJournalResult {
  if (text === '') return {events: []}
  const lines = text.split('\n')
  // A newline ends every complete line, so a complete file splits into lines plus one empty string.
  const tail = lines.pop() as string
  const parsed = lines.map(parseLine)
  const events: JournalEvent[] = []
  for (const [index, line] of lines.entries()) {
    const result = parsed[index] as ParsedLine
    const number = index + 1
    if ('problem' in result) return {events, broken: {seq: null, line: number, reason: `Line ${number} ${result.problem}.`}}
    const reason = checkEvent(result.event, line, events.at(-1), options.chainKey, (seq) =>
      parsed.findIndex((p) => 'event' in p && p.event.seq === seq),
    )
    if (reason) return {events, broken: {seq: result.event.seq, line: number, reason}}
    events.push(result.event)
  }
  if (tail !== '') {
    const number = lines.length + 1
    const reason =
      `Line ${number} is incomplete (${Buffer.byteLength(tail)} bytes without a newline): the last write was cut off, ` +
      'e.g. by a crash or power loss. Resuming the incident repairs it.'
    return {events, broken: {seq: null, line: number, reason, incomplete: true}}
  }
  return {events}
}

type ParsedLine = {event: JournalEvent} | {problem: string}

function parseLine(line: string): ParsedLine {
  if (line === '') return {problem: 'is empty'}
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (error) {
    return {problem: `is not valid JSON (${(error as Error).message})`}
  }
  if (!isRecord(value)) return {problem: 'is not a JSON object'}
  const {seq, ts, type, data, prev, hash} = value
  const event = {
    seq: typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1 ? seq : undefined,
    ts: typeof ts === 'string' ? ts : undefined,
    type: typeof type === 'string' && type !== '' ? type : undefined,
    data: isRecord(data) ? data : undefined,
    prev: typeof prev === 'string' && HEX_HASH.test(prev) ? prev : undefined,
    hash: typeof hash === 'string' && HEX_HASH.test(hash) ? hash : undefined,
  }
  if (
    event.seq === undefined ||
    event.ts === undefined ||
    event.type === undefined ||
    event.data === undefined ||
    event.prev === undefined ||
    event.hash === undefined
  ) {
    const malformed = Object.entries(event).flatMap(([name, member]) => (member === undefined ? [name] : []))
    return {problem: `is not a journal event: ${malformed.join(', ')} missing or malformed`}
  }
  // The six members jwkr writes (formatEventLine compares the line with exactly these).
  return {event: {seq: event.seq, ts: event.ts, type: event.type, data: event.data, prev: event.prev, hash: event.hash}}
}

/** Why an event breaks the chain after `previous`, or undefined when it holds. */
function checkEvent(
  event: JournalEvent,
  line: string,
  previous: JournalEvent | undefined,
  chainKey: Uint8Array | undefined,
  indexOfSeq: (seq: number) => number,
): string | undefined {
  const expected = (previous?.seq ?? 0) + 1
  if (event.seq !== expected) {
    if (event.seq < expected) {
      return `Event ${event.seq} comes after event ${expected - 1}: lines are out of order or repeated.`
    }
    const found = indexOfSeq(expected)
    if (found >= 0) {
      return `Event ${event.seq} stands where event ${expected} should be (event ${expected} is on line ${found + 1}): lines are out of order.`
    }
    const missing = event.seq - expected === 1 ? `Event ${expected} is` : `Events ${expected} to ${event.seq - 1} are`
    return `${missing} missing before event ${event.seq}: a line was deleted.`
  }
  const expectedPrev = previous?.hash ?? GENESIS_HASH
  if (event.prev !== expectedPrev) {
    return previous
      ? `Event ${event.seq} does not point to event ${previous.seq}: its prev is not the hash of the line before.`
      : 'Event 1 does not start the chain: its prev is not the genesis value (64 zeros).'
  }
  if (hashEvent(event, chainKey) !== event.hash) return hashMismatch(event.seq, chainKey !== undefined)
  if (formatEventLine(event) !== line) {
    return `Event ${event.seq} is not written the way jwkr writes it: the line was edited.`
  }
  return undefined
}

function hashMismatch(seq: number, keyed: boolean): string {
  if (!keyed) return `Event ${seq} does not match its hash: it was changed after it was written.`
  const rewritten = seq === 1 ? ', or the whole journal was rewritten without it' : ''
  return `Event ${seq} does not match its hash under the incident's chain key: it was changed after it was written${rewritten}.`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
