// Turns the paths given to `jwkr tokens scan` into tasks for the workers, lazily, so that memory does
// not grow with the input: folders are walked (recursively, streaming), a plain file becomes byte
// ranges that workers read themselves, a gzip file (told by its magic bytes, not its name) is one
// task, and stdin ("-") or a named pipe (`mkfifo`, or `<(zcat …)`) is cut into chunks between tokens
// and handed over (a named pipe inside a folder is left alone: reading it could wait forever).
// Nothing is skipped for looking binary: a NUL byte in a log (a crash, a partly written line) or a
// core dump holding tokens in memory is read as bytes like any text, since tokens are ASCII whatever
// surrounds them.
import {closeSync, fstatSync, openSync, readSync, statSync} from 'node:fs'
import {open} from 'node:fs/promises'
import type {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'

import {ExitCode, JwkrError} from '../../core/errors.js'
import {announceTerminalRead} from '../input/read-source.js'
import {isTokenByte, trailingRunStart} from '../../core/tokens/find-tokens.js'
import type {WalkCounts} from '../scan/walk-files.js'
import {byteSource, streamSource, type ByteSource, type DescriptorInput} from './byte-source.js'
import type {TokenTask} from './run-token-task.js'

/** A task without its id, with the source it reads and its place among that source's tasks. */
export interface PlannedTask {
  task: DistributiveOmit<TokenTask, 'id'>
  source: number
  ordinal: number
  /** Offset of the task's first byte in its (decompressed) source. */
  base: number
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

export interface TokenSourceInfo {
  /** The file's path, or "stdin". */
  path: string
  gzip: boolean
  /** A plain file, read in ranges: lines are counted afterwards, for the tokens shown (linesAt). */
  plain: boolean
}

export interface PlanOptions {
  /** What "-" reads: a stream, or a descriptor read directly (stdin's, in a real run; see byte-source.ts). */
  stdin: Readable | DescriptorInput
  /** Bytes of a plain file per range task. */
  rangeBytes: number
  /** Bytes of stdin per chunk task (a chunk may run up to maxTokenBytes longer, to end after a token). */
  chunkBytes: number
  /** The longest token read (TokenStream's maxLongTokenBytes): a chunk never cuts a run shorter than this. */
  maxTokenBytes: number
  /** Sources in scan order; filled as the plan goes. */
  sources: TokenSourceInfo[]
  /** Files left out: unreadable ones (the scan says how many). */
  skipped: {unreadable: number}
  /** Problems met while planning (a corrupt gzip stdin); what came before counts. */
  problems: string[]
  /**
   * Arrays of finished stdin tasks, handed back by the workers: the next chunks are read into them,
   * so stdin costs a few arrays however long it is, not one per chunk for the collector to find.
   */
  spare?: Uint8Array[]
}

const GZIP_MAGIC = [0x1f, 0x8b]
/** What a pipe hands over at once (64 KiB on Linux). */
const PIPE_PIECE = 64 * 1024
/** Compressed bytes of gzip stdin read at once. */
const GZIP_READ = 256 * 1024

/**
 * Checks every path (and, for "-", that stdin is not a folder) before anything is read, so a typo
 * fails fast with exit 1.
 *
 * @example assertLogPaths(['/var/log/app', '-'], {fd: 0, stream: () => process.stdin})
 */
export function assertLogPaths(paths: readonly string[], stdin?: PlanOptions['stdin']): void {
  if (paths.length === 0) {
    throw new JwkrError('ERR_USAGE', 'No logs to scan.', {
      hint: 'Name the log files or folders to scan, or "-" to read stdin, e.g. `jwkr tokens scan --key leaked.json /var/log/app`.',
      exitCode: ExitCode.usage,
    })
  }
  if (paths.filter((path) => path === '-').length > 1) {
    throw new JwkrError('ERR_USAGE', 'stdin ("-") can be read only once.', {hint: 'Give "-" once.', exitCode: ExitCode.usage})
  }
  for (const path of paths) {
    if (path === '-') {
      if (stdin !== undefined && 'fd' in stdin) assertNotFolder(stdin.fd)
      continue
    }
    try {
      statSync(path)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new JwkrError(
        code === 'ENOENT' ? 'ERR_INPUT_NOT_FOUND' : 'ERR_INPUT_UNREADABLE',
        code === 'ENOENT' ? `No such file or directory: ${path}.` : `Cannot read ${path}${code ? ` (${code})` : ''}.`,
        {hint: 'Name the log files or folders to scan, or "-" to read stdin.'},
      )
    }
  }
}

/** How a folder of logs is read: everything in it, hidden and ignored files too, following no links. */
const LOG_WALK = {hidden: true, gitignore: false}
/** Files a folder's size is summed over before it is read: a folder holding more counts as unknown. */
const FOLDER_FILES_SUMMED = 1000

/**
 * The bytes `paths` hold when every one is a plain (not gzip) regular file or a folder of at most
 * FOLDER_FILES_SUMMED such files, else null: the size of stdin or a pipe is not known before reading
 * it, nor what a gzip file holds. A path that cannot be read counts as unknown too (the scan reports it).
 *
 * @example await knownInputBytes(['app.log', '/var/log/api']) // 48_234_112
 */
export async function knownInputBytes(paths: readonly string[]): Promise<number | null> {
  let total = 0
  for (const path of paths) {
    const bytes = path === '-' ? null : isFolder(path) ? await folderBytes(path) : plainFileBytes(path)
    if (bytes === null) return null
    total += bytes
  }
  return total
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function plainFileBytes(path: string): number | null {
  const file = fileOpening(path)
  return file === null || file.gzip ? null : file.size
}

/** The bytes of the files the scan would read in a folder, or null (see knownInputBytes). */
async function folderBytes(path: string): Promise<number | null> {
  const {walkFiles} = await import('../scan/walk-files.js')
  const counts: WalkCounts = {ignored: 0, hidden: 0, symlinks: 0, special: 0, unreadable: 0}
  let total = 0
  let files = 0
  for (const file of walkFiles([path], LOG_WALK, counts)) {
    const bytes = ++files > FOLDER_FILES_SUMMED ? null : plainFileBytes(file)
    if (bytes === null) return null
    total += bytes
  }
  return counts.unreadable > 0 ? null : total
}

/**
 * A regular file's size and whether it is gzip (by its magic bytes, not its name); null when it is not
 * a readable regular file. Looked at before it is opened: opening a named pipe waits for its writer,
 * and reading it would take bytes the scan must see.
 */
function fileOpening(path: string): {size: number; gzip: boolean} | null {
  try {
    if (!statSync(path).isFile()) return null
    const fd = openSync(path, 'r')
    try {
      const info = fstatSync(fd)
      if (!info.isFile()) return null
      const head = Buffer.alloc(GZIP_MAGIC.length)
      const got = readSync(fd, head, 0, head.length, 0)
      return {size: info.size, gzip: got === GZIP_MAGIC.length && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]}
    } finally {
      closeSync(fd)
    }
  } catch {
    return null
  }
}

/** `jwkr tokens scan - < /var/log/app` gives stdin a folder, whose reads fail (EISDIR): say so before scanning. */
function assertNotFolder(fd: number): void {
  let folder = false
  try {
    folder = fstatSync(fd).isDirectory()
  } catch {
    // No stdin at all (closed): read as empty, as before.
  }
  if (folder) {
    throw new JwkrError('ERR_INPUT_UNREADABLE', 'stdin is a folder, not a log.', {
      hint: 'Name the folder instead of "-" (`jwkr tokens scan --key leaked.json /var/log/app`), or redirect a file into stdin.',
    })
  }
}

/** Every task of every path, in order. */
export async function* planTokenTasks(paths: readonly string[], options: PlanOptions): AsyncGenerator<PlannedTask> {
  const counts: WalkCounts = {ignored: 0, hidden: 0, symlinks: 0, special: 0, unreadable: 0}
  for (const path of paths) {
    if (path === '-') {
      announceTerminalRead(options.stdin, 'the log')
      yield* pipeTasks('stdin', options.stdin, options)
      continue
    }
    const info = statSync(path)
    if (info.isFile()) {
      yield* fileTasks(path, options)
      continue
    }
    if (info.isFIFO()) {
      yield* namedPipeTasks(path, options)
      continue
    }
    // Logs sit in hidden and ignored places as often as anywhere (LOG_WALK).
    // (Loaded here: the walker brings a .gitignore parser that a single file does not need.)
    const {walkFiles} = await import('../scan/walk-files.js')
    for (const file of walkFiles([path], LOG_WALK, counts)) yield* fileTasks(file, options)
  }
  options.skipped.unreadable += counts.unreadable
}

function* fileTasks(path: string, options: PlanOptions): Generator<PlannedTask> {
  const file = fileOpening(path)
  if (file === null) {
    options.skipped.unreadable++
    return
  }
  const {size, gzip} = file
  const source = options.sources.push({path, gzip, plain: !gzip}) - 1
  if (gzip) {
    yield {task: {kind: 'gzip', path}, source, ordinal: 0, base: 0}
    return
  }
  let ordinal = 0
  for (let start = 0; start < size || ordinal === 0; start += options.rangeBytes) {
    const end = Math.min(size, start + options.rangeBytes)
    yield {task: {kind: 'range', path, start, end}, source, ordinal: ordinal++, base: start}
  }
}

/**
 * Where to cut the next chunk of stdin, or 0 to wait for more: after the last byte of the first
 * chunkBytes that cannot be part of a token; when those bytes are all one run, after the run (once
 * its end has come), or right there if the run is longer than any token.
 */
function cutAt(text: Buffer, {chunkBytes, maxTokenBytes}: {chunkBytes: number; maxTokenBytes: number}): number {
  if (text.length < chunkBytes) return 0
  const cut = trailingRunStart(text, 0, chunkBytes)
  if (cut > 0) return cut
  let runEnd = 0
  while (runEnd < text.length && isTokenByte(text[runEnd] as number)) runEnd++
  if (runEnd === text.length) runEnd = -1
  if (runEnd !== -1 && runEnd <= maxTokenBytes) return runEnd
  return runEnd === -1 && text.length <= maxTokenBytes ? 0 : chunkBytes
}

/**
 * A named pipe, read as stdin is. Opened off the main thread: the open waits for a writer
 * (a `<(zcat …)` has one already; a `mkfifo` pipe waits for its writer, as `cat` would).
 */
async function* namedPipeTasks(path: string, options: PlanOptions): AsyncGenerator<PlannedTask> {
  const handle = await open(path, 'r').catch(() => null)
  if (handle === null) {
    options.skipped.unreadable++
    return
  }
  try {
    yield* pipeTasks(path, {fd: handle.fd, stream: () => handle.createReadStream({autoClose: false})}, options)
  } finally {
    await handle.close()
  }
}

/**
 * Chunks of stdin or a named pipe, the source `name` (decompressed when it is gzip), each cut after
 * the last byte that cannot be part of a token, so no token is split; a run longer than a chunk is
 * cut anyway (no token is that long). Plain input is read straight into the array that becomes the
 * task (and is moved to its worker, not copied); only the few bytes after the cut are copied again,
 * into the next one.
 */
async function* pipeTasks(name: string, from: PlanOptions['stdin'], options: PlanOptions): AsyncGenerator<PlannedTask> {
  const source = options.sources.length
  const stdin = byteSource(from)
  // Room for a chunk and a pipe's worth more: grown only while a run longer than that is waited for.
  const capacity = options.chunkBytes + PIPE_PIECE
  let data = reused(options.spare, capacity)
  let filled = 0
  let gzip = false
  let ordinal = 0
  let base = 0
  let insideRun = false
  let retryAt = options.chunkBytes
  const view = (): Buffer => Buffer.from(data.buffer, 0, filled)
  const take = (length: number): PlannedTask => {
    const task = data.subarray(0, length)
    const planned: PlannedTask = {task: {kind: 'bytes', data: task, startsInsideRun: insideRun}, source, ordinal: ordinal++, base}
    insideRun = length > 0 && trailingRunStart(view(), 0, length) < length
    const next = reused(options.spare, Math.max(capacity, filled - length))
    next.set(data.subarray(length, filled))
    data = next
    filled -= length
    base += length
    return planned
  }
  try {
    // Enough of the start to tell gzip by its magic bytes.
    for (let got = 1; filled < GZIP_MAGIC.length && got > 0; filled += got)
      got = await stdin.read(data, filled, data.length - filled)
    gzip = data[0] === GZIP_MAGIC[0] && data[1] === GZIP_MAGIC[1]
    options.sources.push({path: name, gzip, plain: false})
    const input = gzip ? streamSource(gunzipped(data.slice(0, filled), stdin)) : stdin
    if (gzip) filled = 0
    for (;;) {
      if (filled === data.length) {
        const grown = new Uint8Array(data.length * 2)
        grown.set(data.subarray(0, filled))
        data = grown
      }
      const got = await input.read(data, filled, data.length - filled)
      if (got === 0) break
      filled += got
      if (filled < retryAt) continue
      for (let length = cutAt(view(), options); length > 0; length = cutAt(view(), options)) yield take(length)
      // Waiting for the end of a long run: look again once the text has doubled, not at every read.
      retryAt = Math.max(options.chunkBytes, 2 * filled)
    }
  } catch {
    if (options.sources.length === source) options.sources.push({path: name, gzip, plain: false})
    options.problems.push(
      `${name}: the ${gzip ? 'gzip data is truncated or corrupt' : 'input could not be read'}; the tokens before that point are counted.`,
    )
  } finally {
    stdin.close()
  }
  if (filled > 0 || ordinal === 0) yield take(filled)
}

/** A spare array of at least `size` bytes (whole, whatever part of it its task used), or a new one. */
function reused(spare: Uint8Array[] | undefined, size: number): Uint8Array<ArrayBuffer> {
  for (let array = spare?.pop(); array !== undefined; array = spare?.pop()) {
    if (array.buffer.byteLength >= size) return new Uint8Array(array.buffer as ArrayBuffer)
  }
  return new Uint8Array(size)
}

/** The decompressed bytes of gzip input: `head` (the bytes read to tell it was gzip), then the rest of it. */
async function* gunzipped(head: Uint8Array, stdin: ByteSource): AsyncGenerator<Buffer> {
  const gunzip = createGunzip()
  const feed = (async () => {
    if (head.length > 0) gunzip.write(head)
    // A new array per read: gunzip keeps what it is given until it has used it.
    for (let piece = Buffer.allocUnsafe(GZIP_READ); ; piece = Buffer.allocUnsafe(GZIP_READ)) {
      const got = await stdin.read(piece, 0, piece.length)
      if (got === 0) break
      if (!gunzip.write(piece.subarray(0, got))) await new Promise((resolve) => gunzip.once('drain', resolve))
    }
    gunzip.end()
  })()
  feed.catch((error: unknown) => gunzip.destroy(error as Error))
  for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk
  await feed
}
