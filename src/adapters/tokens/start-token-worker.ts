// Starts token-scan workers from the compiled JavaScript, or — when jwkr runs from its TypeScript
// sources (bin/dev.js, the tests) — through tsx, which a worker does not inherit on Node 20. They are
// started before the key is known (a command starts them first thing, so they load while the key is
// read) and get their TokenWorkerData as their first message.
import {availableParallelism} from 'node:os'
import {createRequire} from 'node:module'
import {pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'

export interface TokenWorkers {
  readonly workers: readonly Worker[]
  /** Stops them all; safe to call more than once. */
  close(): Promise<void>
}

/** One per core, at most 8. */
export function defaultThreads(): number {
  return Math.min(8, availableParallelism())
}

/**
 * @example const workers = startTokenWorkers(2); try { … } finally { await workers.close() }
 */
export function startTokenWorkers(count: number = defaultThreads()): TokenWorkers {
  const workers = Array.from({length: count}, startTokenWorker)
  return {
    workers,
    close: async () => {
      for (const worker of workers) worker.removeAllListeners('exit')
      await Promise.all(workers.map((worker) => worker.terminate()))
    },
  }
}

function startTokenWorker(): Worker {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return new Worker(new URL('./token-worker.js', here))
  const tsx = pathToFileURL(createRequire(here).resolve('tsx/esm/api')).href
  const entry = new URL('./token-worker.ts', here).href
  const source = `import(${JSON.stringify(tsx)}).then(({register}) => { register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(source, {eval: true})
}
