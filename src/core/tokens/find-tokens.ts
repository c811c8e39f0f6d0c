// Finds compact JWS tokens (base64url header "eyJ…" . payload . signature) in raw bytes of any text:
// log lines, JSON, `Authorization: Bearer` headers, query strings, lists split only by quotes or
// commas. Works on bytes, never decodes the text: a token is ASCII, whatever the encoding around it.
//
// A token starts with "eyJ" (base64url of `{"`) right after a byte that cannot be part of a token, so
// "eyJ" inside a payload (after a dot) or inside a longer base64 blob is not a start. It is found by
// searching for the "J" with Buffer#indexOf (native memchr): "J" is rare in text, and searching for the
// common "e" first would stop at every other word. A header written some other way (leading
// whitespace such as ` {"alg"…`, `{ "alg"`, a byte order mark, a first member whose name does not
// start with a letter) does not start with "eyJ", but verifiers accept it: such a token is found from
// its payload instead, an "eyJ" right after the first dot of a run, and kept when its header decodes
// to whitespace and a `{`. The same search finds both, so the text is still read once.
import {BASE64URL_DIGITS} from './base64url-digits.js'

/** 1 for a byte of the base64url alphabet (RFC 4648 §5), 0 for the others. */
const BASE64URL = Uint8Array.from(BASE64URL_DIGITS, (value) => (value >= 0 ? 1 : 0))

/** Bytes that may continue a token: base64url and the dot that separates its parts. */
const TOKEN_BYTE = BASE64URL.slice()
TOKEN_BYTE[0x2e] = 1

const DOT = 0x2e
const NEWLINE = 0x0a
const LOWER_E = 0x65
const LOWER_Y = 0x79
const UPPER_J = 0x4a

/** Where the parts of one compact JWS sit in a buffer: [start, headerEnd) . [headerEnd+1, payloadEnd) . [payloadEnd+1, end). */
export interface TokenSpan {
  start: number
  headerEnd: number
  payloadEnd: number
  end: number
}

/** True for a byte that can be part of a token (base64url or a dot). */
export function isTokenByte(byte: number): boolean {
  return TOKEN_BYTE[byte] === 1
}

/**
 * Calls `onToken` for every compact JWS in buffer[from, to), in order. `to` must be the end of the
 * text or a byte that cannot continue a token (see {@link trailingRunStart}); `previousIsTokenByte`
 * says whether the byte before `from` could be part of a token (then a token cannot start at `from`).
 * A JWE (five parts) or a longer dotted run is not a token; neither is a detached JWS (empty payload).
 * A token at the end of a sentence keeps its full stop outside.
 *
 * @example findTokens(Buffer.from('Authorization: Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.'), 0, 56, false, console.log)
 */
export function findTokens(
  buffer: Buffer,
  from: number,
  to: number,
  previousIsTokenByte: boolean,
  onToken: (span: TokenSpan) => void,
): void {
  // A view that ends at `to`, so that no search runs on into the stale bytes after it.
  const view = to < buffer.length ? buffer.subarray(0, to) : buffer
  let search = from + 2
  while (search < to) {
    const j = view.indexOf(UPPER_J, search)
    if (j === -1) return
    let start = j - 2
    search = j + 1
    if (buffer[start] !== LOWER_E || buffer[start + 1] !== LOWER_Y) continue
    const before = start === from ? previousIsTokenByte : TOKEN_BYTE[buffer[start - 1] as number] === 1
    if (before) {
      // The payload of a token whose header does not start with "eyJ"? Its header starts the run.
      if (start === from || buffer[start - 1] !== DOT) continue
      start = headerStart(buffer, from, start - 1, previousIsTokenByte)
      if (start === -1) continue
    }
    const span = spanAt(buffer, start, to)
    if (span.headerEnd !== -1) onToken(span)
    // Skip the rest of the run: the "eyJ" of its payload is not a start.
    search = span.end + 2
  }
}

