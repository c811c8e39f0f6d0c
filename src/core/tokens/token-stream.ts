// Streams text through one fixed buffer and finds the tokens in it, so memory stays flat whatever
// the input size: the reader fills the free part of the buffer, `push` scans it, and only the run of
// token bytes at its end (a token that may go on in the next block) is kept, up to maxTokenBytes.
// A longer run that starts like a token (a header that decodes to `{`) is set aside, copied
// block by block, up to maxLongTokenBytes: a token with a 5 MB payload is still a token signed with
// the key. Only such a run makes the stream hold more than its one buffer, and only while it lasts.
import {countNewlines, findTokens, isTokenByte, startsLikeJsonObject, trailingRunStart} from './find-tokens.js'

export interface TokenStreamOptions {
  /** Bytes the reader adds per push (at most). */
  blockBytes: number
  /** A run of token bytes longer than this is not kept in the buffer (see maxLongTokenBytes). */
  maxTokenBytes: number
  /**
   * A run longer than maxTokenBytes that starts like a token (its header decodes to `{`) is set aside and read whole up to this many bytes; longer runs, and runs that do
   * not start like a token, are dropped unread. Default: maxTokenBytes (nothing is set aside).
   */
  maxLongTokenBytes?: number
  /** Whether the token buffer[start, end) deserves decoding (it may be the key's); the others are only counted. */
  wanted(buffer: Buffer, start: number, headerEnd: number, end: number): boolean
  /** The byte before the stream could be part of a token (a file range that starts inside a run). */
  startsInsideRun?: boolean
  /**
   * Count newlines, so each token has its line (default true). Counting is half the cost of a scan:
   * a reader that can go back to the file later (a plain file) counts only for the few it reports.
   */
  countLines?: boolean
  /**
   * A buffer of at least blockBytes + maxTokenBytes to use instead of a new one: a worker reuses one
   * for every task, so it holds a single buffer and the garbage collector has nothing to do.
   */
  buffer?: Buffer
}

/** A token that passed the `wanted` filter, with where it sits in the stream. */
export interface StreamedToken {
  /** Bytes before it since the stream began. */
  offset: number
  /** Newlines before it since the stream began (its 0-based line); 0 when lines are not counted. */
  line: number
  /** The whole token, for decoding and verifying in memory: a bearer credential, never printed. */
  token: string
}

const DOT = 0x2e

/** A run longer than maxTokenBytes, set aside while it may still be a token. */
interface LongRun {
  parts: Buffer[]
  bytes: number
  /** Stream offset of its first byte. */
  offset: number
}

export class TokenStream {
  /** The one buffer of the stream, allocated once (or given): blockBytes + maxTokenBytes. */
  readonly buffer: Buffer
  /** Bytes the reader may add per push. */
  readonly blockBytes: number
  readonly maxTokenBytes: number
  readonly maxLongTokenBytes: number
  /** Every token seen, wanted or not. */
  tokens = 0
  /** Newlines in the text scanned so far (0 when lines are not counted). */
  newlines = 0
  /** Bytes pushed so far. */
  bytes = 0
  /** The most bytes held at once: the buffer, plus the longest run set aside. */
  peakBytes: number
  readonly #options: TokenStreamOptions
  #carry = 0
  /** Stream offset of buffer[0]. */
  #base = 0
  #previousIsTokenByte: boolean
  readonly #countLines: boolean
  #long: LongRun | null = null

  constructor(options: TokenStreamOptions) {
    this.#options = options
    this.blockBytes = options.blockBytes
    this.maxTokenBytes = options.maxTokenBytes
    this.maxLongTokenBytes = Math.max(options.maxTokenBytes, options.maxLongTokenBytes ?? 0)
    const size = options.blockBytes + options.maxTokenBytes
    if (options.buffer && options.buffer.length < size) throw new RangeError(`the buffer is under ${size} bytes`)
    this.buffer = options.buffer ?? Buffer.allocUnsafe(size)
    this.peakBytes = this.buffer.length
    this.#previousIsTokenByte = options.startsInsideRun ?? false
    this.#countLines = options.countLines ?? true
  }

  /** Where the reader writes the next bytes; it may write up to `blockBytes` of them. */
  get writeOffset(): number {
    return this.#carry
  }

