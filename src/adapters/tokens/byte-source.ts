// Where `tokens scan -` gets its bytes: read into the caller's array, so that stdin is read straight
// into the arrays that become the workers' tasks. A descriptor (stdin's, fd 0) is read with large
// synchronous reads: Node's stream hands a pipe over 64 KiB at a time through the event loop, which
// cost about four times the scan itself (bench/tokens.mjs, BENCH_TOKENS_STDIN), where a blocking
// read(2) costs the copy. A terminal is read through its stream (someone types; nothing to gain).
//
// Node sets a pipe or socket on stdin non-blocking as soon as process.stdin exists, and any
// `import … from 'node:process'` makes it. An anonymous pipe is then opened again (/proc/self/fd/N:
// a new, blocking description of the same pipe), so a read waits in the kernel for the writer; a
// socket or a named pipe cannot be, and is polled: a read that finds it empty (EAGAIN) sleeps a
// little and tries again.
import {closeSync, constants, fstatSync, openSync, readlinkSync, readSync} from 'node:fs'
import type {Readable} from 'node:stream'
import {isatty} from 'node:tty'

/** Bytes in order, read into the caller's array. */
export interface ByteSource {
  /** Reads up to `length` bytes into into[at…]; resolves to how many, 0 at the end of the input. */
  read(into: Uint8Array, at: number, length: number): Promise<number>
  /** Lets go of what it opened. */
  close(): void
}

/** A descriptor to read directly, and its stream for a terminal (made only then). */
export interface DescriptorInput {
  fd: number
  stream: () => Readable
}

/** The first pause after a read found nothing, doubled up to the longest, in milliseconds. */
const FIRST_PAUSE_MS = 0.02
const LONGEST_PAUSE_MS = 1
/** How long a read may keep the thread waiting before the event loop runs (worker reports, signals). */
const BLOCKING_MS = 10

/**
 * @example const source = byteSource({fd: 0, stream: () => process.stdin}); const got = await source.read(array, 0, array.length)
 */
export function byteSource(input: Readable | DescriptorInput): ByteSource {
  if (!('fd' in input)) return streamSource(input)
  if (isatty(input.fd)) return streamSource(input.stream())
  return descriptorSource(input.fd)
}

function descriptorSource(given: number): ByteSource {
  const fd = blockingPipe(given) ?? given
  const sleeper = new Int32Array(new SharedArrayBuffer(4))
  return {
    async read(into, at, length) {
      for (let pause = FIRST_PAUSE_MS, blocked = 0; ; pause = Math.min(2 * pause, LONGEST_PAUSE_MS)) {
        try {
          // A pipe or socket returns what it holds (up to 64 KiB for a pipe), a file all that was asked.
          return readSync(fd, into, at, length, null)
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code
          if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') throw error
        }
        // Empty for now: a short sleep while the writer is quick, the event loop's turn when it is slow.
        if (blocked < BLOCKING_MS) {
          Atomics.wait(sleeper, 0, 0, pause)
          blocked += pause
        } else {
          await new Promise((resolve) => setTimeout(resolve, LONGEST_PAUSE_MS))
          blocked = 0
        }
      }
    },
    close() {
      if (fd !== given) closeSync(fd)
    },
  }
}

/**
 * A new, blocking descriptor of the anonymous pipe `fd` reads (`cat log | jwkr …`, on Linux), or
 * undefined for anything else. Not a named pipe: opening one waits for a writer, who may be gone.
 */
function blockingPipe(fd: number): number | undefined {
  try {
    const path = `/proc/self/fd/${fd}`
    return fstatSync(fd).isFIFO() && readlinkSync(path).startsWith('pipe:') ? openSync(path, constants.O_RDONLY) : undefined
  } catch {
    return undefined
  }
}

/** A stream's chunks copied into the caller's array (a chunk larger than asked is handed over in parts). */
export function streamSource(stream: AsyncIterable<Buffer | string>): ByteSource {
  const chunks = stream[Symbol.asyncIterator]()
  let held: Buffer = Buffer.alloc(0)
  return {
    async read(into, at, length) {
      while (held.length === 0) {
        const next = await chunks.next()
        if (next.done) return 0
        held = typeof next.value === 'string' ? Buffer.from(next.value) : next.value
      }
      const count = Math.min(length, held.length)
      into.set(held.subarray(0, count), at)
      held = held.subarray(count)
      return count
    },
    close() {},
  }
}
