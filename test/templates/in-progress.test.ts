// An RCA drafted inside a run (the report.rca step runs before run.finished): the documents say the
// run is in progress and claim no containment, though the checks so far proved it; the same
// journal once the run has finished says proven.
import {describe, expect, it} from 'vitest'

import {loadTemplates} from '../../src/adapters/templates/template-set.js'
import {buildReport} from '../../src/core/report/build-report.js'
import {renderDocument} from '../../src/services/report.js'
import {CONTAINED_ID, fixtureEvents, FIXTURE_NOW} from '../core/report/fixture.js'
import {DOCUMENTS} from './documents.js'

/** The contained fixture's journal as the rca step sees it: up to its step.started. */
async function draftedDuringTheRun() {
  const events = await fixtureEvents(CONTAINED_ID)
  const started = events.findIndex((event) => event.type === 'step.started' && event.data.step === 'rca')
  return events.slice(0, started + 1)
}

describe('an RCA drafted while the run is still running', () => {
  it('says the run is in progress and claims no containment, in every document', async () => {
    // Given the journal as the report.rca step sees it: verify proved containment, the run not finished
    const events = await draftedDuringTheRun()
    const model = buildReport(events, {now: FIXTURE_NOW})
    expect(model.containment.proven).toBe(true)
    expect(model.incident).toMatchObject({status: 'running', inProgress: true, runningSteps: ['rca']})
    const templates = await loadTemplates()
    for (const {file, request} of DOCUMENTS) {
      // When each document is drafted
      const text = renderDocument(templates, model, request)
      // Then the RCA and the timeline say it is in progress, and nothing says contained or proven
      if (file.startsWith('rca') || file.startsWith('timeline')) expect(text, file).toMatch(/In progress\./)
      expect(text, file).not.toMatch(/proven at|was proven|Containment was \W*proven|contained 20\d\d|Contained :milestone/)
      expect(text, file).not.toMatch(/class="contained-line"/)
    }
    const rca = renderDocument(templates, model, {kind: 'rca', format: 'md'})
    expect(rca).toContain('| Incident | `2026-03-14-ctrvio` — running |')
    expect(rca).toContain('**run in progress (running: rca): containment is not claimed until the run ends**')
  })

  it('says proven once the run has finished', async () => {
    const events = await fixtureEvents(CONTAINED_ID)
    const model = buildReport(events, {now: FIXTURE_NOW})
    const rca = renderDocument(await loadTemplates(), model, {kind: 'rca', format: 'md'})
    expect(model.incident.inProgress).toBe(false)
    expect(rca).not.toMatch(/In progress\./)
    expect(rca).toContain('| Containment | proven at 2026-03-14 09:20:05 UTC |')
  })
})
