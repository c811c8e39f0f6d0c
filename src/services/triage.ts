// `jwkr tokens scan` without the command, shared with the tokens.scan step: plans the tasks, runs
// them on worker threads (each with one reused key object and one fixed buffer, at most a few tasks
// queued each, so memory stays flat), and folds their reports into the summary on the main thread.
// Full tokens never leave the workers: reports carry the signature-less form only.
import type {KeyObject} from 'node:crypto'
import type {Readable} from 'node:stream'

import {JwkrError} from '../core/errors.js'
import type {LoadedKey} from '../core/key/types.js'
import type {SecretRegistry} from '../core/secrets.js'
import {keyIdentityOf} from '../core/tokens/key-reference.js'
import {subjectsCsv} from '../core/tokens/subjects-csv.js'
import {TokenSummaryBuilder, type TokenPosition, type TokenSummary} from '../core/tokens/token-summary.js'
import {linesAt} from '../adapters/tokens/lines-at.js'
import type {DescriptorInput} from '../adapters/tokens/byte-source.js'
import {
  assertLogPaths,
  knownInputBytes,
  planTokenTasks,
  type PlannedTask,
  type TokenSourceInfo,
} from '../adapters/tokens/plan-token-tasks.js'
import {readIssuedLog} from '../adapters/tokens/read-issued-log.js'
import type {TokenTask, TokenTaskReport, TokenWorkerData} from '../adapters/tokens/run-token-task.js'
import {defaultThreads, startTokenWorkers, type TokenWorkers} from '../adapters/tokens/start-token-worker.js'
import {writePrivateFile} from '../adapters/tokens/write-private-file.js'

export interface ScanTokensOptions {
  secrets: SecretRegistry
  /** Read for the path "-" (default: stdin's descriptor, read directly, see adapters/tokens/byte-source.ts). */
  stdin?: Readable | DescriptorInput
  /** The issuer's log of issued jtis: valid tokens missing from it are suspected forgeries. */
  issuedLog?: string
  /**
   * The kids the key is published under (at the issuers, in JWKS), besides its own: a header naming
   * one of them names the key, and a bad signature there is kid-match-bad-signature.
   */
  publishedKids?: readonly string[]
  /** The jtis of the canaries the incident sent (its journal): a labelled token not among them is no canary. */
  canaryJtis?: ReadonlySet<string> | null
  since?: Date | null
  until?: Date | null
  /** Redacted example tokens in the result (default 5). */
  maxExamples?: number
  /** Where to write the affected-subjects CSV (mode 0600). */
  subjectsOut?: string
  /** Worker threads; 0 scans on the calling thread. Default: triageThreadsFor(paths). */
  threads?: number
  /** Workers started earlier (startTokenWorkers), for this one scan, instead of `threads`; the caller closes them. */
  workers?: TokenWorkers
  now?: () => Date
  /** Called from the main thread as reports come in. */
  onProgress?: (progress: TokenScanProgress) => void
  /** Buffer and task sizes (tests make them small to cross every boundary). */
  sizes?: Partial<TokenScanSizes>
}

export interface TokenScanSizes {
  /** Bytes a worker reads per block: its buffer is blockBytes + maxTokenBytes, allocated once per task. */
  blockBytes: number
  /** A run of token characters longer than this is not kept in the buffer (see maxLongTokenBytes). */
  maxTokenBytes: number
  /**
   * A longer run that starts like a token (its header decodes to `{`) is set aside and read whole, up
   * to this many bytes: a token with a 5 MB payload is still found. Held only while such a run lasts.
   */
  maxLongTokenBytes: number
  /** Bytes of a plain file per task. */
  rangeBytes: number
  /** Bytes of stdin per task. */
  chunkBytes: number
}

export interface TokenScanProgress {
  bytesRead: number
  tokens: number
}

export interface TokenScanResult extends TokenSummary {
  /** The key, and every kid a header may name it by (its own first, then the published ones). */
  key: {thumbprint: string | null; kid: string | null; kids: string[]}
  /**
   * named: the key has kids, so a header naming one with a bad signature is kid-match-bad-signature;
   * all: it has none, so only signatures tell (a bad one is another key's token). Every header is
   * decoded either way.
   */
  mode: 'named' | 'all'
  /** Files (and stdin) read. */
  sources: number
  bytesRead: number
  /** Files that could not be read (a file is never skipped for looking binary: it is read as bytes). */
  skipped: {unreadable: number}
  /** Inputs that could be read only in part. */
  problems: string[]
  window: {since: string | null; until: string | null}
  issuedLog: {path: string; jtis: number} | null
  subjectsOut: string | null
  /** How the work was done: threads, and the most bytes a worker held (its buffer, and the longest token set aside). */
  io: {threads: number; bufferBytes: number}
}

