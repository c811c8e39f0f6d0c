// Starts the scan workers (scan-worker.ts), each given the needles and scanner options once.
import {startWorkerPool, type WorkerPool} from '../workers/worker-pool.js'
import type {ScanWorkerData} from './scan-worker.js'

export function startScanWorkers(count: number, data: ScanWorkerData): WorkerPool {
  return startWorkerPool(new URL('./scan-worker.js', import.meta.url), count, data)
}
