// What the fake Slack and GitHub servers were asked, kept twice: in memory for the scorecard and
// tests, and as JSON lines in the world folder (mode 0600) for whoever explores a kept world. Writes
// are chained, so lines keep the order of the requests and flush() waits for the last one.
import {appendFile} from 'node:fs/promises'

export interface RecordLog<T> {
  readonly records: readonly T[]
  append(record: T): void
  /** Resolves when every appended record is on disk. */
  flush(): Promise<void>
}

/** `path` null keeps the records in memory only. */
export function createRecordLog<T>(path: string | null): RecordLog<T> {
  const records: T[] = []
  let written: Promise<void> = Promise.resolve()
  return {
    records,
    append(record) {
      records.push(record)
      if (path === null) return
      const line = `${JSON.stringify(record)}\n`
      // A failed write must not break the server that answers the request; the record stays in memory.
      written = written.then(() => appendFile(path, line, {mode: 0o600})).catch(() => undefined)
    },
    flush: () => written,
  }
}