export const DEFAULT_SIZES: TokenScanSizes = {
  blockBytes: 1024 * 1024,
  maxTokenBytes: 64 * 1024,
  maxLongTokenBytes: 16 * 1024 * 1024,
  rangeBytes: 8 * 1024 * 1024,
  chunkBytes: 4 * 1024 * 1024,
}
/** stdin arrays kept for reuse: as many as can be out at once (workers × (queued + running)), and one. */
const MAX_SPARE = 8
/** Tasks a worker may have queued: enough to never starve it, few enough to keep memory flat. */
const TASKS_AHEAD = 2

/**
 * Plain files that add up to less than this are scanned on the calling thread: starting two workers
 * costs about 70 ms and 0.1 s of CPU, more than they save on such a log. Measured with bench/tokens.mjs
 * logs on 2 cores (wall, medians of 5; main thread against 2 workers): 64 MiB 0.20 s against 0.27 s
 * sparse, 0.25 against 0.32 dense (half the lines carry a JWT); 128 MiB 0.22 against 0.29 sparse, 0.34
 * against 0.37 dense; 256 MiB dense 0.50 against 0.45, where the workers start to win.
 */
export const SMALL_INPUT_BYTES = 128 * 1024 * 1024

/**
 * How many worker threads a scan of `paths` should use when not told: none for plain files (and
 * folders of them) smaller than SMALL_INPUT_BYTES in all, else one per core (at most 8). stdin, a pipe
 * or a gzip file may hold any amount, so they get the workers.
 *
 * @example await triageThreadsFor(['small.log']) // 0
 */
export async function triageThreadsFor(paths: readonly string[]): Promise<number> {
  const bytes = await knownInputBytes(paths)
  return bytes !== null && bytes < SMALL_INPUT_BYTES ? 0 : defaultThreads()
}

/**
 * Starts the worker threads a scan will use (`threads`, or as many as triageThreadsFor(paths) says),
 * so that they load their modules while the caller reads the key (bench/tokens.mjs); pass them as
 * `workers` and close them after. None are started for 0 threads.
 */
export async function startTriageWorkers(
  threads: number | undefined,
  paths: readonly string[],
): Promise<TokenWorkers | undefined> {
  const count = threads ?? (await triageThreadsFor(paths))
  return count === 0 ? undefined : startTokenWorkers(count)
}

/**
 * Finds the tokens in the logs that point at the key, verifies them, and sums them up.
 *
 * @example const result = await scanTokens(key, ['/var/log/app'], {secrets, issuedLog: 'issued.jsonl'})
 */
export async function scanTokens(key: LoadedKey, paths: readonly string[], options: ScanTokensOptions): Promise<TokenScanResult> {
  // Not process.stdin itself: making it would set a pipe non-blocking, and its reads cost more than the scan.
  const stdin = options.stdin ?? {fd: 0, stream: () => process.stdin}
  assertLogPaths(paths, stdin)
  const verifyKey = verifyKeyOf(key)
  const now = options.now ?? (() => new Date())
  const sizes = {...DEFAULT_SIZES, ...options.sizes}
  const issued = options.issuedLog === undefined ? null : await readIssuedLog(options.issuedLog)
  const identity = keyIdentityOf(key.report, options.publishedKids)
  const data: TokenWorkerData = {
    identity,
    verifyKey,
    mode: identity.kids.length === 0 ? 'all' : 'named',
    blockBytes: sizes.blockBytes,
    maxTokenBytes: sizes.maxTokenBytes,
    maxLongTokenBytes: Math.max(sizes.maxTokenBytes, sizes.maxLongTokenBytes),
  }
  const builder = new TokenSummaryBuilder<Position>({
    issued: issued?.jtis ?? null,
    since: options.since ?? null,
    until: options.until ?? null,
    maxExamples: options.maxExamples ?? 5,
    canaryJtis: options.canaryJtis ?? null,
  })
  const sources: TokenSourceInfo[] = []
  const skipped = {unreadable: 0}
  const problems: string[] = []
  /** Newlines per task of each gzip or stdin source, to turn a task's line into the source's. */
  const newlines: number[][] = []
  const progress: TokenScanProgress = {bytesRead: 0, tokens: 0}
  let bufferBytes = 0
  const spare: Uint8Array[] = []

  const tasks = planTokenTasks(paths, {
    stdin,
    rangeBytes: sizes.rangeBytes,
    chunkBytes: sizes.chunkBytes,
    maxTokenBytes: data.maxLongTokenBytes,
    sources,
    skipped,
    problems,
    spare,
  })
  const onReport = (planned: PlannedTask, report: TokenTaskReport): void => {
    if (report.returned && spare.length < MAX_SPARE) spare.push(report.returned)
    builder.addUndecided(report.other)
    for (const {verdict, offset, line} of report.found) {
      builder.add(verdict, {source: planned.source, offset: planned.base + offset, ordinal: planned.ordinal, line})
    }
    progress.bytesRead += report.bytesRead
    progress.tokens += report.tokens
    bufferBytes = Math.max(bufferBytes, report.bufferBytes)
    if (report.done) {
      ;(newlines[planned.source] ??= [])[planned.ordinal] = report.newlines
      if (report.problem !== undefined) problems.push(report.problem)
    }
    options.onProgress?.({...progress})
  }
  const threads = options.workers?.size ?? options.threads ?? (await triageThreadsFor(paths))
  await runTasks(tasks, threads, options.workers, data, onReport)

  const summary = builder.result(now(), exampleLocator(builder.examplePositions(), sources, newlines))
  const subjectsOut = options.subjectsOut ?? null
  if (subjectsOut !== null) await writePrivateFile(subjectsOut, options.secrets.redact(subjectsCsv(builder.subjects())))
  return {
    key: {thumbprint: key.report.thumbprint, kid: key.report.kid, kids: identity.kids},
    mode: data.mode,
    sources: sources.length,
    bytesRead: progress.bytesRead,
    skipped,
    problems,
    ...summary,
    window: {since: options.since?.toISOString() ?? null, until: options.until?.toISOString() ?? null},
    issuedLog: issued === null ? null : {path: issued.path, jtis: issued.jtis.size},
    subjectsOut,
    io: {threads, bufferBytes},
  }
}

