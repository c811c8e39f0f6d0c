// The closing block a responder reads at the end of a run (stdout): where the incident stands, the
// outcome with its exit code, why it stopped, and the commands to run next. The steps themselves were
// shown one line each as they finished (engine-ui.ts); a dry run lists the calls it would have made.
import {ExitCode} from '../core/errors.js'
import type {RunHeader, RunResult} from '../playbook/engine.js'
import {nextCommands} from './next-commands.js'
import {createStyle, type Style} from './style.js'

export function renderRun(result: RunResult, header?: RunHeader, style: Style = createStyle(process.stdout)): string {
  const planned = result.steps.filter((step) => step.plan && step.plan.length > 0 && step.status === 'planned')
  // A dry run plans in a scratch incident that is gone when it ends: its folder is named as the real
  // run's artifacts folder, and its id (which the real run will not have) as ID.
  const scratch = (text: string): string =>
    header ? text.replaceAll(header.artifacts, 'artifacts').replaceAll(result.incident, 'ID') : text
  const plan = planned.length
    ? `Planned calls (dry run, none made):\n${planned
        .flatMap((step) =>
          (step.plan ?? []).map((call) => scratch(`  ${step.id}: ${call.kind} ${call.target} — ${call.description}`)),
        )
        .join('\n')}\n\n`
    : ''
  const counts = ['planned', 'succeeded', 'skipped', 'failed']
    .map((status) => [status, result.steps.filter((step) => step.status === status).length] as const)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ')
  // A dry run did nothing and keeps no incident: it names none, and says so.
  const standing = result.dryRun
    ? `${style.bold('Dry run')}: nothing was done`
    : `${style.bold(`Incident ${result.incident}`)}: ${statusInWords(result)}`
  const lines = [
    `${standing}${counts ? ` (${counts})` : ''}`,
    outcomeLine(result, style),
    ...(result.stopReason && !result.interrupted ? [`Stopped: ${result.stopReason}`] : []),
    // After Ctrl-C the interrupted line (stderr) names the command to resume.
    ...(result.interrupted ? [] : nextCommands(result, header)).map(
      (command, index) => `${index === 0 ? 'Next:' : '     '} ${command}`,
    ),
  ]
  return `\n${plan}${lines.join('\n')}`
}

/**
 * How the run ended, in words: a run the responder stopped and one that was interrupted (and resumes)
 * are not the same thing.
 */
export function statusInWords(result: Pick<RunResult, 'status' | 'interrupted'>): string {
  switch (result.status) {
    case 'aborted':
      return 'aborted by the responder'
    case 'paused':
      return `paused${result.interrupted?.step ? ` at step ${result.interrupted.step}` : ''}`
    case 'waiting':
      return 'waiting for an approval'
    case 'planned':
      return 'dry run: nothing was done'
    default:
      return result.status
  }
}

/** The one line that says what the run achieved, coloured by its exit code, with the code itself. */
export function outcomeLine(result: RunResult, style: Style): string {
  const {summary} = result.outcome
  const exitCode = exitCodeFor(result)
  const paint = exitCode === 0 ? style.green : exitCode === 4 ? style.red : style.yellow
  return `${paint(style.bold(summary.charAt(0).toUpperCase() + summary.slice(1)))} ${style.dim(`(exit ${exitCode})`)}`
}

/**
 * The exit code of a run: the outcome's (core/report/run-outcome.ts), so a run that contained nothing
 * never exits 0; a run waiting for an approval exits 1; one stopped by Ctrl-C or a signal exits 130.
 */
export function exitCodeFor(result: RunResult): number {
  return result.interrupted ? ExitCode.interrupted : result.outcome.exitCode
}

/** What Ctrl-C leaves on the screen: where the incident is paused and how to go on. */
export function interruptedLine(result: RunResult): string {
  const at = result.interrupted?.step ? ` at step ${result.interrupted.step}` : ''
  return `Interrupted: incident ${result.incident} is paused${at}. Resume with \`jwkr incident resume ${result.incident}\``
}