  /**
   * Scans the `length` bytes just written at `writeOffset` and returns the wanted tokens that are
   * complete; with `final`, the text ends here and nothing is kept.
   */
  push(length: number, final = false): StreamedToken[] {
    if (length > this.#options.blockBytes) throw new RangeError(`push(${length}) is over the block size`)
    const {buffer} = this
    this.bytes += length
    const found: StreamedToken[] = []
    let from = 0
    if (this.#long !== null) {
      // The block goes on with the run set aside (the carry is empty meanwhile).
      const long = this.#long
      let runEnd = 0
      while (runEnd < length && isTokenByte(buffer[runEnd] as number)) runEnd++
      const ended = runEnd < length || final
      if (long.bytes + runEnd > this.maxLongTokenBytes) {
        // Too long to be a token worth reading: drop it, and the rest of it as it comes.
        this.#long = null
        if (!ended) return this.#dropBlock(length, found)
      } else {
        long.parts.push(Buffer.from(buffer.subarray(0, runEnd)))
        long.bytes += runEnd
        this.peakBytes = Math.max(this.peakBytes, buffer.length + long.bytes)
        if (!ended) {
          this.#base += length
          return found
        }
        this.#long = null
        this.#scanLong(long, found)
      }
      from = runEnd
    }
    const end = this.#carry + length
    const stop = final ? end : Math.max(from, trailingRunStart(buffer, from, end))
    let counted = from
    const previous = from === 0 ? this.#previousIsTokenByte : false
    findTokens(buffer, from, stop, previous, (span) => {
      this.tokens++
      if (!this.#options.wanted(buffer, span.start, span.headerEnd, span.end)) return
      if (this.#countLines) this.newlines += countNewlines(buffer, counted, span.start)
      counted = span.start
      found.push({offset: this.#base + span.start, line: this.newlines, token: buffer.toString('latin1', span.start, span.end)})
    })
    if (this.#countLines) this.newlines += countNewlines(buffer, counted, stop)
    const kept = end - stop
    if (final) {
      this.#previousIsTokenByte = false
      this.#base += end
      this.#carry = 0
    } else if (kept > this.#options.maxTokenBytes) {
      // Too long for the buffer: set aside when it starts like a token, else drop it and remember we are inside it.
      const genuineStart = stop > from || !previous
      if (genuineStart && this.maxLongTokenBytes > this.maxTokenBytes && this.#startsLikeToken(stop, end)) {
        this.#long = {parts: [Buffer.from(buffer.subarray(stop, end))], bytes: kept, offset: this.#base + stop}
        this.peakBytes = Math.max(this.peakBytes, buffer.length + kept)
        this.#previousIsTokenByte = false
      } else {
        this.#previousIsTokenByte = true
      }
      this.#base += end
      this.#carry = 0
    } else {
      if (stop > 0) this.#previousIsTokenByte = false
      buffer.copyWithin(0, stop, end)
      this.#base += stop
      this.#carry = kept
    }
    return found
  }

  /** The block is all inside a run being dropped. */
  #dropBlock(length: number, found: StreamedToken[]): StreamedToken[] {
    this.#previousIsTokenByte = true
    this.#base += length
    this.#carry = 0
    return found
  }

  /** Whether the run buffer[start, end) starts with a header (up to its first dot, if any yet) that decodes to `{`. */
  #startsLikeToken(start: number, end: number): boolean {
    const dot = this.buffer.subarray(0, end).indexOf(DOT, start)
    return dot !== start && startsLikeJsonObject(this.buffer, start, dot === -1 ? end : dot)
  }

  /** A run set aside has ended: it is one token or none. */
  #scanLong(long: LongRun, found: StreamedToken[]): void {
    const whole = Buffer.concat(long.parts, long.bytes)
    findTokens(whole, 0, whole.length, false, (span) => {
      this.tokens++
      if (!this.#options.wanted(whole, span.start, span.headerEnd, span.end)) return
      // A run holds no newline: the token is on the line the stream has counted to.
      found.push({offset: long.offset + span.start, line: this.newlines, token: whole.toString('latin1', span.start, span.end)})
    })
  }
}