/**
 * Where the header that ends at the dot `dot` begins: the start of its run, when that run starts at
 * `dot`'s header (no dot before it, a byte before it that cannot be part of a token) and the header
 * decodes to JSON whitespace and a `{`; else -1.
 */
function headerStart(buffer: Buffer, from: number, dot: number, previousIsTokenByte: boolean): number {
  let start = dot
  while (start > from && BASE64URL[buffer[start - 1] as number] === 1) start--
  if (start === dot) return -1
  const before = start === from ? previousIsTokenByte : TOKEN_BYTE[buffer[start - 1] as number] === 1
  return before || !startsLikeJsonObject(buffer, start, dot) ? -1 : start
}

/**
 * Whether the base64url text buffer[start, end) decodes to a JSON object's first byte after optional
 * JSON whitespace and a UTF-8 byte order mark (which jose's TextDecoder drops): what a verifier parses
 * as a header.
 *
 * @example startsLikeJsonObject(Buffer.from('IHsiYWxnIjoi'), 0, 12) // true: ' {"alg":"'
 */
export function startsLikeJsonObject(buffer: Buffer, start: number, end: number): boolean {
  let bits = 0
  let count = 0
  let index = 0
  // To the end if need be: JSON allows any amount of whitespace before the brace, and so do verifiers.
  for (let at = start; at < end; at++) {
    bits = ((bits << 6) | (BASE64URL_DIGITS[buffer[at] as number] as number)) & 0xfff
    count += 6
    if (count < 8) continue
    count -= 8
    const byte = (bits >> count) & 0xff
    // The byte order mark EF BB BF, only as the first three bytes
    const bom = index < 3 && byte === [0xef, 0xbb, 0xbf][index]
    index++
    if (byte === 0x7b) return true
    if (!bom && byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false
  }
  return false
}

/** The parts of the token that starts at `start`, or headerEnd -1 when the run there is not a compact JWS. */
function spanAt(buffer: Buffer, start: number, to: number): TokenSpan {
  const headerEnd = skipBase64url(buffer, start, to)
  if (headerEnd >= to || buffer[headerEnd] !== DOT) return notAToken(buffer, headerEnd, to)
  const payloadEnd = skipBase64url(buffer, headerEnd + 1, to)
  if (payloadEnd === headerEnd + 1 || payloadEnd >= to || buffer[payloadEnd] !== DOT) return notAToken(buffer, payloadEnd, to)
  const end = skipBase64url(buffer, payloadEnd + 1, to)
  // A fourth part makes it a JWE (or something else); a dot that ends a sentence does not.
  if (end + 1 < to && buffer[end] === DOT && TOKEN_BYTE[buffer[end + 1] as number] === 1) return notAToken(buffer, end, to)
  return {start, headerEnd, payloadEnd, end}
}

function notAToken(buffer: Buffer, at: number, to: number): TokenSpan {
  let end = at
  while (end < to && TOKEN_BYTE[buffer[end] as number] === 1) end++
  return {start: -1, headerEnd: -1, payloadEnd: -1, end}
}

function skipBase64url(buffer: Buffer, at: number, to: number): number {
  let i = at
  while (i < to && BASE64URL[buffer[i] as number] === 1) i++
  return i
}

/**
 * Where the run of token bytes that ends the text buffer[from, to) begins (`to` when the last byte
 * cannot be part of a token). A reader keeps that run for the next block, since a token may go on.
 */
export function trailingRunStart(buffer: Buffer, from: number, to: number): number {
  let i = to
  while (i > from && TOKEN_BYTE[buffer[i - 1] as number] === 1) i--
  return i
}

/** Newlines in buffer[from, to), counted with the native search (lines are long, newlines rare). */
export function countNewlines(buffer: Buffer, from: number, to: number): number {
  const view = to < buffer.length ? buffer.subarray(0, to) : buffer
  let count = 0
  for (let at = view.indexOf(NEWLINE, from); at !== -1; at = view.indexOf(NEWLINE, at + 1)) count++
  return count
}
