// The one way jwkr reads a file it was pointed at (a key, a playbook, the inventory, a JWKS file, a
// template): only a regular file, and only up to a size. A path can name a FIFO, whose open waits
// for a writer forever, or /dev/urandom or /dev/zero, which never end; so the file is opened without
// blocking, checked through its descriptor (no window between the check and the read), and read no
// further than the limit.
import {constants} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'

import {JwkrError} from '../../core/errors.js'

export interface ReadBoundedFileOptions {
  /** Largest size accepted, in bytes. */
  maxBytes: number
  /** What the file holds, for messages: 'the playbook', 'the inventory', 'the JWKS file', … */
  what: string
  /** The error for a path where nothing exists (ERR_INPUT_NOT_FOUND unless given). */
  notFound?: (path: string) => JwkrError
  /** What to do about a file that is too large (a sentence for the hint). */
  tooLargeHint?: string
  /** What to do about a path that is not a regular file, e.g. a directory (a sentence for the hint). */
  notRegularHint?: string
}

/**
 * Reads a regular file of at most `maxBytes`.
 *
 * @example const bytes = await readBoundedFile('jwkr.inventory.yaml', {maxBytes: 4 * MiB, what: 'the inventory'})
 * @throws JwkrError ERR_INPUT_NOT_FOUND (or `notFound`), ERR_INPUT_UNREADABLE for anything that is
 *   not a regular file or cannot be read, ERR_INPUT_TOO_LARGE past `maxBytes`.
 */
export async function readBoundedFile(path: string, options: ReadBoundedFileOptions): Promise<Buffer> {
  let handle: FileHandle
  try {
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer (no effect on regular files).
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (error) {
    throw openError(path, error, options)
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw notRegular(path, kindOf(info), options)
    if (info.size > options.maxBytes) throw tooLarge(path, info.size, options)
    // The size may have changed since the stat: never read more than one byte past the limit.
    const buffer = Buffer.alloc(Math.min(info.size, options.maxBytes) + 1)
    let length = 0
    for (;;) {
      const {bytesRead} = await handle.read(buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
      if (length === buffer.length) {
        if (length > options.maxBytes) throw tooLarge(path, length, options, true)
        break
      }
    }
    return buffer.subarray(0, length)
  } catch (error) {
    if (error instanceof JwkrError) throw error
    throw unreadable(path, error)
  } finally {
    await handle.close()
  }
}

/** Like readBoundedFile, decoded as UTF-8 (a byte order mark is kept: callers that care strip it). */
export async function readBoundedText(path: string, options: ReadBoundedFileOptions): Promise<string> {
  return (await readBoundedFile(path, options)).toString('utf8')
}

/** Sizes in messages: "1.0 MiB", "512 KiB", "300 bytes". */
export function describeSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`
  return `${bytes} bytes`
}

function kindOf(info: {
  isDirectory(): boolean
  isFIFO(): boolean
  isCharacterDevice(): boolean
  isBlockDevice(): boolean
  isSocket(): boolean
}): string {
  if (info.isDirectory()) return 'a directory'
  if (info.isFIFO()) return 'a named pipe (FIFO)'
  if (info.isCharacterDevice()) return 'a character device'
  if (info.isBlockDevice()) return 'a block device'
  if (info.isSocket()) return 'a socket'
  return 'not a regular file'
}

function openError(path: string, error: unknown, options: ReadBoundedFileOptions): JwkrError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return (
      options.notFound?.(path) ??
      new JwkrError('ERR_INPUT_NOT_FOUND', `No such file: ${path}.`, {hint: `Check the path of ${options.what}.`, cause: error})
    )
  }
  return unreadable(path, error)
}

function notRegular(path: string, kind: string, options: ReadBoundedFileOptions): JwkrError {
  return new JwkrError(
    'ERR_INPUT_UNREADABLE',
    `${path} is ${kind}, not a regular file: jwkr reads ${options.what} from regular files only.`,
    {
      hint: options.notRegularHint ?? `Pass the path of the file that holds ${options.what}.`,
      details: {path, kind},
    },
  )
}

function tooLarge(path: string, bytes: number, options: ReadBoundedFileOptions, atLeast = false): JwkrError {
  return new JwkrError(
    'ERR_INPUT_TOO_LARGE',
    `${path} is ${atLeast ? 'over ' : ''}${describeSize(bytes)}; jwkr reads at most ${describeSize(options.maxBytes)} of ${options.what}.`,
    {hint: options.tooLargeHint ?? `Check that ${path} is ${options.what}.`, details: {path, bytes, maxBytes: options.maxBytes}},
  )
}

function unreadable(path: string, error: unknown): JwkrError {
  const code = (error as NodeJS.ErrnoException).code
  return new JwkrError('ERR_INPUT_UNREADABLE', `Cannot read ${path}${code ? ` (${code})` : ''}.`, {
    hint:
      code === 'EACCES'
        ? 'Check the file permissions, or run jwkr as a user that may read it.'
        : 'Check that the path is a readable file.',
    cause: error,
  })
}
