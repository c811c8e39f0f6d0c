// `jwkr incident show`: where an incident stands (its steps) and how it got there (its timeline).
import Table from 'cli-table3'

import type {IncidentState} from '../core/journal/state.js'
import type {Style} from './style.js'

export function renderTimeline(state: IncidentState, style: Style): string {
  const header = [
    `${style.bold(`Incident ${state.id}`)}${state.drill ? style.yellow(' [DRILL]') : ''} — ${state.status}`,
    `  key        ${state.kty ?? '?'} ${state.thumbprint ?? '(no thumbprint)'}${state.kid ? ` (kid ${state.kid})` : ''}`,
    `  playbook   ${state.playbookLoaded?.name ?? state.playbook ?? '?'}`,
    `  opened     ${state.openedAt ?? '?'}${state.startedBy ? ` by ${state.startedBy.user}@${state.startedBy.host}` : ''}`,
  ]
  if (state.closedAt) header.push(`  closed     ${state.closedAt} (${state.closeReason ?? ''})`)
  const steps = new Table({head: ['step', 'uses', 'status', 'attempts', 'note'], style: {head: [], border: []}})
  for (const id of state.stepOrder) {
    const step = state.steps[id]
    if (step) steps.push([id, step.uses ?? '', step.status, String(step.attempts), step.error?.message ?? step.reason ?? ''])
  }
  const timeline = state.timeline.map((entry) => `  ${style.dim(entry.ts)}  ${entry.summary}`)
  return [header.join('\n'), steps.toString(), `${style.bold('Timeline')}\n${timeline.join('\n')}`].join('\n\n')
}
