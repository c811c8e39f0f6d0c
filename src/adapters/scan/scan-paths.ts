// `jwkr code scan` without the command: walks the paths on the main thread and hands batches of
// files to worker threads, at most a few batches ahead of them, so memory stays flat however large
// the tree. Opening and reading each file costs more than searching it, hence the threads.
import {batchesOf, defaultThreads} from '../workers/worker-pool.js'

import type {Needle} from '../../core/key/needles.js'
import {createFileScanner, type ScanHit, type ScanNeedle} from './file-scanner.js'
import {countFile, emptyTally, mergeTallies, type ScanTally} from './scan-tally.js'
import {startScanWorkers} from './start-scan-worker.js'
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
    /** Named pipes, sockets and devices found in the folders. */
    special: number
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
  const counts: WalkCounts = {ignored: 0, hidden: 0, symlinks: 0, special: 0, unreadable: 0}
  const files = walkFiles(paths, {hidden: options.hidden, gitignore: options.gitignore}, counts)
  const threads = options.threads ?? defaultThreads()
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
      special: counts.special,
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
  const pool = startScanWorkers(threads, {needles, options: {maxFileSize: options.maxFileSize}})
  let tally = emptyTally()
  try {
    await pool.run(batchesOf(files, BATCH_SIZE), {
      ahead: BATCHES_AHEAD,
      label: 'scan',
      onMessage: (batch) => {
        tally = mergeTallies(tally, batch as ScanTally)
        report(tally, options)
        return true
      },
    })
    return tally
  } finally {
    await pool.close()
  }
}

function report(tally: ScanTally, options: ScanPathsOptions): void {
  options.onProgress?.({filesScanned: tally.filesScanned, bytesScanned: tally.bytesScanned, hits: tally.hits.length})
}

function byPosition(a: ScanHit, b: ScanHit): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || a.column - b.column
}