type Position = TokenPosition & {ordinal: number; line: number}

/**
 * "path:line" of each example: the lines of plain files are counted now, for these few offsets; those
 * of gzip files and stdin were counted while scanning (they cannot be read again).
 */
function exampleLocator(positions: Position[], sources: TokenSourceInfo[], newlines: number[][]): (position: Position) => string {
  const plainLines = new Map<number, Map<number, number>>()
  for (const source of new Set(positions.map((position) => position.source))) {
    const info = sources[source]
    if (info?.plain) {
      plainLines.set(
        source,
        linesAt(
          info.path,
          positions.filter((position) => position.source === source).map((position) => position.offset),
        ),
      )
    }
  }
  return ({source, offset, ordinal, line}) => {
    const path = sources[source]?.path ?? '?'
    if (sources[source]?.plain) {
      const found = plainLines.get(source)?.get(offset)
      return found === undefined ? `${path} (byte ${offset})` : `${path}:${found}`
    }
    const before = (newlines[source] ?? []).slice(0, ordinal).reduce((sum, count) => sum + count, 0)
    return `${path}:${1 + before + line}`
  }
}

/** What signatures are checked with: the public half, or the secret of an oct key. */
function verifyKeyOf(key: LoadedKey): KeyObject {
  const verifyKey = key.publicKey ?? (key.report.kty === 'oct' ? key.privateKey : null)
  if (verifyKey === null) {
    throw new JwkrError(
      'ERR_KEY_INVALID',
      `The key source only names a key${key.report.kid === null ? '' : ` (kid "${key.report.kid}")`}: checking a token's signature needs the key itself.`,
      {hint: 'Pass the leaked key (or its public half, or the JWKS that holds it with --kid).'},
    )
  }
  return verifyKey
}

type OnReport = (planned: PlannedTask, report: TokenTaskReport) => void

/** On the calling thread (threads 0), on the given workers, or on workers started (and stopped) here. */
async function runTasks(
  tasks: AsyncIterable<PlannedTask>,
  threads: number,
  given: TokenWorkers | undefined,
  data: TokenWorkerData,
  onReport: OnReport,
): Promise<void> {
  if (threads === 0) return runHere(tasks, data, onReport)
  const pool = given ?? startTokenWorkers(threads)
  try {
    await runInWorkers(tasks, pool, data, onReport)
  } finally {
    if (!given) await pool.close()
  }
}

async function runHere(tasks: AsyncIterable<PlannedTask>, data: TokenWorkerData, onReport: OnReport): Promise<void> {
  const {createTokenTaskRunner} = await import('../adapters/tokens/run-token-task.js')
  const runner = createTokenTaskRunner(data)
  let id = 0
  for await (const planned of tasks) {
    await runner.run({...planned.task, id: id++} as TokenTask, (report) => onReport(planned, report))
  }
}

async function runInWorkers(
  tasks: AsyncIterable<PlannedTask>,
  pool: TokenWorkers,
  data: TokenWorkerData,
  onReport: OnReport,
): Promise<void> {
  const inFlight = new Map<number, PlannedTask>()
  async function* numbered(): AsyncGenerator<TokenTask> {
    let id = 0
    for await (const planned of tasks) {
      const task = {...planned.task, id: id++} as TokenTask
      inFlight.set(task.id, planned)
      yield task
    }
  }
  pool.broadcast(data)
  await pool.run(numbered(), {
    ahead: TASKS_AHEAD,
    label: 'token scan',
    transfer: (task) => (task.kind === 'bytes' ? [task.data.buffer as ArrayBuffer] : []),
    onMessage: (message) => {
      const report = message as TokenTaskReport
      const planned = inFlight.get(report.id)
      if (planned) onReport(planned, report)
      if (report.done) inFlight.delete(report.id)
      return report.done
    },
  })
}
