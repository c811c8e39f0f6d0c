// Finds many fixed ASCII strings in a byte buffer at once, fast enough to keep up with reading files.
//
// Every key needle is long (16+ characters) and random-looking, so instead of visiting every byte
// (Aho–Corasick does, and costs ~1–2 ns a byte in JavaScript) this samples the text: it reads one
// 4-byte q-gram every `step` bytes and looks it up in a hash table of every q-gram of every needle.
// With step = shortest long needle − 4 + 1, each occurrence of a needle covers at least one sampled
// q-gram, so nothing is missed; a table hit is confirmed by comparing the bytes. On text that does not
// hold the needles this touches ~1 byte in 13. Needles shorter than LONG_NEEDLE (a short kid) are few
// and are found with Buffer#indexOf, which is native.

export interface NeedleMatch {
  /** Index of the needle in the list the matcher was built from. */
  needle: number
  /** Byte offsets of the match: [start, end). */
  start: number
  end: number
}

export interface NeedleMatcher {
  /** Every occurrence of every needle in buffer[0, length), ordered by start, then by needle. */
  find(buffer: Buffer, length: number): NeedleMatch[]
}

const Q = 4
const LONG_NEEDLE = 16
const TABLE_BITS = 16
const HASH_MULTIPLIER = 0x9e3779b1

/**
 * Builds a matcher for ASCII needles (key material, thumbprints, kids).
 *
 * @example createNeedleMatcher(['NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs']).find(buffer, bytesRead)
 */
export function createNeedleMatcher(needles: readonly string[]): NeedleMatcher {
  const encoded = needles.map((needle) => Buffer.from(needle, 'latin1'))
  const long = encoded.flatMap((bytes, index) => (bytes.length >= LONG_NEEDLE ? [index] : []))
  const short = encoded.flatMap((bytes, index) => (bytes.length > 0 && bytes.length < LONG_NEEDLE ? [index] : []))
  const step = long.length === 0 ? 0 : Math.min(...long.map((index) => (encoded[index] as Buffer).length)) - Q + 1
  const table = buildTable(encoded, long)

  return {
    find(buffer, length) {
      const matches: NeedleMatch[] = []
      if (step > 0) sampleLong(buffer, length, step, table, encoded, matches)
      const view = short.length > 0 ? buffer.subarray(0, length) : buffer
      for (const index of short) {
        const needle = encoded[index] as Buffer
        for (let at = view.indexOf(needle); at !== -1; at = view.indexOf(needle, at + 1)) {
          matches.push({needle: index, start: at, end: at + needle.length})
        }
      }
      return matches.sort((a, b) => a.start - b.start || a.needle - b.needle)
    },
  }
}

/** Chained hash table: bucket → entries of (needle, offset of the q-gram in the needle). */
interface QgramTable {
  head: Int32Array
  next: Int32Array
  needle: Int32Array
  offset: Int32Array
}

function buildTable(encoded: Buffer[], long: number[]): QgramTable {
  const size = long.reduce((sum, index) => sum + (encoded[index] as Buffer).length - Q + 1, 0)
  const table: QgramTable = {
    head: new Int32Array(1 << TABLE_BITS).fill(-1),
    next: new Int32Array(size),
    needle: new Int32Array(size),
    offset: new Int32Array(size),
  }
  let entry = 0
  for (const index of long) {
    const bytes = encoded[index] as Buffer
    for (let offset = 0; offset + Q <= bytes.length; offset++) {
      const bucket = hashAt(bytes, offset)
      table.needle[entry] = index
      table.offset[entry] = offset
      table.next[entry] = table.head[bucket] as number
      table.head[bucket] = entry++
    }
  }
  return table
}

function hashAt(bytes: Uint8Array, at: number): number {
  const gram =
    (bytes[at] as number) |
    ((bytes[at + 1] as number) << 8) |
    ((bytes[at + 2] as number) << 16) |
    ((bytes[at + 3] as number) << 24)
  return Math.imul(gram, HASH_MULTIPLIER) >>> (32 - TABLE_BITS)
}

function sampleLong(
  buffer: Buffer,
  length: number,
  step: number,
  table: QgramTable,
  encoded: Buffer[],
  matches: NeedleMatch[],
): void {
  const {head, next, needle, offset} = table
  // A needle longer than the step is seen from more than one probe: remember what was confirmed.
  let seen: Set<number> | undefined
  for (let at = 0; at + Q <= length; at += step) {
    let entry = head[hashAt(buffer, at)] as number
    while (entry !== -1) {
      const index = needle[entry] as number
      const start = at - (offset[entry] as number)
      const bytes = encoded[index] as Buffer
      if (start >= 0 && start + bytes.length <= length && equalAt(buffer, start, bytes)) {
        const key = start * encoded.length + index
        seen ??= new Set()
        if (!seen.has(key)) {
          seen.add(key)
          matches.push({needle: index, start, end: start + bytes.length})
        }
      }
      entry = next[entry] as number
    }
  }
}

function equalAt(buffer: Uint8Array, start: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (buffer[start + i] !== bytes[i]) return false
  }
  return true
}
