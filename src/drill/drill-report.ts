// `jwkr drill report ID`: the drill's scorecard followed by its root-cause report, both rendered
// through the templates (so a team can override them like any other document); or, with --open, the
// HTML root-cause report opened in the desktop's browser. Paths in the report are relative to the
// folder the command runs in.
import {readFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import {openFile, type OpenerCommand} from '../adapters/desktop/open-file.js'
import {loadTemplates} from '../adapters/templates/template-set.js'
import {renderIncidentDocument, writeDocument} from '../services/report.js'
import {displayPath} from '../core/display-path.js'
import {JwkrError, type ExitCodeValue} from '../core/errors.js'
import type {SecretRegistry} from '../core/secrets.js'
import type {ReportModel} from '../core/report/report-model.js'
import {runOutcome, type RunOutcome} from '../core/report/run-outcome.js'
import {readIncidentEvents} from '../incident/read-incident.js'
import {findIncident, type IncidentLocation} from '../incident/workspace.js'
import {WORLD_DIR} from './build-world.js'
import {drillExitCode, type DrillScorecard} from './scorecard.js'

export interface DrillReportOptions {
  home: string
  id: string
  secrets: SecretRegistry
  now?: Date
  /** Where the command runs: the report's paths are relative to it (default: the process's). */
  cwd?: string
}

/** The file `drill report --open` writes the HTML root-cause report to, in the drill's artifacts. */
export const DRILL_HTML_REPORT = 'drill-rca.html'

async function findDrill(home: string, id: string): Promise<IncidentLocation> {
  const location = await findIncident(home, id)
  if (!location.drill) {
    throw new JwkrError('ERR_USAGE', `${id} is an incident, not a drill.`, {
      hint: `Use jwkr report rca --incident ${id}.`,
    })
  }
  return location
}

/** A drill's report: its scorecard and root-cause report as one Markdown text, and both as data (--json). */
export interface DrillReport {
  drill: string
  /** The scorecard, then the RCA, in Markdown. */
  text: string
  /** The scorecard as `jwkr drill --json` gives it (an older one brought to today's shape), drafts shown from cwd. */
  scorecard: DrillScorecard
  /** The report model of the drill's incident, as `jwkr report rca --format json` prints it (local paths hidden). */
  rca: ReportModel
}

export async function renderDrillReport(options: DrillReportOptions): Promise<DrillReport> {
  const location = await findDrill(options.home, options.id)
  const cwd = options.cwd ?? process.cwd()
  const scorecard = await readScorecard(location, options.id)
  // The scorecard names its drafts relative to the drill's world folder: shown from where the user is.
  scorecard.messages.drafts = scorecard.messages.drafts.map((draft) => displayPath(resolve(location.dir, WORLD_DIR, draft), cwd))
  const templates = await loadTemplates({secrets: options.secrets})
  const card = templates.render('drill/scorecard.md', {incident: {drill: true}, scorecard})
  const document = {home: options.home, id: options.id, kind: 'rca' as const, secrets: options.secrets, now: options.now}
  const rca = await renderIncidentDocument({...document, format: 'md'})
  const model = await renderIncidentDocument({...document, format: 'json'})
  return {
    drill: location.id,
    text: `${card}\n---\n\n${rca.text}`,
    scorecard,
    rca: JSON.parse(model.text) as ReportModel,
  }
}

/** The scorecard the drill wrote, brought to today's shape when an older jwkr wrote it. */
async function readScorecard(location: IncidentLocation, id: string): Promise<DrillScorecard> {
  const file = join(location.artifactsDir, 'scorecard.json')
  const scorecard = JSON.parse(
    await readFile(file, 'utf8').catch(() => {
      throw new JwkrError('ERR_INCIDENT_NOT_FOUND', `The drill ${id} has no scorecard (${file}).`, {
        hint: 'The drill did not finish. Run a new one with jwkr drill.',
      })
    }),
  ) as DrillScorecard
  // Before checks could be left unchecked: each was passed or failed.
  for (const check of scorecard.checks) check.result ??= check.ok ? 'passed' : 'failed'
  // A scorecard written before it carried the run's outcome: the journal still says what it was.
  const outcome: RunOutcome & {runExitCode?: ExitCodeValue} = scorecard.outcome ?? runOutcome(await readIncidentEvents(location))
  // …and one written before the drill's exit code and the run's were told apart held the run's.
  const older = outcome.runExitCode === undefined
  scorecard.outcome = {
    ...outcome,
    exitCode: older ? drillExitCode(scorecard) : outcome.exitCode,
    runExitCode: outcome.runExitCode ?? outcome.exitCode,
  }
  // One written before the verdict and the faults were told apart: its own two facts, in one sentence.
  scorecard.verdict ??= `${scorecard.passed ? 'Passed' : 'Not passed'}; the run ended ${scorecard.run}.`
  scorecard.faultsInjected ??= []
  return scorecard
}

/**
 * Renders the drill's root-cause report as HTML into its artifacts and opens it in the browser.
 *
 * @example const {file, opener} = await openDrillReport({home, id, secrets})
 */
export async function openDrillReport(
  options: DrillReportOptions & {open?: (file: string) => Promise<OpenerCommand>},
): Promise<{drill: string; file: string; opener: OpenerCommand}> {
  const location = await findDrill(options.home, options.id)
  const rca = await renderIncidentDocument({
    home: options.home,
    id: options.id,
    kind: 'rca',
    format: 'html',
    secrets: options.secrets,
    now: options.now,
  })
  const file = await writeDocument(join(location.artifactsDir, DRILL_HTML_REPORT), rca.text)
  const opener = await (options.open ?? openFile)(file)
  return {drill: location.id, file: displayPath(file, options.cwd ?? process.cwd()), opener}
}
