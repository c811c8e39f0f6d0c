// The work of one token-scan worker: read a piece of the input (a byte range of a plain file, a whole
// gzip file, or a chunk of stdin) through one fixed TokenStream buffer, decode the headers the
// pre-filter lets through (decided once per distinct header, on the decoded header), verify the
// signatures of those that may be the key's with one reused key object, and report what it found.
// Runs inside each worker thread, or in-process.
import {closeSync, createReadStream, openSync, readSync} from 'node:fs'
import type {KeyObject} from 'node:crypto'
import {createGunzip} from 'node:zlib'

import {tokenShape} from '../../core/tokens/token-shape.js'
import {claimsOf, concernsKey, unsignedForm, type TokenVerdict} from '../../core/tokens/classify-token.js'
import {isTokenByte} from '../../core/tokens/find-tokens.js'
import {createHeaderFilter, decodeHeader, referenceOf, type KeyIdentity} from '../../core/tokens/key-reference.js'
import {TokenStream, type StreamedToken} from '../../core/tokens/token-stream.js'
import {createSignatureVerifier, type SignatureVerifier} from '../../core/tokens/verify-signature.js'

export interface TokenWorkerData {
  identity: KeyIdentity
  /** The leaked key's public half (its secret for an oct key). Never leaves the process. */
  verifyKey: KeyObject
  /** named: the key has kids a header can name it by; all: it has none, so a bad signature names no one. */
  mode: 'named' | 'all'
  blockBytes: number
  maxTokenBytes: number
  /** A longer run that starts like a token is read whole up to this many bytes (see TokenStream). */
  maxLongTokenBytes: number
}

export type TokenTask =
  | {id: number; kind: 'range'; path: string; start: number; end: number}
  | {id: number; kind: 'gzip'; path: string}
  /** A piece of stdin that ends between tokens; it starts inside a run when the previous piece was cut in one. */
  | {id: number; kind: 'bytes'; data: Uint8Array; startsInsideRun: boolean}

export interface FoundVerdict {
  verdict: TokenVerdict
  /** Byte offset from the start of the task. */
  offset: number
  /** Newlines between the start of the task and the token (not counted for a range: 0). */
  line: number
}

/** What a task found since its previous report; `done` on the last one. */
export interface TokenTaskReport {
  id: number
  done: boolean
  /** Input bytes read since the previous report (compressed bytes for gzip). */
  bytesRead: number
  /** Tokens seen since the previous report, and how many of them do not point at the key. */
  tokens: number
  other: number
  found: FoundVerdict[]
  /** Newlines in the task so far (not counted for a range: 0). */
  newlines: number
  /** Size of the stream buffer this task used. */
  bufferBytes: number
  /** A problem that ended the task early (a corrupt gzip file, an unreadable file); what came before counts. */
  problem?: string
  /** The bytes of a stdin task, on its last report: handed back (moved, not copied) to be filled again. */
  returned?: Uint8Array
}

/** Decoded text between two reports of a long (gzip) task. */
const REPORT_EVERY = 8 * 1024 * 1024
/** Verifications a task may have in flight before it waits for them. */
const MAX_PENDING = 256
/** Verdicts kept per worker, so a token logged on every request is verified once. */
const VERDICT_CACHE = 4096
/** Tokens longer than this are not kept as a key of the verdict cache. */
const CACHED_TOKEN_CHARS = 16 * 1024

/** Runs one task at a time (the tasks share one buffer). */
export interface TokenTaskRunner {
  run(task: TokenTask, report: (report: TokenTaskReport) => void): Promise<void>
}

type Collect = (found: StreamedToken[], bytesRead: number) => Promise<void>

/** A verdict being worked out, or worked out. */
type Decided = Promise<TokenVerdict | null> | {value: TokenVerdict | null}

/**
 * @example const runner = createTokenTaskRunner(data); await runner.run({id: 1, kind: 'range', path, start: 0, end: size}, post)
 */
