import {spawnSync} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {
  assertLogPaths,
  planTokenTasks,
  type PlannedTask,
  type PlanOptions,
  type TokenSourceInfo,
} from '../../../src/adapters/tokens/plan-token-tasks.js'
import {isTokenByte} from '../../../src/core/tokens/find-tokens.js'
import {fifoOf, namedPipeOf} from '../../helpers/fifo.js'

const TOKEN = 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhIn0.c2lnbmF0dXJlLWJ5dGVzLWdvLWhlcmU'

function options(stdin: PlanOptions['stdin'], sizes: Partial<PlanOptions> = {}): PlanOptions & {sources: TokenSourceInfo[]} {
  return {
    stdin,
    rangeBytes: 1000,
    chunkBytes: 1000,
    maxTokenBytes: 200,
    sources: [],
    skipped: {unreadable: 0},
    problems: [],
    ...sizes,
  }
}

/** The stream of a descriptor that is no terminal: never made. */
const never = (): Readable => {
  throw new Error('the stream was made')
}

/** The bytes of stdin tasks, one Buffer each. */
function chunksOf(tasks: PlannedTask[]): Buffer[] {
  return tasks.map(({task}) => (task.kind === 'bytes' ? Buffer.from(task.data) : Buffer.alloc(0)))
}

/** A file of `lines` lines, each with three tokens, and its text. */
async function logFile(lines: number): Promise<{path: string; text: Buffer}> {
  const text = Buffer.from(
    Array.from({length: lines}, (_, i) => `${i} GET /x?access_token=${TOKEN}&n=${i} "${TOKEN}",${TOKEN}\n`).join(''),
  )
  const path = join(await mkdtemp(join(tmpdir(), 'jwkr-plan-')), 'access.log')
  await writeFile(path, text)
  return {path, text}
}

async function plan(paths: string[], planOptions: PlanOptions): Promise<PlannedTask[]> {
  const tasks: PlannedTask[] = []
  for await (const task of planTokenTasks(paths, planOptions)) tasks.push(task)
  return tasks
}

