// Loaded with `node --import tsx --import ./test/faults/fault-preload.ts` into a process the fault
// harness runs, never into jwkr itself: it wraps the fs boundary (fs/promises and FileHandle) and, at
// the point JWKR_FAULT names (fault-spec.ts), kills the process with SIGKILL or fills the disk (ENOSPC).
// Journal lines are recognised by the file (journal.jsonl or its draft) and their content.
import fs from 'node:fs'
import type {FileHandle} from 'node:fs/promises'
import {syncBuiltinESMExports} from 'node:module'

import {FAULT_ENV, parseFault, type FaultSpec, type FileOp, type LineMatch} from './fault-spec.js'

interface JournalLine {
  seq: number
  type: string
  data: Record<string, unknown>
}

type Write = (this: FileHandle, data: unknown, ...rest: unknown[]) => Promise<unknown>

const JOURNAL_FILE = /journal\.jsonl/

const fault = parseFault(process.env[FAULT_ENV])
if (fault) await install(fault)

async function install(fault: FaultSpec): Promise<void> {
  const promises = fs.promises
  const paths = new WeakMap<FileHandle, string>()
  let matchedLines = 0
  let fileOps = 0
  let diskFull = false

  const kill = (): void => {
    process.kill(process.pid, 'SIGKILL')
  }

  const isMatch = (line: JournalLine, match: LineMatch): boolean => {
    if (match.seq !== undefined && line.seq !== match.seq) return false
    if (match.type !== undefined && line.type !== match.type) return false
    if (match.step !== undefined && line.data.step !== match.step) return false
    if (match.key !== undefined && !String(line.data.key ?? '').includes(match.key)) return false
    matchedLines += 1
    return matchedLines === (match.nth ?? 1)
  }

  const afterFileOp = (op: FileOp, path: string): void => {
    if (fault.kind !== 'kill-after-file-op') return
    if (fault.op !== undefined && fault.op !== op) return
    if (fault.path !== undefined && !new RegExp(fault.path).test(path)) return
    fileOps += 1
    if (fileOps === (fault.nth ?? 1)) kill()
  }

  const enospc = (path: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), {
      code: 'ENOSPC',
      errno: -28,
      syscall: 'write',
      path,
    })

  /** A journal line about to be written, or undefined for any other data. */
  const journalLine = (path: string, data: unknown): JournalLine | undefined => {
    if (!JOURNAL_FILE.test(path) || typeof data !== 'string' || !data.endsWith('\n')) return undefined
    try {
      const parsed = JSON.parse(data) as JournalLine & {hash?: unknown}
      return typeof parsed.seq === 'number' && typeof parsed.hash === 'string' ? parsed : undefined
    } catch {
      return undefined
    }
  }

  const originalOpen = promises.open
  promises.open = async (path, flags, mode) => {
    const handle = await originalOpen(path, flags, mode)
    paths.set(handle, String(path))
    const writing = typeof flags === 'string' ? /[wa+]/.test(flags) : typeof flags === 'number' && (flags & 3) !== 0
    if (writing) afterFileOp('open', String(path))
    return handle
  }

  const originalWriteFile = promises.writeFile as (...args: unknown[]) => Promise<void>
  promises.writeFile = (async (file: unknown, ...rest: unknown[]) => {
    const path = String(file)
    if (diskFull) throw enospc(path)
    await originalWriteFile(file, ...rest)
    afterFileOp('write', path)
  }) as typeof promises.writeFile

  const originalRename = promises.rename
  promises.rename = async (from, to) => {
    await originalRename(from, to)
    afterFileOp('rename', String(to))
  }
  // ESM named imports of node:fs/promises follow the CommonJS object only after this.
  syncBuiltinESMExports()

  // FileHandle is not exported: patch the prototype every handle shares.
  const sample = await originalOpen('/dev/null', 'r')
  const prototype = Object.getPrototypeOf(sample) as Record<'appendFile' | 'writeFile' | 'write', Write>
  await sample.close()
  for (const method of ['appendFile', 'writeFile', 'write'] as const) {
    const original = prototype[method]
    prototype[method] = async function (this: FileHandle, data: unknown, ...rest: unknown[]) {
      const path = paths.get(this) ?? '?'
      if (diskFull) throw enospc(path)
      const line = journalLine(path, data)
      if (line && fault.kind === 'enospc-at-line' && isMatch(line, fault.line)) {
        diskFull = true
        if (fault.partial) await original.call(this, (data as string).slice(0, Math.floor((data as string).length / 2)), ...rest)
        throw enospc(path)
      }
      const result = await original.call(this, data, ...rest)
      if (line && fault.kind === 'kill-after-line' && isMatch(line, fault.line)) kill()
      if (line && fault.kind === 'kill-after-delay' && isMatch(line, fault.line)) setTimeout(kill, fault.delayMs)
      afterFileOp('write', path)
      return result
    }
  }
}