export function createTokenTaskRunner(data: TokenWorkerData): TokenTaskRunner {
  const filter = createHeaderFilter(data.identity)
  const others = new KnownTokens(VERDICT_CACHE)
  // A token already found to be another key's (one logged on every request) is only counted: it is
  // recognised by its bytes, without making a string of it.
  const wanted = (buffer: Buffer, start: number, headerEnd: number, end: number): boolean =>
    filter(buffer.toString('latin1', start, headerEnd)) && !others.has(buffer, start, end)
  // The verdict of a token seen again (even while it is still being verified) is not worked out twice;
  // once worked out, it is kept as a value, so a token logged on every request costs a lookup only.
  const verdicts = new Map<string, Decided>()
  // One buffer for every task of this worker: tasks run one at a time.
  const buffer = Buffer.allocUnsafe(data.blockBytes + data.maxTokenBytes)
  // One verifier for every token of this worker: the key object, header decisions and buffers are reused.
  const verifier = createSignatureVerifier(data.verifyKey)

  function decide(token: string): Decided {
    const cached = verdicts.get(token)
    if (cached !== undefined) return cached
    const verdict = verdictOf(token, data, verifier)
    if (token.length > CACHED_TOKEN_CHARS) return verdict
    if (verdicts.size >= VERDICT_CACHE) verdicts.delete(verdicts.keys().next().value as string)
    verdicts.set(token, verdict)
    void verdict.then((value) => {
      if (value === null || !concernsKey(value)) {
        others.add(token)
        verdicts.delete(token)
      } else if (verdicts.get(token) === verdict) {
        verdicts.set(token, {value})
      }
    })
    return verdict
  }

  return {
    async run(task, report) {
      const stream = new TokenStream({
        blockBytes: data.blockBytes,
        maxTokenBytes: data.maxTokenBytes,
        maxLongTokenBytes: data.maxLongTokenBytes,
        wanted,
        buffer,
        // A range of a plain file leaves lines to the end (linesAt), for the few tokens shown.
        countLines: task.kind !== 'range',
        startsInsideRun:
          task.kind === 'bytes'
            ? task.startsInsideRun
            : task.kind === 'range' && task.start > 0 && startsInsideRun(task.path, task.start),
      })
      let part = {bytesRead: 0, found: [] as FoundVerdict[], tokensBefore: 0, bytesBefore: 0}
      const flush = (done: boolean, problem?: string): void => {
        const tokens = stream.tokens - part.tokensBefore
        report({
          id: task.id,
          done,
          bytesRead: part.bytesRead,
          tokens,
          other: tokens - part.found.length,
          found: part.found,
          newlines: stream.newlines,
          bufferBytes: stream.peakBytes,
          ...(problem === undefined ? {} : {problem}),
          ...(done && task.kind === 'bytes' ? {returned: task.data} : {}),
        })
        part = {bytesRead: 0, found: [], tokensBefore: stream.tokens, bytesBefore: stream.bytes}
      }
      let pending: Array<Promise<void>> = []
      const settle = async (): Promise<void> => {
        const waiting = pending
        pending = []
        await Promise.all(waiting)
      }
      const collect: Collect = async (found, bytesRead) => {
        part.bytesRead += bytesRead
        for (const {token, offset, line} of found) {
          // Another key's token, tried only because a verifier holding the key would: counted as other here.
          const keep = (verdict: TokenVerdict | null): void => {
            if (verdict !== null && concernsKey(verdict)) part.found.push({verdict, offset, line})
          }
          const decided = decide(token)
          if (decided instanceof Promise) pending.push(decided.then(keep))
          else keep(decided.value)
        }
        // Signatures are checked (on libuv's threads) while reading goes on; only a backlog is waited for.
        if (pending.length >= MAX_PENDING) await settle()
        // A long (gzip) task reports as it goes, so progress moves and found verdicts do not pile up.
        if (stream.bytes - part.bytesBefore >= REPORT_EVERY) {
          await settle()
          flush(false)
        }
      }
      try {
        if (task.kind === 'range') await readRange(task, stream, collect)
        else if (task.kind === 'bytes') await readBytes(task.data, stream, collect)
        else await readGzip(task.path, stream, collect)
        await settle()
        flush(true)
      } catch (error) {
        await settle()
        flush(true, describeProblem(task, error))
      }
    },
  }
}

/**
 * A bounded set of tokens, looked up by their bytes in a buffer: a short key (the length and the last
 * bytes of the signature) picks a few candidates, compared byte for byte, so no string of the whole
 * token is made and no token is taken for another.
 */
class KnownTokens {
  readonly #buckets = new Map<string, Buffer[]>()
  #size = 0

  constructor(readonly limit: number) {}

  has(buffer: Buffer, start: number, end: number): boolean {
    const bucket = this.#buckets.get(keyOf(buffer, start, end))
    if (bucket === undefined) return false
    const bytes = buffer.subarray(start, end)
    return bucket.some((known) => known.equals(bytes))
  }

  add(token: string): void {
    if (this.#size >= this.limit) {
      this.#buckets.clear()
      this.#size = 0
    }
    const bytes = Buffer.from(token, 'latin1')
    const key = keyOf(bytes, 0, bytes.length)
    const bucket = this.#buckets.get(key)
    if (bucket?.some((known) => known.equals(bytes))) return
    if (bucket) bucket.push(bytes)
    else this.#buckets.set(key, [bytes])
    this.#size++
  }
}

function keyOf(buffer: Buffer, start: number, end: number): string {
  return `${end - start}:${buffer.toString('latin1', Math.max(start, end - 12), end)}`
}

/**
 * The verdict on one token the pre-filter let through: null when its header does not point at the
 * key after all (or does not decode), else whether the key's signature is valid, and the claims.
 * Verification ignores exp and nbf: an expired token signed with the key is still evidence.
 */
