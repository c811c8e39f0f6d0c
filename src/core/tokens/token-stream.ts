// Streams text through one fixed buffer and finds the tokens in it, so memory stays flat whatever
// the input size: the reader fills the free part of the buffer, `push` scans it, and only the run of
// token bytes at its end (a token that may go on in the next block) is kept, up to maxTokenBytes.
import {countNewlines, findTokens, trailingRunStart} from './find-tokens.js'

export interface TokenStreamOptions {
  /** Bytes the reader adds per push (at most). */
  blockBytes: number
  /** A run of token bytes longer than this is dropped unread: a token that long is not looked at. */
  maxTokenBytes: number
  /** Whether a token deserves decoding (its header may name the key); the others are only counted. */
  wanted(buffer: Buffer, start: number, headerEnd: number): boolean
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

export class TokenStream {
  /** The one buffer of the stream, allocated once (or given): blockBytes + maxTokenBytes. */
  readonly buffer: Buffer
  /** Bytes the reader may add per push. */
  readonly blockBytes: number
  readonly maxTokenBytes: number
  /** Every token seen, wanted or not. */
  tokens = 0
  /** Newlines in the text scanned so far (0 when lines are not counted). */
  newlines = 0
  /** Bytes pushed so far. */
  bytes = 0
  readonly #options: TokenStreamOptions
  #carry = 0
  /** Stream offset of buffer[0]. */
  #base = 0
  #previousIsTokenByte: boolean
  readonly #countLines: boolean

  constructor(options: TokenStreamOptions) {
    this.#options = options
    this.blockBytes = options.blockBytes
    this.maxTokenBytes = options.maxTokenBytes
    const size = options.blockBytes + options.maxTokenBytes
    if (options.buffer && options.buffer.length < size) throw new RangeError(`the buffer is under ${size} bytes`)
    this.buffer = options.buffer ?? Buffer.allocUnsafe(size)
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
    const end = this.#carry + length
    this.bytes += length
    const stop = final ? end : trailingRunStart(buffer, 0, end)
    const found: StreamedToken[] = []
    let counted = 0
    findTokens(buffer, 0, stop, this.#previousIsTokenByte, (span) => {
      this.tokens++
      if (!this.#options.wanted(buffer, span.start, span.headerEnd)) return
      if (this.#countLines) this.newlines += countNewlines(buffer, counted, span.start)
      counted = span.start
      found.push({offset: this.#base + span.start, line: this.newlines, token: buffer.toString('latin1', span.start, span.end)})
    })
    if (this.#countLines) this.newlines += countNewlines(buffer, counted, stop)
    const kept = end - stop
    if (final || kept > this.#options.maxTokenBytes) {
      // The run is too long to be a token worth reading: drop it, and remember we are inside it.
      this.#previousIsTokenByte = !final
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
}
