// The summary a responder reads at the end of a run: a table of steps and where the incident is.
import {formatDuration} from '../core/duration.js'
import type {RunResult, StepOutcome} from '../playbook/engine.js'
import {createStyle, type Style} from './style.js'
import {renderTable} from './table.js'

export function renderRun(result: RunResult): string {
  const style = createStyle(process.stdout)
  const table = renderTable(result.steps, [
    {name: 'step', value: (step) => step.id},
    {name: 'uses', value: (step) => step.uses},
    {name: 'status', value: (step) => step.status},
    {name: 'took', value: took},
    {name: 'note', value: note},
  ])
  const planned = result.steps.filter((step) => step.plan && step.plan.length > 0 && step.status === 'planned')
  const plan = planned.length
    ? `\nPlanned calls (dry run, none made):\n${planned
        .flatMap((step) => (step.plan ?? []).map((call) => `  ${step.id}: ${call.kind} ${call.target} — ${call.description}`))
        .join('\n')}`
    : ''
  return `${table}${plan}\n\nIncident ${style.bold(result.incident)}: ${result.status}\n${outcomeLine(result, style)}`
}

/** The one line that says what the run achieved, coloured by its exit code, with the code itself. */
export function outcomeLine(result: RunResult, style: Style): string {
  const {summary, exitCode} = result.outcome
  const paint = exitCode === 0 ? style.green : exitCode === 4 ? style.red : style.yellow
  return `${paint(style.bold(summary.charAt(0).toUpperCase() + summary.slice(1)))} ${style.dim(`(exit ${exitCode})`)}`
}

function took(step: StepOutcome): string {
  if (!step.startedAt || !step.finishedAt) return ''
  return formatDuration(Date.parse(step.finishedAt) - Date.parse(step.startedAt))
}

function note(step: StepOutcome): string {
  if (step.error) return step.error.message
  if (step.reason) return step.reason
  return ''
}
