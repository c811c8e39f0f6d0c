// `jwkr incident close`: journals `incident.closed` under the incident's lock. The journal stays
// readable and verifiable; a closed incident is not resumed.
import {JwkrError} from '../core/errors.js'
import type {SecretRegistry} from '../core/secrets.js'
import {withIncidentJournal} from './incident-journal.js'
import {foldIncident, type IncidentState} from '../core/journal/state.js'

export interface CloseOptions {
  reason: string
  secrets: SecretRegistry
  now?: () => Date
}

/** Closes an incident and returns its final state. Refuses one that is already closed or in use. */
export async function closeIncident(home: string, id: string, options: CloseOptions): Promise<IncidentState> {
  return withIncidentJournal(home, id, options, async (journal, location) => {
    const before = foldIncident(journal.events())
    if (before.status === 'closed') {
      throw new JwkrError('ERR_INCIDENT_CLOSED', `Incident ${location.id} was already closed at ${before.closedAt}.`, {
        hint: `Read it with jwkr incident show ${location.id}.`,
      })
    }
    await journal.append('incident.closed', {reason: options.reason})
    return foldIncident(journal.events())
  })
}
