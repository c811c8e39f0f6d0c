// Entry point of a token-scan worker thread (so, unlike other modules, it acts on load): its first
// message is the TokenWorkerData (the key, sent once), from which it builds one task runner (one
// reused key object, one pre-filter); every later message is a task, run one at a time, with a
// report posted after each part.
import {parentPort} from 'node:worker_threads'

import {createTokenTaskRunner, type TokenTask, type TokenWorkerData} from './run-token-task.js'

const port = parentPort
if (port) {
  port.once('message', (data: TokenWorkerData) => {
    const runner = createTokenTaskRunner(data)
    let queue = Promise.resolve()
    port.on('message', (task: TokenTask) => {
      queue = queue.then(() =>
        runner.run(task, (report) => port.postMessage(report, report.returned ? [report.returned.buffer as ArrayBuffer] : [])),
      )
    })
  })
}
