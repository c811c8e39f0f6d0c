// The one worker-thread pool of jwkr (`code scan`, `tokens scan` and local discovery): feeds a stream of tasks to the
// least-loaded worker, at most a few queued per worker so memory stays flat however long the
// stream, and fails as soon as a worker does. Not piscina or tinypool: their tasks answer once, and a
// token task streams a report per part (progress, and tokens folded as they are found); their
// workers also get their data when the pool starts, and the token workers start loading before the
// key they need is known.
import {availableParallelism} from 'node:os'
import {createRequire} from 'node:module'
import {pathToFileURL} from 'node:url'
import {Worker, type TransferListItem} from 'node:worker_threads'

export interface WorkerPool {
  readonly size: number
  /** Posts the same message to every worker (data they need before any task: the key, sent once). */
  broadcast(message: unknown): void
  /**
   * Sends every task, each to the worker with the fewest queued, waiting while all have `ahead`
   * queued; resolves when every task is done.
   */
  run<Task>(tasks: Iterable<Task> | AsyncIterable<Task>, handling: TaskHandling<Task>): Promise<void>
  /** Stops every worker; safe to call more than once. */
  close(): Promise<void>
}

export interface TaskHandling<Task> {
  ahead: number
  /** What to move rather than copy (an ArrayBuffer of bytes read on the main thread). */
  transfer?: (task: Task) => readonly TransferListItem[]
  /** Handles every message a worker posts (on the main thread) and says whether it ends one of its tasks. */
  onMessage: (message: unknown) => boolean
  /** Names the workers in the error when one stops ("A scan worker stopped …"). */
  label: string
}

/** One per core, at most 8. */
export function defaultThreads(): number {
  return Math.min(8, availableParallelism())
}

/** Groups a stream of items into arrays of `size` (the last one shorter), lazily. */
export function* batchesOf<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let batch: T[] = []
  for (const item of items) {
    batch.push(item)
    if (batch.length === size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

/**
 * Starts `count` workers running `entry` (the compiled `.js` beside the caller; when jwkr runs from
 * its TypeScript sources — bin/dev.js, the tests — the `.ts` through tsx, which a worker does not
 * inherit from its parent on Node 20).
 *
 * @example const pool = startWorkerPool(new URL('./scan-worker.js', import.meta.url), 4, {needles})
 */
export function startWorkerPool(entry: URL, count: number, workerData?: unknown): WorkerPool {
  const workers = Array.from({length: count}, () => startWorker(entry, workerData))
  return {
    size: workers.length,
    broadcast: (message) => {
      for (const worker of workers) worker.postMessage(message)
    },
    run: (tasks, handling) => runTasks(workers, tasks, handling),
    close: async () => {
      for (const worker of workers) worker.removeAllListeners('exit')
      await Promise.all(workers.map((worker) => worker.terminate()))
    },
  }
}

function startWorker(entry: URL, workerData: unknown): Worker {
  const options = workerData === undefined ? {} : {workerData}
  if (!import.meta.url.endsWith('.ts')) return new Worker(entry, options)
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href
  const source = entry.href.replace(/\.js$/, '.ts')
  const boot = `import(${JSON.stringify(tsx)}).then(({register}) => { register(); return import(${JSON.stringify(source)}) })`
  return new Worker(boot, {...options, eval: true})
}

async function runTasks<Task>(
  workers: readonly Worker[],
  tasks: Iterable<Task> | AsyncIterable<Task>,
  handling: TaskHandling<Task>,
): Promise<void> {
  const queued = new Map<Worker, number>(workers.map((worker) => [worker, 0]))
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const settle = (): void => {
    const resume = wake
    wake = undefined
    resume?.()
  }
  const listeners = workers.map((worker) => {
    const onMessage = (message: unknown): void => {
      if (!handling.onMessage(message)) return
      queued.set(worker, (queued.get(worker) ?? 1) - 1)
      settle()
    }
    const onError = (error: Error): void => {
      failure ??= error
      settle()
    }
    const onExit = (code: number): void => {
      failure ??= new Error(`A ${handling.label} worker stopped with exit code ${code}.`)
      settle()
    }
    worker.on('message', onMessage).on('error', onError).on('exit', onExit)
    return () => worker.off('message', onMessage).off('error', onError).off('exit', onExit)
  })
  const waitForWorkers = (): Promise<void> => new Promise((resolve) => (wake = resolve))
  try {
    for await (const task of tasks) {
      for (;;) {
        if (failure) throw failure
        const [worker, load] = [...queued].reduce((best, candidate) => (candidate[1] < best[1] ? candidate : best))
        if (load < handling.ahead) {
          worker.postMessage(task, handling.transfer?.(task))
          queued.set(worker, load + 1)
          break
        }
        await waitForWorkers()
      }
    }
    while ([...queued.values()].some((load) => load > 0)) {
      if (failure) throw failure
      await waitForWorkers()
    }
  } finally {
    for (const remove of listeners) remove()
  }
}
