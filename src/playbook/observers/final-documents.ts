// final-documents: the documents a run leaves in its artifacts agree with how it ended. The report
// steps draft them while the run is still going (rca, then the notifications, before the run's outcome
// exists), and a draft made then claims nothing: "in progress", containment not proven. When the run
// ends (run.finished, not a dry run), each succeeded report step's documents are drafted again from
// the whole journal, before the command prints where they are.
import type {JournalEvent} from '../../core/journal/types.js'
import type {EngineObserver} from '../engine.js'
import {NOTIFICATION_DOCUMENTS} from '../steps/report-notification.js'
import {RCA_DOCUMENTS, writeIncidentDocuments, type RunDocument} from '../steps/report-rca.js'
import type {StepContext} from '../types.js'

const DOCUMENTS: Record<string, readonly RunDocument[]> = {
  'report.rca': RCA_DOCUMENTS,
  'report.notification': NOTIFICATION_DOCUMENTS,
}

/** What the observer needs of the run: its journal, incident, inventory and clock. */
export interface FinalDocumentsRun {
  events: () => readonly JournalEvent[]
  incident: StepContext['incident']
  inventoryPath: string | null
  now: () => Date
}

export function finalDocumentsObserver(run: FinalDocumentsRun): EngineObserver {
  return {
    name: 'final-documents',
    // Awaited: the documents are final before the run returns and says where they are.
    inline: true,
    async onEvent(event, {state, secrets}) {
      if (event.type !== 'run.finished' || event.data.dryRun === true) return
      for (const id of state.stepOrder) {
        const step = state.steps[id]
        const documents = step?.status === 'succeeded' && step.uses ? DOCUMENTS[step.uses] : undefined
        if (documents === undefined) continue
        const templates = typeof step?.input?.templates === 'string' ? step.input.templates : undefined
        await writeIncidentDocuments({...run, secrets, progress: () => {}}, templates === undefined ? {} : {templates}, documents)
      }
    },
  }
}
