// Finds compact JWS tokens (base64url header "eyJ…" . payload . signature) in raw bytes of any text:
// log lines, JSON, `Authorization: Bearer` headers, query strings, lists split only by quotes or
// commas. Works on bytes, never decodes the text: a token is ASCII, whatever the encoding around it.
//
// A token starts with "eyJ" (base64url of `{"`) right after a byte that cannot be part of a token, so
// "eyJ" inside a payload (after a dot) or inside a longer base64 blob is not a start. It is found by
// searching for the "J" with Buffer#indexOf (native memchr): "J" is rare in text, and searching for the
// common "e" first would stop at every other word.

/** Bytes of the base64url alphabet (RFC 4648 §5). */
const BASE64URL = new Uint8Array(256)
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') BASE64URL[char.charCodeAt(0)] = 1

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
    const start = j - 2
    search = j + 1
    if (buffer[start] !== LOWER_E || buffer[start + 1] !== LOWER_Y) continue
    const before = start === from ? previousIsTokenByte : TOKEN_BYTE[buffer[start - 1] as number] === 1
    if (before) continue
    const span = spanAt(buffer, start, to)
    if (span.headerEnd !== -1) onToken(span)
    // Skip the rest of the run: the "eyJ" of its payload is not a start.
    search = span.end + 2
  }
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
