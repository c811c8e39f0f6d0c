// `jwkr incident show`: where an incident stands (its steps) and how it got there (its timeline).
import type {IncidentState, StepState} from '../core/journal/state.js'
import type {Style} from './style.js'
import {renderTable, type Column} from './table.js'

const STEP_COLUMNS: Column<[string, StepState]>[] = [
  {name: 'step', value: ([id]) => id},
  {name: 'uses', value: ([, step]) => step.uses ?? ''},
  {name: 'status', value: ([, step]) => step.status},
  {name: 'attempts', value: ([, step]) => String(step.attempts)},
  {name: 'note', value: ([, step]) => step.error?.message ?? step.reason ?? ''},
]

export function renderTimeline(state: IncidentState, style: Style): string {
  const header = [
    `${style.bold(`Incident ${state.id}`)}${state.drill ? style.yellow(' [DRILL]') : ''} — ${state.status}`,
    `  key        ${state.kty ?? '?'} ${state.thumbprint ?? '(no thumbprint)'}`,
    ...(state.kid ? [`  kid        ${state.kid}`] : []),
    `  playbook   ${state.playbookLoaded?.name ?? state.playbook ?? '?'}`,
    `  opened     ${state.openedAt ?? '?'}${state.startedBy ? ` by ${state.startedBy.user}@${state.startedBy.host}` : ''}`,
  ]
  if (state.closedAt) header.push(`  closed     ${state.closedAt} (${state.closeReason ?? ''})`)
  if (state.closedUnproven) {
    const outcome = state.closedUnproven.outcome === 'not-attempted' ? 'not attempted' : 'not proven'
    header.push(
      `  unproven   closed with containment ${outcome}: ${state.closedUnproven.missing.join('; ') || 'nothing recorded'}`,
    )
  }
  if (state.status === 'paused')
    header.push(`  paused     ${state.interrupted ?? 'interrupted'}: jwkr incident resume ${state.id} goes on`)
  const steps = state.stepOrder.flatMap((id) => {
    const step = state.steps[id]
    return step ? [[id, step] as [string, StepState]] : []
  })
  const timeline = renderTable(
    state.timeline,
    [
      {name: 'time', value: (entry) => style.dim(entry.ts)},
      {name: 'event', value: (entry) => entry.summary},
    ],
    {view: {header: false}},
  )
  return [header.join('\n'), renderTable(steps, STEP_COLUMNS), `${style.bold('Timeline')}\n${timeline}`].join('\n\n')
}
