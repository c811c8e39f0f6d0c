// Entry point of a discovery worker thread (so, unlike other modules, it acts on load): reads the
// batches of candidate files it is sent and answers with the texts worth parsing.
import {parentPort, workerData} from 'node:worker_threads'

import {createCandidateReader, type CandidateBatch} from './read-candidates.js'

export interface DiscoverWorkerData {
  maxFileSize: number
}

const port = parentPort
if (port) {
  const reader = createCandidateReader((workerData as DiscoverWorkerData).maxFileSize)
  port.on('message', (batch: CandidateBatch) => port.postMessage(reader.read(batch)))
}
