// Starts a scan worker from the compiled JavaScript, or — when jwkr runs from its TypeScript sources
// (bin/dev.js, the tests) — through tsx, which a worker does not inherit from its parent on Node 20.
import {createRequire} from 'node:module'
import {pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'

import type {ScanWorkerData} from './scan-worker.js'

export function startScanWorker(data: ScanWorkerData): Worker {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return new Worker(new URL('./scan-worker.js', here), {workerData: data})
  const tsx = pathToFileURL(createRequire(here).resolve('tsx/esm/api')).href
  const entry = new URL('./scan-worker.ts', here).href
  const source = `import(${JSON.stringify(tsx)}).then(({register}) => { register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(source, {eval: true, workerData: data})
}
