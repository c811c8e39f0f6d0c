// Entry point of a scan worker thread (so, unlike other modules, it acts on load): receives batches
// of file paths, scans each with its own reused buffer, and answers with the tally of the batch.
import {parentPort, workerData} from 'node:worker_threads'

import {createFileScanner, type FileScannerOptions, type ScanNeedle} from './file-scanner.js'
import {countFile, emptyTally} from './scan-tally.js'

export interface ScanWorkerData {
  needles: ScanNeedle[]
  options: FileScannerOptions
}

const port = parentPort
if (port) {
  const {needles, options} = workerData as ScanWorkerData
  const scanner = createFileScanner(needles, options)
  port.on('message', (paths: string[]) => {
    let tally = emptyTally()
    for (const path of paths) tally = countFile(tally, scanner.scanFile(path))
    port.postMessage(tally)
  })
}
