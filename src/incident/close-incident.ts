// `jwkr incident close`: journals `incident.closed` under the incident's lock. The journal stays
// readable and verifiable; a closed incident is not resumed.
import {JwkrError} from '../core/errors.js'
import type {SecretRegistry} from '../core/secrets.js'
import {Journal} from './journal.js'
import {acquireLock} from './lock.js'
import {foldIncident, type IncidentState} from './state.js'
import {findIncident} from './workspace.js'

export interface CloseOptions {
  reason: string
  secrets: SecretRegistry
  now?: () => Date
}

/** Closes an incident and returns its final state. Refuses one that is already closed or in use. */
export async function closeIncident(home: string, id: string, options: CloseOptions): Promise<IncidentState> {
  const location = await findIncident(home, id)
  const lock = await acquireLock(location.dir)
  try {
    const journal = await Journal.open(location.journalPath, {secrets: options.secrets, now: options.now})
    try {
      const before = foldIncident(journal.events())
      if (before.status === 'closed') {
        throw new JwkrError('ERR_INCIDENT_CLOSED', `Incident ${location.id} was already closed at ${before.closedAt}.`, {
          hint: `Read it with jwkr incident show ${location.id}.`,
        })
      }
      await journal.append('incident.closed', {reason: options.reason})
      return foldIncident(journal.events())
    } finally {
      await journal.close()
    }
  } finally {
    await lock.release()
  }
}
