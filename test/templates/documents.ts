// Every document jwkr renders from an incident, as the commands, the steps and the GitHub tracking
// issue render them: the golden-file, injection, drill and secrecy tests all go through this list.
import {renderTrackingIssue, renderChecklist} from '../../src/adapters/github/tracking-issue.js'
import {renderDocument, type DocumentRequest} from '../../src/services/report.js'
import type {TemplateSet} from '../../src/adapters/templates/template-set.js'
import {buildReport} from '../../src/core/report/build-report.js'
import {localPlacesOf} from '../../src/core/report/local-paths.js'
import type {ReportModel} from '../../src/core/report/report-model.js'
import {foldIncident} from '../../src/core/journal/state.js'
import type {JournalEvent} from '../../src/core/journal/types.js'
import type {DrillScenario} from '../../src/drill/load-scenario.js'
import {scoreDrill, type DrillScorecard} from '../../src/drill/scorecard.js'
import {evidenceCommentModel} from '../../src/playbook/observers/github-issue.js'

/** A drill scenario for the scorecard document: the basic scenario's expectations. */
const SCENARIO: DrillScenario = {
  name: 'basic',
  description: 'The issuer signing key was found in a repository.',
  file: 'playbooks/drills/basic.yaml',
  services: 2,
  world: {cacheSeconds: [2, 3], denylistGuard: [2], tokenLifetimeSeconds: 300, verifiers: ['jose']},
  faults: {jwksServesPrivate: false, leakWithoutKid: false, services: [], slack: [], github: []},
  expect: {
    contained: true,
    forgeriesAtLeast: 1,
    slackStatusPosted: true,
    trackingIssue: 'created',
    privateMembersFound: false,
    cacheBust: [],
  },
}

export const DOCUMENTS: ReadonlyArray<{file: string; template: string; request: DocumentRequest}> = [
  {file: 'rca.md', template: 'report/rca.md', request: {kind: 'rca', format: 'md'}},
  {file: 'rca.html', template: 'report/rca.html', request: {kind: 'rca', format: 'html'}},
  {file: 'timeline.md', template: 'report/timeline.md', request: {kind: 'timeline', format: 'md'}},
  {file: 'notify-users.md', template: 'notify/users.md', request: {kind: 'notification', format: 'md', audience: 'users'}},
  {file: 'notify-users.txt', template: 'notify/users.txt', request: {kind: 'notification', format: 'txt', audience: 'users'}},
  {
    file: 'notify-partners.md',
    template: 'notify/partners.md',
    request: {kind: 'notification', format: 'md', audience: 'partners'},
  },
]

/** The documents of an incident by file name, GitHub bodies included (`github-*`). */
export function renderAll(templates: TemplateSet, events: readonly JournalEvent[], now: Date): Map<string, string> {
  const model = buildReport(events, {now})
  const rendered = new Map<string, string>()
  // As the commands render them (documentPlaces): the key's folder is local; the fixtures' incident
  // folders (/var/jwkr/…) are on no machine, so their paths stay as they are here and in `report rca`.
  const places = localPlacesOf(events, '/nowhere', [])
  for (const {file, request} of DOCUMENTS) rendered.set(file, renderDocument(templates, model, request, places))
  const issue = renderTrackingIssue(templates, model)
  rendered.set('github-issue-title.txt', `${issue.title}\n`)
  rendered.set('github-issue.md', issue.body)
  rendered.set('github-checklist.md', `${renderChecklist(templates, {incident: model.incident, checklist: model.checklist})}\n`)
  // The evidence comment of the step that recorded the most evidence.
  const state = foldIncident(events)
  const byStep = new Map<string, JournalEvent[]>()
  for (const event of events) {
    if (/^(evidence\.|locate\.endpoint$)/.test(event.type) && typeof event.data.step === 'string') {
      byStep.set(event.data.step, [...(byStep.get(event.data.step) ?? []), event])
    }
  }
  const [step, recorded] = [...byStep].sort((a, b) => b[1].length - a[1].length)[0] ?? ['', []]
  rendered.set('github-comment.md', templates.render('github/comment.md', evidenceCommentModel(state, step, recorded)))
  const scorecard = fixtureScorecard(events, model, now)
  rendered.set('drill-scorecard.md', templates.render('drill/scorecard.md', {incident: {drill: model.incident.drill}, scorecard}))
  return rendered
}

/**
 * A scorecard of the basic scenario for the incident, as the drill writes it (artifacts/scorecard.json):
 * a drill's as its journal ended (the outage drill failed), an incident's as if a drill had completed.
 */
export function fixtureScorecard(events: readonly JournalEvent[], model: ReportModel, now: Date): DrillScorecard {
  return scoreDrill({
    events,
    scenario: SCENARIO,
    world: {
      services: model.containment.targets
        .filter((target) => target.kind === 'probe')
        .map((target, index) => ({
          id: target.target,
          verifier: 'jose',
          behaviour: 'normal',
          guarded: index === 1,
          cacheSeconds: 2 + index,
        })),
      slack: {posts: 3, updates: 7},
      github: {issues: 1},
      artifacts: ['drills/x/artifacts/rca.md', 'drills/x/artifacts/notify-users.md'],
    },
    runStatus: model.incident.drill ? model.incident.status : 'completed',
    now,
  })
}

/** Templates the golden files cover directly; the partials are covered through them. */
export const COVERED_TEMPLATES = [
  ...DOCUMENTS.map((document) => document.template),
  'github/issue.md',
  'github/checklist.md',
  'github/comment.md',
  'drill/scorecard.md',
]
