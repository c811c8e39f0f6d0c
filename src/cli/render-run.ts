// The summary a responder reads at the end of a run: a table of steps and where the incident is.
import Table from 'cli-table3'

import {formatDuration} from '../core/duration.js'
import type {RunResult, StepOutcome} from '../playbook/engine.js'
import {createStyle, type Style} from './style.js'

export function renderRun(result: RunResult): string {
  const style = createStyle(process.stdout)
  const table = new Table({
    head: ['step', 'uses', 'status', 'took', 'note'],
    style: {head: style.isColorSupported ? ['bold'] : [], border: []},
    // The note column takes what the terminal has left, so rows wrap instead of overflowing.
    colWidths: [null, null, null, null, Math.max(24, Math.min(80, (process.stdout.columns || 120) - 62))],
    wordWrap: true,
  })
  for (const step of result.steps) table.push([step.id, step.uses, step.status, took(step), note(step)])
  const planned = result.steps.filter((step) => step.plan && step.plan.length > 0 && step.status === 'planned')
  const plan = planned.length
    ? `\nPlanned calls (dry run, none made):\n${planned
        .flatMap((step) => (step.plan ?? []).map((call) => `  ${step.id}: ${call.kind} ${call.target} — ${call.description}`))
        .join('\n')}`
    : ''
  return `${table.toString()}${plan}\n\nIncident ${style.bold(result.incident)}: ${result.status}\n${outcomeLine(result, style)}`
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
