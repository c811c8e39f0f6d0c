// Starts the token-scan workers (token-worker.ts). They are started before the key is known (a
// command starts them first thing, so they load while the key is read) and get their
// TokenWorkerData as their first message (WorkerPool.broadcast).
import {defaultThreads, startWorkerPool, type WorkerPool} from '../workers/worker-pool.js'

export {defaultThreads}
export type TokenWorkers = WorkerPool

/**
 * @example const workers = startTokenWorkers(2); try { … } finally { await workers.close() }
 */
export function startTokenWorkers(count: number = defaultThreads()): TokenWorkers {
  return startWorkerPool(new URL('./token-worker.js', import.meta.url), count)
}
