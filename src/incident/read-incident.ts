// Reads an incident without touching it (no lock, no repair): for `jwkr incident show` and reports.
// An incomplete last line (a crash mid-write) is left for `resume` to repair; a broken chain is refused.
import {readFile} from 'node:fs/promises'

import {JwkrError} from '../core/errors.js'
import {readChainKey} from './chain-key.js'
import {foldIncident, type IncidentState} from '../core/journal/state.js'
import type {JournalEvent} from '../core/journal/types.js'
import {readJournal} from './verify-journal.js'
import {findIncident, type IncidentLocation} from './workspace.js'

/** The incident's state, folded from its journal's intact events. */
export async function readIncident(home: string, id: string): Promise<IncidentState> {
  const location = await findIncident(home, id)
  return foldIncident(await readIncidentEvents(location))
}

/** The events of an incident's journal, read-only. Throws ERR_JOURNAL_CORRUPT for a broken chain. */
export async function readIncidentEvents(
  location: Pick<IncidentLocation, 'id' | 'dir' | 'journalPath'>,
): Promise<JournalEvent[]> {
  let bytes: Buffer
  try {
    bytes = await readFile(location.journalPath)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    throw new JwkrError('ERR_INCIDENT_NOT_FOUND', `Incident ${location.id} has no journal (${location.journalPath}).`, {
      hint: 'It was interrupted while being opened, before anything happened: start a new one with jwkr respond.',
    })
  }
  const chainKey = await readChainKey(location.dir)
  const {events, broken} = readJournal(bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1).toString('utf8'), {chainKey})
  if (broken) throw corruptJournal(location, broken)
  return events
}

export function corruptJournal(
  location: Pick<IncidentLocation, 'id' | 'journalPath'>,
  broken: {seq: number | null; line: number; reason: string},
): JwkrError {
  return new JwkrError(
    'ERR_JOURNAL_CORRUPT',
    `The journal of incident ${location.id} is broken at line ${broken.line}: ${broken.reason}`,
    {
      hint: `Keep a copy of ${location.journalPath} as evidence: the events before line ${broken.line} are intact, anything from there on cannot be trusted.`,
      details: {incident: location.id, journal: location.journalPath, ...broken},
    },
  )
}