async function verdictOf(token: string, data: TokenWorkerData, verifier: SignatureVerifier): Promise<TokenVerdict | null> {
  const first = token.indexOf('.')
  const header = decodeHeader(token.slice(0, first))
  if (header === null) return null
  const reference = await referenceOf(header, data.identity)
  if (reference === null) return null
  // Not a JSON payload: still a token that may be the key's; its claims are unknown (claimsOf(null)).
  const payload = decodeHeader(token.slice(first + 1, token.lastIndexOf('.')))
  const valid = await verifiesWith(token, data.verifyKey, verifier)
  return {
    reference,
    valid,
    claims: claimsOf(payload),
    unsigned: unsignedForm(token, {header, payload}),
    shape: tokenShape(header, payload),
  }
}

/**
 * Whether the key made the token's signature (exp and nbf are not looked at). The worker's node:crypto
 * verifier decides for the asymmetric algs (the hot path, see verify-signature.ts); jose decides the rest.
 */
async function verifiesWith(token: string, key: KeyObject, verifier: SignatureVerifier): Promise<boolean> {
  const fast = verifier(token)
  if (fast !== undefined) return fast
  // Loaded on the first token it must decide (HMAC, an alg node:crypto is not given): not at every start.
  const {compactVerify} = await import('jose/jws/compact/verify')
  try {
    await compactVerify(token, key)
    return true
  } catch {
    // A bad signature, or an alg this key cannot have made (alg confusion, "none"): not the key's.
    return false
  }
}

function startsInsideRun(path: string, start: number): boolean {
  const fd = openSync(path, 'r')
  try {
    const byte = Buffer.alloc(1)
    return readSync(fd, byte, 0, 1, start - 1) === 1 && isTokenByte(byte[0] as number)
  } finally {
    closeSync(fd)
  }
}

/**
 * Reads [start, end) straight into the stream's buffer. The tokens that start in the range are this
 * task's, so a token running past `end` is read to its end (at most maxLongTokenBytes further), and one
 * running in from before `start` is left to the previous range.
 */
async function readRange(task: {path: string; start: number; end: number}, stream: TokenStream, collect: Collect): Promise<void> {
  const fd = openSync(task.path, 'r')
  try {
    const {buffer, blockBytes} = stream
    let position = task.start
    let last = -1
    while (position < task.end) {
      const offset = stream.writeOffset
      const read = readSync(fd, buffer, offset, Math.min(blockBytes, task.end - position), position)
      if (read === 0) break
      last = buffer[offset + read - 1] as number
      position += read
      await collect(stream.push(read), read)
    }
    if (position < task.end || last === -1 || !isTokenByte(last)) {
      await collect(stream.push(0, true), 0)
      return
    }
    // The range ends inside a run: read on to its end, block by block, at most maxLongTokenBytes further.
    for (let extension = 0; ;) {
      const offset = stream.writeOffset
      const read = readSync(fd, buffer, offset, blockBytes, position)
      let run = 0
      while (run < read && isTokenByte(buffer[offset + run] as number)) run++
      position += run
      extension += run
      if (run < read || read === 0 || extension > stream.maxLongTokenBytes) {
        await collect(stream.push(run, true), 0)
        return
      }
      await collect(stream.push(run), 0)
    }
  } finally {
    closeSync(fd)
  }
}

async function readBytes(data: Uint8Array, stream: TokenStream, collect: Collect): Promise<void> {
  const source = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  for (let at = 0; at < source.length;) {
    const length = Math.min(stream.blockBytes, source.length - at)
    source.copy(stream.buffer, stream.writeOffset, at, at + length)
    at += length
    await collect(stream.push(length), length)
  }
  await collect(stream.push(0, true), 0)
}

/** Decompresses through the stream's buffer; a truncated file still counts up to where it breaks. */
async function readGzip(path: string, stream: TokenStream, collect: Collect): Promise<void> {
  const file = createReadStream(path, {highWaterMark: 1024 * 1024})
  const gunzip = createGunzip({chunkSize: 256 * 1024})
  let compressed = 0
  file.on('data', (chunk) => (compressed += chunk.length))
  file.on('error', (error) => gunzip.destroy(error))
  file.pipe(gunzip)
  let reported = 0
  let filled = 0
  const push = async (final: boolean): Promise<void> => {
    const found = stream.push(filled, final)
    filled = 0
    await collect(found, compressed - reported)
    reported = compressed
  }
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      for (let at = 0; at < chunk.length;) {
        const length = Math.min(stream.blockBytes - filled, chunk.length - at)
        chunk.copy(stream.buffer, stream.writeOffset + filled, at, at + length)
        filled += length
        at += length
        if (filled === stream.blockBytes) await push(false)
      }
    }
  } catch (error) {
    await push(true)
    throw error
  } finally {
    file.destroy()
  }
  await push(true)
}

function describeProblem(task: TokenTask, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  const where = task.kind === 'bytes' ? 'stdin' : task.path
  if (task.kind === 'gzip' && (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' || /unexpected end/i.test(String(error)))) {
    return `${where}: the gzip data is truncated or corrupt; the tokens before that point are counted.`
  }
  return `${where}: could not be read${code ? ` (${code})` : ''}; the tokens before that point are counted.`
}
