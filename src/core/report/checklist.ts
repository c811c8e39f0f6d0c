// The checklist of a playbook's steps, as the GitHub tracking issue shows it and ticks it: one item
// a step, in playbook order, ticked once the step succeeded or was skipped.
import type {IncidentState} from '../journal/types.js'
import type {ChecklistItem} from './report-model.js'

const CONDITION_SKIP = /^its condition is false/

/** One item per step of the incident's playbook (and any step seen only in events). */
export function checklistOf(state: IncidentState): ChecklistItem[] {
  return state.stepOrder.flatMap((id) => {
    const step = state.steps[id]
    if (!step) return []
    const detail =
      step.status === 'failed'
        ? (step.error?.message ?? step.error?.code ?? null)
        : step.status === 'skipped'
          ? CONDITION_SKIP.test(step.reason ?? '')
            ? 'not needed: its condition was false'
            : (step.reason ?? null)
          : step.approvedBy && step.approvedBy !== '--yes'
            ? `approved by ${step.approvedBy}`
            : null
    return [
      {
        step: id,
        title: step.title ?? id,
        uses: step.uses ?? null,
        status: step.status,
        done: step.status === 'succeeded' || step.status === 'skipped',
        detail,
      },
    ]
  })
}
