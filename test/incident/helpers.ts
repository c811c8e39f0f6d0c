// Shared by the incident tests: a fresh temporary folder per test, a journal with a few real events,
// and a clock that moves one second per event so timestamps are predictable.
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {SecretRegistry} from '../../src/core/secrets.js'
import {Journal} from '../../src/incident/journal.js'

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'jwkr-incident-'))
}

/** A clock starting at `start` that advances one second each time it is read. */
export function tickingClock(start = '2026-11-29T03:00:00.000Z'): () => Date {
  let next = Date.parse(start)
  return () => {
    const now = new Date(next)
    next += 1000
    return now
  }
}

/** A closed journal file holding `count` events of type `test.event` with data {n, note}. */
export async function writeJournal(
  count: number,
  dataOf: (n: number) => Record<string, unknown> = (n) => ({n, note: `event ${n}`}),
) {
  const dir = await tempDir()
  const file = join(dir, 'journal.jsonl')
  const journal = await Journal.create(file, {secrets: new SecretRegistry(), now: tickingClock()})
  for (let n = 1; n <= count; n++) await journal.append('test.event', dataOf(n))
  await journal.close()
  return {dir, file}
}
