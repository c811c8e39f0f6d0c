// `jwkr incident close`: journals `incident.closed` under the incident's lock. The journal stays
// readable and verifiable; a closed incident is not resumed. Closing one whose containment was never
// proven is the responder's explicit choice (--yes, or a Yes on a terminal), and the close says so.
import {JwkrError} from '../core/errors.js'
import type {SecretRegistry} from '../core/secrets.js'
import {runOutcome, type RunOutcome} from '../core/report/run-outcome.js'
import {withIncidentJournal} from './incident-journal.js'
import {foldIncident, type IncidentState} from '../core/journal/state.js'

export interface CloseOptions {
  reason: string
  secrets: SecretRegistry
  now?: () => Date
  /** Close even though containment was not proven (--yes): the close records it as unproven. */
  acceptUnproven?: boolean
  /** Asked when containment was not proven and acceptUnproven is not set (a terminal); absent: refused. */
  confirmUnproven?: (outcome: RunOutcome, id: string) => Promise<boolean>
}

/**
 * Closes an incident and returns its final state. Refuses one that is already closed or in use, and
 * one whose containment was not proven (not proven, or not attempted) unless the responder accepts it.
 */
export async function closeIncident(home: string, id: string, options: CloseOptions): Promise<IncidentState> {
  return withIncidentJournal(home, id, options, async (journal, location) => {
    const before = foldIncident(journal.events())
    if (before.status === 'closed') {
      throw new JwkrError('ERR_INCIDENT_CLOSED', `Incident ${location.id} was already closed at ${before.closedAt}.`, {
        hint: `Read it with jwkr incident show ${location.id}.`,
      })
    }
    const outcome = runOutcome(journal.events())
    const unproven = outcome.status === 'not-proven' || outcome.status === 'not-attempted'
    if (unproven && options.acceptUnproven !== true) {
      if (!options.confirmUnproven) throw unprovenRefusal(location.id, outcome)
      if (!(await options.confirmUnproven(outcome, location.id))) {
        throw new JwkrError('ERR_ABORTED', `Incident ${location.id} was not closed: its containment is not proven.`, {
          hint: `Go on with jwkr incident resume ${location.id}, or close it later with --yes --reason "why".`,
        })
      }
    }
    await journal.append('incident.closed', {
      reason: options.reason,
      ...(unproven ? {unproven: {outcome: outcome.status, missing: outcome.missing}} : {}),
    })
    return foldIncident(journal.events())
  })
}

/** The refusal without a terminal or --yes: what is unproven, and the flag that closes it anyway. */
function unprovenRefusal(id: string, outcome: RunOutcome): JwkrError {
  return new JwkrError(
    'ERR_APPROVAL_REQUIRED',
    `Incident ${id} was not closed: ${outcome.summary}. Closing it unproven needs --yes.`,
    {
      // Only the incident's own run records a proof in it: a separate `jwkr verify` is not journaled here.
      hint: `To prove it, resume its run (jwkr incident resume ${id}) if it did not finish; a jwkr verify run on its own is not recorded in the incident. To close it unproven: jwkr incident close ${id} --yes --reason "why"`,
      details: {incident: id, outcome: outcome.status, missing: outcome.missing},
    },
  )
}
