// A journal that keeps its events in memory — what the engine needs of one, without a disk — and
// counts how often an event is read from it (to prove a run reads its journal a bounded number of times).
import type {Journal} from '../../src/incident/journal.js'
import type {JournalEvent} from '../../src/core/journal/types.js'

export type MemoryJournal = Journal & {reads(): number}

export function memoryJournal(): MemoryJournal {
  const events: JournalEvent[] = []
  let reads = 0
  const view = new Proxy(events, {
    get(target, property, receiver) {
      if (typeof property === 'string' && /^\d+$/.test(property)) reads++
      return Reflect.get(target, property, receiver) as unknown
    },
  })
  const journal = {
    events: () => view,
    last: () => events.at(-1),
    reads: () => reads,
    append: async (type: string, data: Record<string, unknown>) => {
      const event = Object.freeze({seq: events.length + 1, ts: new Date().toISOString(), type, data, prev: '', hash: ''})
      events.push(event as JournalEvent)
      return event as JournalEvent
    },
    close: async () => undefined,
  }
  return journal as unknown as MemoryJournal
}
