// `jwkr drill report ID`: the drill's scorecard followed by its root-cause report, both rendered
// through the templates (so a team can override them like any other document).
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {loadTemplates} from '../adapters/templates/template-set.js'
import {renderIncidentDocument} from '../services/report.js'
import {JwkrError} from '../core/errors.js'
import type {SecretRegistry} from '../core/secrets.js'
import {runOutcome} from '../core/report/run-outcome.js'
import {readIncidentEvents} from '../incident/read-incident.js'
import {findIncident} from '../incident/workspace.js'
import type {DrillScorecard} from './scorecard.js'

export async function renderDrillReport(options: {
  home: string
  id: string
  secrets: SecretRegistry
  now?: Date
}): Promise<{drill: string; text: string}> {
  const location = await findIncident(options.home, options.id)
  if (!location.drill) {
    throw new JwkrError('ERR_USAGE', `${options.id} is an incident, not a drill.`, {
      hint: `Use jwkr report rca --incident ${options.id}.`,
    })
  }
  const file = join(location.artifactsDir, 'scorecard.json')
  const scorecard = JSON.parse(
    await readFile(file, 'utf8').catch(() => {
      throw new JwkrError('ERR_INCIDENT_NOT_FOUND', `The drill ${options.id} has no scorecard (${file}).`, {
        hint: 'The drill did not finish. Run a new one with jwkr drill.',
      })
    }),
  ) as DrillScorecard
  // A scorecard written before it carried the run's outcome: the journal still says what it was.
  scorecard.outcome ??= runOutcome(await readIncidentEvents(location))
  // One written before the verdict and the faults were told apart: its own two facts, in one sentence.
  scorecard.verdict ??= `${scorecard.passed ? 'Passed' : 'Not passed'}; the run ended ${scorecard.run}.`
  scorecard.faultsInjected ??= []
  const templates = await loadTemplates({secrets: options.secrets})
  const card = templates.render('drill/scorecard.md', {incident: {drill: true}, scorecard})
  const rca = await renderIncidentDocument({
    home: options.home,
    id: options.id,
    kind: 'rca',
    format: 'md',
    secrets: options.secrets,
    now: options.now,
  })
  return {drill: location.id, text: `${card}\n---\n\n${rca.text}`}
}
