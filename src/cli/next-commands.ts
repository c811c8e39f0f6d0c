// The commands a responder runs next, named at the end of a run and after a failed step: resume,
// the report, the proof again, or the step's own command to redo it alone.
import {ExitCode} from '../core/errors.js'
import type {RunHeader, RunResult} from '../playbook/engine.js'

/** A shell word as the responder types it: paths with spaces or quotes are single-quoted. */
function arg(text: string): string {
  return /^[\w./:@=+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

/**
 * The command that redoes one step later, alone: its own command where it has one, else `jwkr
 * incident resume` (which runs again every step that did not finish).
 *
 * @example redoCommand('notify.github', {incident: '2026-11-29-3f9a1c', key: null}) // → 'jwkr notify github --incident 2026-11-29-3f9a1c'
 */
export function redoCommand(uses: string, run: {incident: string; key: string | null}): string {
  const key = arg(run.key ?? 'KEY')
  const incident = arg(run.incident)
  const own: Record<string, string> = {
    'services.locate': `jwkr services locate --key ${key}`,
    'code.scan': `jwkr code scan --key ${key} PATH…`,
    'tokens.scan': `jwkr tokens scan --key ${key} LOG…`,
    'key.rotate': `jwkr key rotate --key ${key} --all`,
    'key.revoke': `jwkr key revoke --key ${key} --all`,
    'tokens.invalidate': `jwkr tokens invalidate --key ${key}`,
    'containment.verify': `jwkr verify --key ${key} --until-contained`,
    'notify.slack': `jwkr notify slack --incident ${incident}`,
    'notify.github': `jwkr notify github --incident ${incident}`,
    'report.rca': `jwkr report rca --incident ${incident}`,
    'report.notification': `jwkr report notification --incident ${incident}`,
  }
  return own[uses] ?? `jwkr incident resume ${incident}`
}

/** What to run after a run ended, most useful first. */
export function nextCommands(
  result: RunResult,
  header: Pick<RunHeader, 'drill' | 'key' | 'inventoryPath'> | undefined,
): string[] {
  // A dry run did nothing and kept no incident: there is nothing to report on or close.
  if (result.dryRun || result.status === 'planned') return []
  const id = arg(result.incident)
  if (result.interrupted || result.status === 'paused' || result.status === 'aborted') return [`jwkr incident resume ${id}`]
  if (result.status === 'waiting') return [`jwkr incident resume ${id} --yes`, `jwkr incident show ${id}`]
  const report = header?.drill ? `jwkr drill report ${id}` : `jwkr report rca --incident ${id}`
  if (result.outcome.exitCode === ExitCode.notContained && header?.inventoryPath) {
    return [`jwkr verify --key ${arg(header.key ?? 'KEY')} --until-contained`, report]
  }
  if (result.status === 'failed' || result.outcome.exitCode === ExitCode.playbookFailed) {
    return [`jwkr incident show ${id}`, `jwkr incident resume ${id}`]
  }
  if (result.outcome.exitCode === ExitCode.ok && !header?.drill) return [report, `jwkr incident close ${id}`]
  return [report]
}
