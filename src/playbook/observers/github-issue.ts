// github-issue: keeps the incident's GitHub tracking issue current during a run. Silent until a
// notify.github step (or `jwkr notify github`) has journaled a `github.issue` event; from then on, on
// every finished step it ticks the checklist in the issue's body (issues.update) and, when the step
// recorded evidence (containment checks, locate answers, pull requests), posts it as one comment.
import {createGitHubClient, githubSettingsFromEnv, type GitHubClient} from '../../adapters/github/client.js'
import {commentMarker, postComment, renderChecklist, updateChecklist} from '../../adapters/github/tracking-issue.js'
import {loadTemplates, type TemplateSet} from '../../adapters/templates/template-set.js'
import {checklistOf} from '../../core/report/checklist.js'
import {containmentOf, evidenceOf} from '../../core/report/evidence.js'
import {isHttpUrl} from '../../core/report/read-data.js'
import type {ReportLink} from '../../core/report/report-model.js'
import type {SecretRegistry} from '../../core/secrets.js'
import type {IncidentState, JournalEvent} from '../../core/journal/types.js'
import type {EngineObserver} from '../engine.js'
import {
  GITHUB_ISSUE_EVENT,
  issueRefOf,
  trackingIssuesOf,
  type GitHubClientTuning,
  type TrackingIssueRef,
} from '../../services/notify-github.js'

export interface GithubIssueObserverOptions {
  client?: GitHubClientTuning
}

const STEP_EVENTS = new Set(['step.succeeded', 'step.failed', 'step.skipped'])

export function githubIssueObserver(options: GithubIssueObserverOptions = {}): EngineObserver {
  // Per run: issues seen in github.issue events, the client, templates per override folder, and the
  // evidence each step recorded so far (posted when the step finishes).
  const seen = new Map<string, TrackingIssueRef>()
  const evidence = new Map<string, JournalEvent[]>()
  const templateSets = new Map<string, Promise<TemplateSet>>()
  let client: GitHubClient | undefined
  const templatesFor = (dir: string | null, secrets: SecretRegistry) => {
    const key = dir ?? ''
    if (!templateSets.has(key)) templateSets.set(key, loadTemplates({overrides: dir, secrets}))
    return templateSets.get(key) as Promise<TemplateSet>
  }
  return {
    name: 'github-issue',
    async onEvent(event, {state, secrets, env}) {
      const step = typeof event.data.step === 'string' ? event.data.step : undefined
      if (event.type === GITHUB_ISSUE_EVENT) {
        const ref = issueRefOf(event.data)
        if (ref) seen.set(`${ref.repo}#${ref.number}`, ref)
      } else if (step && isEvidence(event, state)) {
        evidence.set(step, [...(evidence.get(step) ?? []), event])
        return
      }
      // A failure the engine retries is not the step's last word.
      const finished = STEP_EVENTS.has(event.type) && !(event.type === 'step.failed' && event.data.final === false)
      if (event.type !== GITHUB_ISSUE_EVENT && !finished) return
      const issues = issuesOf(state, seen)
      const settings = githubSettingsFromEnv(env)
      if (issues.length === 0 || !settings.token) return
      client ??= createGitHubClient({...settings, ...options.client, secrets})
      const recorded = finished && step ? (evidence.get(step) ?? []) : []
      if (finished && step) evidence.delete(step)
      for (const issue of issues) {
        const templates = await templatesFor(issue.templates, secrets)
        await updateChecklist(
          client,
          issue,
          renderChecklist(templates, {incident: incidentOf(state), checklist: checklistOf(state)}),
          secrets,
        )
        if (recorded.length > 0 && step) {
          const body = templates.render('github/comment.md', evidenceCommentModel(state, step, recorded))
          await postComment(client, issue, {marker: commentMarker(state.id, step, event.seq), body}, secrets)
        }
      }
    },
  }
}

/** Issues are known from this run's github.issue events and from the journal's effects (a resumed run). */
function issuesOf(state: IncidentState, seen: Map<string, TrackingIssueRef>): TrackingIssueRef[] {
  if (seen.size === 0 && !state.timeline.some((entry) => entry.type === GITHUB_ISSUE_EVENT)) return []
  const all = new Map(seen)
  for (const ref of trackingIssuesOf(state)) all.set(`${ref.repo}#${ref.number}`, ref)
  return [...all.values()]
}

/** Containment checks, locate answers that found the key, and remote changes that gave back a link. */
function isEvidence(event: JournalEvent, state: IncidentState): boolean {
  if (event.type === 'effect.done') {
    const key = typeof event.data.key === 'string' ? event.data.key : ''
    const ref = event.data.ref as Record<string, unknown> | undefined
    return !key.startsWith(`${state.id}:github:issue:`) && Object.values(ref ?? {}).some(isHttpUrl)
  }
  return evidenceOf([event]).length > 0
}

function incidentOf(state: IncidentState) {
  return {id: state.id, drill: state.drill}
}

/** The evidence rows one comment shows at most (GitHub refuses a comment over 65,536 characters). */
export const COMMENT_EVIDENCE_ROWS = 100

/** What github/comment.md renders: the step, its evidence and links, and where containment stands by them. */
export function evidenceCommentModel(state: IncidentState, stepId: string, events: JournalEvent[]) {
  const step = state.steps[stepId]
  const evidence = evidenceOf(events)
  // A proof run until contained may hold a thousand checks: the comment shows the latest, and says so.
  const shown = evidence.slice(-COMMENT_EVIDENCE_ROWS)
  const links: ReportLink[] = events.flatMap((event) => {
    if (event.type !== 'effect.done') return []
    const key = String(event.data.key)
    const label = state.effects[key]?.description || key
    return Object.values((event.data.ref as Record<string, unknown> | undefined) ?? {})
      .filter(isHttpUrl)
      .map((url) => ({step: stepId, label, url}))
  })
  return {
    incident: incidentOf(state),
    step: {
      id: stepId,
      title: step?.title ?? stepId,
      uses: step?.uses ?? null,
      status: step?.status ?? 'pending',
      error: step?.error ?? null,
    },
    evidence: shown,
    omitted: evidence.length - shown.length,
    links,
    containment: containmentOf(evidence, null),
  }
}
