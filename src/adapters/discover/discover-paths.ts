// Discovery over local trees: the same walk as `jwkr code scan` (its ignore rules, no symbolic links,
// .git skipped), but it opens only the files whose names a discovery parser reads, plus .env files
// (hidden, yet where services keep their settings), and never enters node_modules or build output.
// The walk runs here; the files are read (the first batches here, the rest by worker threads) into
// reused buffers, and only those whose bytes hold one of their kind's hint words are decoded and
// parsed (few are), in walk order. The project a file belongs to names its service.
import {readdirSync} from 'node:fs'
import {basename, dirname, relative, resolve, sep} from 'node:path'

import {displayPath} from '../../core/display-path.js'
import {discoverFile, fileKind, SKIPPED_DIRECTORIES, type FileKind} from '../../core/discover/discover-file.js'
import {isProjectListing, projectName} from '../../core/discover/project-name.js'
import type {Finding} from '../../core/discover/types.js'
import {assertPathsExist, walkFiles, type WalkCounts} from '../scan/walk-files.js'
import {batchesOf, defaultThreads, startWorkerPool} from '../workers/worker-pool.js'
import type {DiscoverWorkerData} from './discover-worker.js'
import {createCandidateReader, type CandidateBatch, type CandidateResult} from './read-candidates.js'

export interface DiscoverPathsOptions {
  hidden?: boolean
  gitignore?: boolean
  /** Files larger than this are skipped (default 1 MiB: configuration is small). */
  maxFileSize?: number
  /** How paths are written in provenance (default: relative to the current directory). */
  cwd?: string
  /** Reading threads once the walk outgrows the calling thread (default: one per core, at most 8; 0: none). */
  threads?: number
  onProgress?: (progress: {filesSeen: number; filesRead: number; findings: number}) => void
}

export interface DiscoverPathsResult {
  findings: Finding[]
  filesSeen: number
  filesRead: number
  skipped: WalkCounts & {tooLarge: number}
}

/** Candidate files per batch. */
const BATCH_SIZE = 64
/** Batches read on the calling thread before workers are started: a small tree is done by then. */
const BATCHES_HERE = 16
/** Batches a worker may have queued. */
const BATCHES_AHEAD = 3

/**
 * @example const {findings} = await discoverPaths(['~/src/acme'])
 */
export async function discoverPaths(paths: readonly string[], options: DiscoverPathsOptions = {}): Promise<DiscoverPathsResult> {
  assertPathsExist(paths)
  const maxFileSize = options.maxFileSize ?? 1 << 20
  const counts: WalkCounts = {ignored: 0, hidden: 0, symlinks: 0, special: 0, unreadable: 0}
  const walked = {seen: 0}
  const files = walkFiles(
    paths,
    {
      hidden: options.hidden ?? false,
      gitignore: options.gitignore ?? true,
      keepHidden: (name) => fileKind(name) === 'dotenv',
      skipDirectory: (name) => SKIPPED_DIRECTORIES.has(name),
    },
    counts,
  )
  const batches = numbered(batchesOf(candidatesOf(files, walked), BATCH_SIZE))
  const results: CandidateResult[] = []
  let progress = {read: 0, found: 0}
  const take = (result: CandidateResult): void => {
    results.push(result)
    progress = {read: progress.read + result.read, found: progress.found + result.texts.length}
    options.onProgress?.({filesSeen: walked.seen, filesRead: progress.read, findings: progress.found})
  }
  const here = createCandidateReader(maxFileSize)
  let next = batches.next()
  for (let count = 0; !next.done && count < BATCHES_HERE; count++, next = batches.next()) take(here.read(next.value))
  if (!next.done) {
    const rest = prepend(next.value, batches)
    const threads = options.threads ?? defaultThreads()
    if (threads === 0) for (const batch of rest) take(here.read(batch))
    else await readInWorkers(rest, threads, maxFileSize, take)
  }
  const skipped = {...counts, tooLarge: 0}
  for (const result of results) {
    skipped.tooLarge += result.tooLarge
    skipped.unreadable += result.unreadable
  }
  const findings = parseTexts(results, paths, options.cwd ?? process.cwd())
  return {findings, filesSeen: walked.seen, filesRead: progress.read, skipped}
}

/** The files discovery reads (by name), with their kind; counts every file the walk yields. */
function* candidatesOf(files: Iterable<string>, walked: {seen: number}): Generator<[string, FileKind]> {
  for (const path of files) {
    walked.seen++
    const kind = fileKind(basename(path))
    if (kind !== null) yield [path, kind]
  }
}

function* numbered(batches: Iterable<Array<[string, FileKind]>>): Generator<CandidateBatch> {
  let id = 0
  for (const batch of batches) {
    yield {id: id++, paths: batch.map(([path]) => path), kinds: batch.map(([, kind]) => kind)}
  }
}

function* prepend<T>(first: T, rest: Iterator<T>): Generator<T> {
  yield first
  for (let next = rest.next(); !next.done; next = rest.next()) yield next.value
}

async function readInWorkers(
  batches: Iterable<CandidateBatch>,
  threads: number,
  maxFileSize: number,
  take: (result: CandidateResult) => void,
): Promise<void> {
  const data: DiscoverWorkerData = {maxFileSize}
  const pool = startWorkerPool(new URL('./discover-worker.js', import.meta.url), threads, data)
  try {
    await pool.run(batches, {
      ahead: BATCHES_AHEAD,
      label: 'discovery',
      onMessage: (result) => {
        take(result as CandidateResult)
        return true
      },
    })
  } finally {
    await pool.close()
  }
}

/** The findings of the texts worth parsing, in walk order whichever thread read them first. */
function parseTexts(results: CandidateResult[], paths: readonly string[], cwd: string): Finding[] {
  const projects = new Map<string, boolean>()
  const roots = paths.map((path) => resolve(path))
  const findings: Finding[] = []
  for (const {texts} of [...results].sort((a, b) => a.id - b.id)) {
    for (const {path, kind, text} of texts) {
      const absolute = resolve(path)
      findings.push(
        ...discoverFile(kind, text, {file: displayPath(absolute, cwd), service: projectOf(absolute, roots, projects)}),
      )
    }
  }
  return findings
}

/** The project of a file (core/discover/project-name.ts), looking at the folders between it and the path given. */
function projectOf(file: string, roots: string[], cache: Map<string, boolean>): string {
  const root =
    roots.filter((candidate) => file.startsWith(candidate + sep)).sort((a, b) => b.length - a.length)[0] ?? dirname(file)
  const folders = relative(root, dirname(file))
    .split(sep)
    .filter((part) => part !== '')
  return projectName(folders, basename(root), (depth) => {
    const directory = [root, ...folders.slice(0, depth)].join(sep)
    let known = cache.get(directory)
    if (known === undefined) {
      known = isProject(directory)
      cache.set(directory, known)
    }
    return known
  })
}

function isProject(directory: string): boolean {
  try {
    return isProjectListing(readdirSync(directory))
  } catch {
    return false
  }
}
