// `jwkr incident verify`: recomputes an incident journal's hash chain and names the first broken event.
import {readFile} from 'node:fs/promises'

import {corruptJournal} from './read-incident.js'
import {readJournal} from './verify-journal.js'
import {findIncident} from './workspace.js'

export interface IncidentVerification {
  id: string
  journal: string
  ok: true
  events: number
  /** The last event's hash: record it elsewhere to detect later truncation, which the chain alone cannot. */
  head: string | null
  firstEventAt: string | null
  lastEventAt: string | null
}

/** Checks an incident's whole journal; throws ERR_JOURNAL_CORRUPT (with seq, line and reason) if it is broken. */
export async function verifyIncident(home: string, id: string): Promise<IncidentVerification> {
  const location = await findIncident(home, id)
  const text = await readFile(location.journalPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return ''
    throw error
  })
  const {events, broken} = readJournal(text)
  if (broken) throw corruptJournal(location, broken)
  return {
    id: location.id,
    journal: location.journalPath,
    ok: true,
    events: events.length,
    head: events.at(-1)?.hash ?? null,
    firstEventAt: events[0]?.ts ?? null,
    lastEventAt: events.at(-1)?.ts ?? null,
  }
}
