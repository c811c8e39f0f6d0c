// Reads a SOURCE argument: a file path, "-" for stdin, or the key material itself given inline
// (JSON, a PEM block or a compact JWT). Caps the size and refuses binary data before parsing.
import type {Readable} from 'node:stream'
import {isatty} from 'node:tty'

import {JwkrError} from '../../core/errors.js'
import {looksLikeKeyMaterial} from '../../core/secrets.js'
import {readBoundedFile} from '../fs/read-bounded-file.js'

export const MAX_INPUT_BYTES = 1024 * 1024

export interface SourceText {
  text: string
  /** Where it came from, for messages: a path, "stdin" or "inline". */
  origin: string
}

export interface ReadSourceOptions {
  stdin?: Readable
  maxBytes?: number
  /** Where to say that a terminal is being read (default stderr). */
  notice?: NodeJS.WritableStream
}

/**
 * Says, on a terminal, that "-" is reading it: otherwise the command seems to hang. A pipe or a file
 * is read without a word.
 */
export function announceTerminalRead(
  stdin: Readable | {fd: number},
  what: string,
  notice: NodeJS.WritableStream = process.stderr,
): void {
  const terminal = 'fd' in stdin && typeof stdin.fd === 'number' ? isatty(stdin.fd) : (stdin as {isTTY?: boolean}).isTTY === true
  if (terminal) notice.write(`Reading ${what} from the terminal: paste it, then press Ctrl-D on an empty line.\n`)
}

export async function readSource(source: string, options: ReadSourceOptions = {}): Promise<SourceText> {
  const maxBytes = options.maxBytes ?? MAX_INPUT_BYTES
  if (source.trim() === '') {
    throw new JwkrError('ERR_INPUT_EMPTY', 'The SOURCE argument is empty.', {
      hint: 'Pass the path of the key file, "-" to read stdin, or the key JSON itself in quotes.',
    })
  }
  if (source === '-') {
    const stdin = options.stdin ?? process.stdin
    announceTerminalRead(stdin, 'the key', options.notice)
    return {text: decode(await readStream(stdin, maxBytes), maxBytes), origin: 'stdin'}
  }
  if (looksInline(source)) {
    if (Buffer.byteLength(source) > maxBytes) throw tooLarge(Buffer.byteLength(source), maxBytes)
    return {text: source, origin: 'inline'}
  }
  return {text: decode(await readFileCapped(source, maxBytes), maxBytes), origin: source}
}

function looksInline(source: string): boolean {
  const trimmed = source.trim()
  return (
    trimmed.startsWith('{') ||
    trimmed.startsWith('[') ||
    trimmed.startsWith('-----BEGIN ') ||
    /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(trimmed)
  )
}

async function readFileCapped(path: string, maxBytes: number): Promise<Buffer> {
  return readBoundedFile(path, {
    maxBytes,
    what: 'key material',
    notFound,
    notRegularHint: 'Pass the file that holds the key (use `jwkr code scan` to search a whole tree).',
    tooLargeHint: TOO_LARGE_HINT,
  })
}

async function readStream(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
    total += buffer.length
    if (total > maxBytes) {
      stream.destroy()
      throw tooLarge(total, maxBytes, true)
    }
    chunks.push(buffer)
  }
  return Buffer.concat(chunks)
}

function decode(bytes: Buffer, maxBytes: number): string {
  if (bytes.length > maxBytes) throw tooLarge(bytes.length, maxBytes)
  if (bytes.includes(0)) throw binary()
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    throw binary()
  }
}

function binary(): JwkrError {
  return new JwkrError('ERR_INPUT_BINARY', 'The input is binary data, not a key in text form.', {
    hint: 'jwkr reads JWK/JWKS JSON, PEM text or a compact JWT. Convert DER first, e.g. `openssl pkey -inform DER -in key.der -out key.pem`.',
  })
}

const TOO_LARGE_HINT =
  'Pass the file that holds the key itself, not a log or archive (use `jwkr code scan` or `jwkr tokens scan` for those).'

function tooLarge(bytes: number, maxBytes: number, atLeast = false): JwkrError {
  const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`
  return new JwkrError(
    'ERR_INPUT_TOO_LARGE',
    `The input is ${atLeast ? 'over' : ''} ${mib(bytes)}; jwkr reads at most ${mib(maxBytes)} of key material.`.replace(
      '  ',
      ' ',
    ),
    {hint: TOO_LARGE_HINT},
  )
}

function notFound(path: string): JwkrError {
  // A secret pasted where the file goes must not be echoed back: it is named by its length only.
  const shown = looksLikeKeyMaterial(path)
    ? `the argument (${path.length} characters, not shown: it looks like key material)`
    : path
  return new JwkrError('ERR_INPUT_NOT_FOUND', `No such file: ${shown}.`, {
    hint: 'Pass the path of the key file, "-" to read stdin, or the key JSON itself in quotes.',
  })
}
