// A real pipe for tests of code that reads a descriptor (stdin's) directly: a named pipe (FIFO) that a
// child process (`cat`) fills from a file, so the reader meets what it meets in `cat log | jwkr …`: reads
// that return at most what the pipe holds (64 KiB), and, when the writer is late, a wait or EAGAIN.
import {spawn, spawnSync} from 'node:child_process'
import {closeSync, constants, openSync} from 'node:fs'
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface Fifo {
  fd: number
  /** Resolves when the writer has written everything and exited. */
  written: Promise<void>
}

/**
 * Makes a named pipe that `cat file` writes into, after `delaySeconds`, for code that opens it by path.
 *
 * @example const {path, written} = await namedPipeOf('/tmp/log')
 */
export async function namedPipeOf(file: string, delaySeconds = 0): Promise<{path: string; written: Promise<void>}> {
  const path = join(await mkdtemp(join(tmpdir(), 'jwkr-fifo-')), 'pipe')
  const made = spawnSync('mkfifo', [path])
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`)
  // The writer's open waits for a reader; it writes after the delay.
  const writer = spawn('sh', ['-c', `exec 3>"$1"; sleep "$2"; cat "$3" >&3`, 'sh', path, String(delaySeconds), file], {
    stdio: 'ignore',
  })
  const written = new Promise<void>((resolve, reject) => {
    writer.on('error', reject)
    writer.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the pipe's writer exited with ${code}`))))
  })
  return {path, written}
}

/**
 * Opens the reading end of a named pipe that `cat file` writes into, after `delaySeconds`; `nonBlocking`
 * opens it with O_NONBLOCK (as Node leaves stdin once anything makes process.stdin), so an empty pipe
 * fails a read with EAGAIN instead of waiting.
 *
 * @example const {fd, written} = await fifoOf('/tmp/log', {delaySeconds: 0.2, nonBlocking: true})
 */
export async function fifoOf(file: string, options: {delaySeconds?: number; nonBlocking?: boolean} = {}): Promise<Fifo> {
  const {path, written} = await namedPipeOf(file, options.delaySeconds)
  // A blocking open waits for the writer; a second, non-blocking one then shares its pipe.
  const blocking = openSync(path, constants.O_RDONLY)
  if (!options.nonBlocking) return {fd: blocking, written}
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  closeSync(blocking)
  return {fd, written}
}
