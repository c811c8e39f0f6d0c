// The worker pool under code scan and tokens scan, with real threads: every task answered once, never
// more than `ahead` queued on a worker, the data given at start reaching every worker, and a worker
// that dies failing the run instead of hanging it.
import {afterEach, describe, expect, it} from 'vitest'

import {startWorkerPool, type WorkerPool} from '../../../src/adapters/workers/worker-pool.js'

const entry = new URL('./pool-test-worker.js', import.meta.url)
let pool: WorkerPool | undefined

afterEach(async () => {
  await pool?.close()
  pool = undefined
})

interface Answer {
  n: number
  held: number
  tag: string | null
}

async function* numbers(count: number, extra: object = {}): AsyncGenerator<object> {
  for (let n = 0; n < count; n++) yield {n, ...extra}
}

describe('startWorkerPool', () => {
  it('answers every task once, with at most `ahead` tasks queued on a worker', async () => {
    // Given two workers started with a tag
    pool = startWorkerPool(entry, 2, {tag: 'given-at-start'})
    const answers: Answer[] = []
    // When 40 tasks are run, two ahead per worker
    await pool.run(numbers(40), {
      ahead: 2,
      label: 'test',
      onMessage: (message) => answers.push(message as Answer) > 0,
    })
    // Then each task was answered once, by a worker that had its data, never holding more than two
    expect(answers.map((answer) => answer.n).sort((a, b) => a - b)).toEqual([...Array(40).keys()])
    expect(new Set(answers.map((answer) => answer.tag))).toEqual(new Set(['given-at-start']))
    expect(Math.max(...answers.map((answer) => answer.held))).toBeLessThanOrEqual(2)
    expect(Math.max(...answers.map((answer) => answer.held))).toBe(2)
  })

  it('can run again on the same workers', async () => {
    pool = startWorkerPool(entry, 2)
    let count = 0
    const handling = {ahead: 1, label: 'test', onMessage: () => ++count > 0}
    await pool.run(numbers(5), handling)
    await pool.run(numbers(5), handling)
    expect(count).toBe(10)
  })

  it('fails the run, naming the workers, when one stops', async () => {
    // Given a pool of one worker
    pool = startWorkerPool(entry, 1)
    // When a task makes it exit
    const run = pool.run(numbers(3, {exit: 7}), {ahead: 1, label: 'test', onMessage: () => true})
    // Then the run rejects instead of waiting for an answer that never comes
    await expect(run).rejects.toThrow('A test worker stopped with exit code 7.')
  })
})
