// The committed fixture journals (test/fixtures/journals), read as the report commands read them.
import {cp, mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {buildReport} from '../../../src/core/report/build-report.js'
import type {ReportModel} from '../../../src/core/report/report-model.js'
import {readIncidentEvents} from '../../../src/incident/read-incident.js'
import type {JournalEvent} from '../../../src/core/journal/types.js'
import {findIncident} from '../../../src/incident/workspace.js'
import {CONTAINED_ID, FIXTURE_HOME, FIXTURE_NOW} from '../../fixtures/journals/write-fixture-journals.js'

export {
  CONTAINED_ID,
  FAILED_ID,
  FAILED_ROUNDS,
  FIXTURE_NOW,
  INJECTION_ID,
  OUTAGE_ID,
  PAYLOAD,
  THUMBPRINT,
} from '../../fixtures/journals/write-fixture-journals.js'

export async function fixtureEvents(id: string = CONTAINED_ID): Promise<JournalEvent[]> {
  return readIncidentEvents(await findIncident(FIXTURE_HOME, id))
}

export async function fixtureModel(id: string = CONTAINED_ID): Promise<ReportModel> {
  return buildReport(await fixtureEvents(id), {now: FIXTURE_NOW})
}

/** A copy of the fixture workspace in a temporary folder (tests may write to it), for --home. */
export async function fixtureHomeCopy(): Promise<string> {
  const home = join(await mkdtemp(join(tmpdir(), 'jwkr-report-')), 'home')
  await cp(FIXTURE_HOME, home, {recursive: true})
  return home
}

/** Events in memory (no hash chain: buildReport reads events, not files), `seconds` after 09:00 UTC. */
export function eventsOf(entries: Array<[seconds: number, type: string, data: Record<string, unknown>]>): JournalEvent[] {
  const start = Date.parse('2026-03-14T09:00:00.000Z')
  return entries.map(([seconds, type, data], i) => ({
    seq: i + 1,
    ts: new Date(start + seconds * 1000).toISOString(),
    type,
    data,
    prev: '',
    hash: '',
  }))
}

export const OPENED: [number, string, Record<string, unknown>] = [
  0,
  'incident.opened',
  {id: 'i-1', thumbprint: 'T', kid: 'k', kty: 'RSA', alg: 'RS256', source: 'k.json', drill: false, playbook: 'p', inputs: {}},
]