describe('planTokenTasks', () => {
  it('cuts stdin into bounded chunks that end between tokens, in order, losing no byte', async () => {
    // Given 3 MiB on stdin in 64 KiB pieces: lines with tokens, and one run of token characters longer than any token
    const line = (i: number): string => `${i} GET /x?access_token=${TOKEN}&n=${i} "${TOKEN}",${TOKEN}\n`
    const text = Buffer.from(Array.from({length: 12_000}, (_, i) => line(i)).join('') + 'A'.repeat(5000) + ` ${TOKEN}\n`)
    const pieces = Array.from({length: Math.ceil(text.length / 65536)}, (_, i) => text.subarray(i * 65536, (i + 1) * 65536))
    // When it is planned in 4 KiB chunks, tokens of at most 512 bytes
    const planOptions = options(Readable.from(pieces), {chunkBytes: 4096, maxTokenBytes: 512})
    const tasks = await plan(['-'], planOptions)
    const chunks = tasks.map(({task}) => (task.kind === 'bytes' ? Buffer.from(task.data) : Buffer.alloc(0)))
    // Then every chunk is at most chunkBytes + maxTokenBytes, and together they are the input, in order
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThanOrEqual(4096 + 512)
    expect(Buffer.concat(chunks).equals(text)).toBe(true)
    expect(tasks.map((task) => task.base)).toEqual(
      chunks.map((_, i) => chunks.slice(0, i).reduce((sum, chunk) => sum + chunk.length, 0)),
    )
    expect(tasks.map((task) => task.ordinal)).toEqual(chunks.map((_, i) => i))
    // And a chunk ends inside a run only in the run too long to be a token, and then the next one says so
    const insideRun = tasks.map(({task}) => task.kind === 'bytes' && task.startsInsideRun)
    chunks.forEach((chunk, i) => {
      if (i + 1 < chunks.length && isTokenByte(chunk[chunk.length - 1] as number)) {
        expect(insideRun[i + 1]).toBe(true)
        expect(chunk.subarray(-600).every((byte) => byte === 0x41)).toBe(true)
      }
    })
    expect(planOptions.sources).toEqual([{path: 'stdin', gzip: false, plain: false}])
  })

  it('reads the next chunks of stdin into the arrays handed back, whatever they held, and loses no byte', async () => {
    // Given stdin of many chunks, and each chunk's array handed back (as the workers do) once it was read, holding garbage
    const text = Buffer.from(Array.from({length: 3000}, (_, i) => `${i} Bearer ${TOKEN}\n`).join(''))
    const pieces = Array.from({length: Math.ceil(text.length / 1000)}, (_, i) => text.subarray(i * 1000, (i + 1) * 1000))
    const spare: Uint8Array[] = []
    const planOptions = options(Readable.from(pieces), {chunkBytes: 4096, maxTokenBytes: 512, spare})
    const chunks: Buffer[] = []
    const arrays = new Set<ArrayBufferLike>()
    for await (const {task} of planTokenTasks(['-'], planOptions)) {
      if (task.kind !== 'bytes') continue
      chunks.push(Buffer.from(task.data))
      arrays.add(task.data.buffer)
      spare.push(new Uint8Array(task.data.buffer).fill(0x4a))
    }
    // Then the chunks are still the input, in order, read into a few arrays over and over
    expect(Buffer.concat(chunks).equals(text)).toBe(true)
    expect(chunks.length).toBeGreaterThan(10)
    expect(arrays.size).toBeLessThanOrEqual(2)
  })

  it('decompresses gzip stdin, told by its magic bytes', async () => {
    const text = Buffer.from(`a ${TOKEN}\n`.repeat(500))
    const planOptions = options(Readable.from([gzipSync(text)]))
    const tasks = await plan(['-'], planOptions)
    expect(
      Buffer.concat(tasks.map(({task}) => (task.kind === 'bytes' ? Buffer.from(task.data) : Buffer.alloc(0)))).equals(text),
    ).toBe(true)
    expect(planOptions.sources).toEqual([{path: 'stdin', gzip: true, plain: false}])
  })

  it('splits a plain file into ranges, keeps a gzip file whole, reads a binary one as bytes, and walks folders deeply', async () => {
    // Given a folder with a 2,500-byte log, a gzip log named .txt, an empty log, and a binary file (NUL bytes), nested
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-plan-'))
    await mkdir(join(dir, 'a', 'b'), {recursive: true})
    await writeFile(join(dir, 'app.log'), 'x'.repeat(2500))
    await writeFile(join(dir, 'a', 'b', 'old.txt'), gzipSync('hello'))
    await writeFile(join(dir, 'a', 'empty.log'), '')
    await writeFile(join(dir, 'a', 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]))
    const planOptions = options(Readable.from([]))
    // When it is planned in 1,000-byte ranges
    const tasks = await plan([dir], planOptions)
    // Then the plain log is three ranges covering it, the gzip file one task, the empty log one empty range,
    // and the binary file one range like any other file: nothing is skipped for holding NUL bytes
    const described = tasks.map(({task, source, ordinal}) => ({
      ...task,
      path: task.kind === 'bytes' ? '' : task.path.slice(dir.length),
      source,
      ordinal,
    }))
    expect(described.sort((a, b) => (a.path === b.path ? a.ordinal - b.ordinal : a.path < b.path ? -1 : 1))).toEqual([
      {kind: 'gzip', path: '/a/b/old.txt', source: expect.any(Number), ordinal: 0},
      {kind: 'range', path: '/a/empty.log', start: 0, end: 0, source: expect.any(Number), ordinal: 0},
      {kind: 'range', path: '/a/image.png', start: 0, end: 7, source: expect.any(Number), ordinal: 0},
      {kind: 'range', path: '/app.log', start: 0, end: 1000, source: expect.any(Number), ordinal: 0},
      {kind: 'range', path: '/app.log', start: 1000, end: 2000, source: expect.any(Number), ordinal: 1},
      {kind: 'range', path: '/app.log', start: 2000, end: 2500, source: expect.any(Number), ordinal: 2},
    ])
    expect(new Set(described.map((task) => task.source)).size).toBe(4)
    expect(planOptions.skipped).toEqual({unreadable: 0})
  })

  it("reads stdin's descriptor directly: a pipe holding many reads' worth, cut between tokens, losing no byte", async () => {
    // Given 2.5 MiB written by another process into a real pipe (it hands over at most 64 KiB per read)
    const {path, text} = await logFile(12_000)
    const pipe = await fifoOf(path)
    try {
      // When stdin's descriptor is planned in 4 KiB chunks (the stream is never needed)
      const tasks = await plan(['-'], options({fd: pipe.fd, stream: never}, {chunkBytes: 4096, maxTokenBytes: 512}))
      await pipe.written
      // Then the chunks are the input, in order, and each ends between tokens: a token across a read or a chunk is whole in one
      const chunks = chunksOf(tasks)
      expect(Buffer.concat(chunks).equals(text)).toBe(true)
      expect(chunks.length).toBeGreaterThan(600)
      for (const chunk of chunks.slice(0, -1)) expect(isTokenByte(chunk[chunk.length - 1] as number)).toBe(false)
      expect(tasks.every(({task}) => task.kind === 'bytes' && !task.startsInsideRun)).toBe(true)
    } finally {
      closeSync(pipe.fd)
    }
  })

  it('waits for a non-blocking descriptor (EAGAIN) whose writer is late, losing no byte', async () => {
    // Given a non-blocking pipe (as Node leaves stdin) whose writer starts late, so the first reads find it empty
    const {path, text} = await logFile(3000)
    const pipe = await fifoOf(path, {delaySeconds: 0.3, nonBlocking: true})
    try {
      // When it is planned
      const tasks = await plan(['-'], options({fd: pipe.fd, stream: never}, {chunkBytes: 4096, maxTokenBytes: 512}))
      await pipe.written
      // Then it was waited for, not taken for its end, and read in order
      expect(Buffer.concat(chunksOf(tasks)).equals(text)).toBe(true)
    } finally {
      closeSync(pipe.fd)
    }
  })

  it('decompresses gzip read from a descriptor', async () => {
    // Given a gzip log (larger than one compressed read) in a pipe
    const {text} = await logFile(40_000)
    const gzipped = join(await mkdtemp(join(tmpdir(), 'jwkr-plan-')), 'access.log.gz')
    await writeFile(gzipped, gzipSync(text, {level: 0}))
    const pipe = await fifoOf(gzipped)
    try {
      const planOptions = options({fd: pipe.fd, stream: never}, {chunkBytes: 64 * 1024, maxTokenBytes: 512})
      const tasks = await plan(['-'], planOptions)
      await pipe.written
      expect(Buffer.concat(chunksOf(tasks)).equals(text)).toBe(true)
      expect(planOptions.sources).toEqual([{path: 'stdin', gzip: true, plain: false}])
    } finally {
      closeSync(pipe.fd)
    }
  })
  it('reads a named pipe given as a path as it reads stdin, gzip too, and leaves one inside a folder alone', async () => {
    // Given a gzip log that a process writes into a named pipe, and a folder holding a log and a pipe nobody writes
    const {text} = await logFile(2000)
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-plan-'))
    await writeFile(join(dir, 'access.log.gz'), gzipSync(text))
    const pipe = await namedPipeOf(join(dir, 'access.log.gz'))
    const folder = await mkdtemp(join(tmpdir(), 'jwkr-plan-'))
    await writeFile(join(folder, 'app.log'), 'x'.repeat(10))
    expect(spawnSync('mkfifo', [join(folder, 'waiting')]).status).toBe(0)
    // When both are planned
    const planOptions = options(Readable.from([]), {chunkBytes: 4096, maxTokenBytes: 512})
    const tasks = await plan([pipe.path, folder], planOptions)
    await pipe.written
    // Then the pipe is decompressed and cut into chunks, losing no byte, and the folder's pipe is not waited for
    expect(Buffer.concat(chunksOf(tasks.filter(({source}) => source === 0))).equals(text)).toBe(true)
    expect(planOptions.sources).toEqual([
      {path: pipe.path, gzip: true, plain: false},
      {path: join(folder, 'app.log'), gzip: false, plain: true},
    ])
  })

  it('refuses stdin that is a folder before anything is read, and takes a file or a pipe', async () => {
    const folder = openSync(await mkdtemp(join(tmpdir(), 'jwkr-plan-')), 'r')
    const {path} = await logFile(1)
    const file = openSync(path, 'r')
    try {
      expect(() => assertLogPaths(['-'], {fd: folder, stream: never})).toThrow(
        expect.objectContaining({code: 'ERR_INPUT_UNREADABLE', message: 'stdin is a folder, not a log.'}),
      )
      expect(() => assertLogPaths(['-'], {fd: file, stream: never})).not.toThrow()
      expect(() => assertLogPaths(['-'], Readable.from([]))).not.toThrow()
    } finally {
      closeSync(folder)
      closeSync(file)
    }
  })
})
