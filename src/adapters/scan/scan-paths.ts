// `jwkr code scan` without the command: walks the paths on the main thread and hands batches of
// files to worker threads, at most a few batches ahead of them, so memory stays flat however large
// the tree. Opening and reading each file costs more than searching it, hence the threads.
import {availableParallelism} from 'node:os'
import type {Worker} from 'node:worker_threads'

import type {Needle} from '../../core/key/needles.js'
import {createFileScanner, type ScanHit, type ScanNeedle} from './file-scanner.js'
import {countFile, emptyTally, mergeTallies, type ScanTally} from './scan-tally.js'
import {startScanWorker} from './start-scan-worker.js'
import {assertPathsExist, walkFiles, type WalkCounts} from './walk-files.js'

export interface ScanPathsOptions {
  /** Search hidden files and directories. */
  hidden: boolean
  /** Honour .gitignore files. */
  gitignore: boolean
  /** Files larger than this many bytes are skipped. */
  maxFileSize: number
  /** Worker threads; 0 scans on the calling thread. Default: one per core, at most 8. */
  threads?: number
  /** Called after every batch of files, from the main thread. */
  onProgress?: (progress: ScanProgress) => void
}

export interface ScanProgress {
  filesScanned: number
  bytesScanned: number
  hits: number
}

export interface ScanSummary {
  /** Ordered by path, line and column. */
  hits: ScanHit[]
  filesScanned: number
  bytesScanned: number
  skipped: {
    binary: number
    tooLarge: number
    ignored: number
    hidden: number
    symlinks: number
    unreadable: number
  }
}

/** Files per message to a worker: large enough that messaging is noise, small enough to balance. */
const BATCH_SIZE = 32
/** Batches a worker may have queued: enough to never starve it while the walk catches up. */
const BATCHES_AHEAD = 3

/**
 * Searches every file under the paths for the needles.
 *
 * @example const summary = await scanPaths(['.'], keyNeedles(key), {hidden: false, gitignore: true, maxFileSize: 10 << 20})
 */
export async function scanPaths(
  paths: readonly string[],
  needles: readonly Needle[],
  options: ScanPathsOptions,
): Promise<ScanSummary> {
  assertPathsExist(paths)
  const scanNeedles: ScanNeedle[] = needles.map(({kind, value, public: isPublic}) => ({kind, value, public: isPublic}))
  const counts: WalkCounts = {ignored: 0, hidden: 0, symlinks: 0, unreadable: 0}
  const files = walkFiles(paths, {hidden: options.hidden, gitignore: options.gitignore}, counts)
  const threads = options.threads ?? Math.min(8, availableParallelism())
  const tally = threads === 0 ? scanHere(files, scanNeedles, options) : await scanInWorkers(files, threads, scanNeedles, options)
  return {
    hits: [...tally.hits].sort(byPosition),
    filesScanned: tally.filesScanned,
    bytesScanned: tally.bytesScanned,
    skipped: {
      binary: tally.binary,
      tooLarge: tally.tooLarge,
      ignored: counts.ignored,
      hidden: counts.hidden,
      symlinks: counts.symlinks,
      unreadable: tally.unreadable + counts.unreadable,
    },
  }
}

function scanHere(files: Iterable<string>, needles: ScanNeedle[], options: ScanPathsOptions): ScanTally {
  const scanner = createFileScanner(needles, {maxFileSize: options.maxFileSize})
  let tally = emptyTally()
  let sinceReport = 0
  for (const path of files) {
    tally = countFile(tally, scanner.scanFile(path))
    if (++sinceReport === BATCH_SIZE) {
      sinceReport = 0
      report(tally, options)
    }
  }
  return tally
}

async function scanInWorkers(
  files: Iterable<string>,
  threads: number,
  needles: ScanNeedle[],
  options: ScanPathsOptions,
): Promise<ScanTally> {
  const workers = Array.from({length: threads}, () => startScanWorker({needles, options: {maxFileSize: options.maxFileSize}}))
  const queued = new Map<Worker, number>(workers.map((worker) => [worker, 0]))
  let tally = emptyTally()
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const settle = (): void => {
    const resume = wake
    wake = undefined
    resume?.()
  }
  for (const worker of workers) {
    worker.on('message', (batch: ScanTally) => {
      tally = mergeTallies(tally, batch)
      queued.set(worker, (queued.get(worker) ?? 1) - 1)
      report(tally, options)
      settle()
    })
    worker.on('error', (error) => {
      failure ??= error
      settle()
    })
    worker.on('exit', (code) => {
      failure ??= new Error(`A scan worker stopped with exit code ${code}.`)
      settle()
    })
  }
  const waitForWorkers = (): Promise<void> => new Promise((resolve) => (wake = resolve))

  try {
    const send = async (batch: string[]): Promise<void> => {
      for (;;) {
        if (failure) throw failure
        const [worker, load] = [...queued].reduce((best, candidate) => (candidate[1] < best[1] ? candidate : best))
        if (load < BATCHES_AHEAD) {
          worker.postMessage(batch)
          queued.set(worker, load + 1)
          return
        }
        await waitForWorkers()
      }
    }
    let batch: string[] = []
    for (const path of files) {
      batch.push(path)
      if (batch.length === BATCH_SIZE) {
        await send(batch)
        batch = []
      }
    }
    if (batch.length > 0) await send(batch)
    while ([...queued.values()].some((load) => load > 0)) {
      if (failure) throw failure
      await waitForWorkers()
    }
    return tally
  } finally {
    for (const worker of workers) worker.removeAllListeners('exit')
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}

function report(tally: ScanTally, options: ScanPathsOptions): void {
  options.onProgress?.({filesScanned: tally.filesScanned, bytesScanned: tally.bytesScanned, hits: tally.hits.length})
}

function byPosition(a: ScanHit, b: ScanHit): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || a.column - b.column
}
