// A worker for the pool's tests (so, unlike other modules, it acts on load): answers each task after
// a few milliseconds with how many tasks it held at once; a task {exit: code} stops the thread.
import {parentPort, workerData} from 'node:worker_threads'

const port = parentPort
if (port) {
  let held = 0
  port.on('message', (task: {n: number; exit?: number}) => {
    if (task.exit !== undefined) process.exit(task.exit)
    held++
    const heldNow = held
    setTimeout(() => {
      held--
      port.postMessage({n: task.n, held: heldNow, tag: (workerData as {tag?: string} | undefined)?.tag ?? null})
    }, 5)
  })
}
