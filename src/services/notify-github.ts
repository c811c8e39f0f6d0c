// The GitHub notify service: the incident's tracking issue, opened once (title with the thumbprint,
// labels, the facts, a checklist of the playbook's steps) and found again by its hidden marker, never
// duplicated. Behind the notify.github step, the github-issue observer and `jwkr notify github`
// (notifyGithubFromJournal: the same work on an incident outside a run, under its lock).
import {
  createGitHubClient,
  githubSettingsFromEnv,
  type GitHubClient,
  type GitHubClientOptions,
} from '../adapters/github/client.js'
import {
  createTrackingIssue,
  findTrackingIssue,
  incidentMarker,
  parseRepo,
  renderChecklist,
  updateChecklist,
  type TrackingIssue,
} from '../adapters/github/tracking-issue.js'
import {loadTemplates} from '../adapters/templates/template-set.js'
import type {RunEffect} from '../core/effect.js'
import {JwkrError} from '../core/errors.js'
import type {IncidentState} from '../core/journal/state.js'
import type {JournalEvent} from '../core/journal/types.js'
import {buildReport} from '../core/report/build-report.js'
import {hideLocalPaths, type LocalPlaces} from '../core/report/local-paths.js'
import type {ReportModel} from '../core/report/report-model.js'
import type {SecretRegistry} from '../core/secrets.js'
import {commandEffects, withIncidentJournal, type UnknownEffectAnswer} from '../incident/incident-journal.js'
import {loadInventory} from './inventory.js'
import {documentPlaces} from './report.js'

// What the notify.github step reads of the GitHub adapters (its plan names the calls), so steps import no adapter.
export {createGitHubClient, githubSettingsFromEnv} from '../adapters/github/client.js'
export {TRACKING_LABELS} from '../adapters/github/tracking-issue.js'

/** The journal event that says where the tracking issue is; the observer and later runs read it. */
export const GITHUB_ISSUE_EVENT = 'github.issue'

/** What the issue's effect ref holds: where the issue is, and the templates it was written with. */
export interface TrackingIssueRef extends TrackingIssue, Record<string, unknown> {
  created: boolean
  templates: string | null
}

/** Client settings a test (or a drill) may tune: retries off, no pause between writes. */
export type GitHubClientTuning = Pick<GitHubClientOptions, 'retries' | 'throttle' | 'fetch'>

const COMMAND_STEP = 'jwkr notify github'

/** The effect key of the incident's issue in one repository: stable across resumes and shared with the command. */
export function issueEffectKey(incident: string, repo: string): string {
  return `${incident}:github:issue:${repo}`
}

export interface GitHubTarget {
  repo: string | null
  templates: string | null
}

/** The repository (input, else notify.github.repo) and template overrides (input, else the inventory's). */
export async function githubTarget(
  input: {repo?: string; templates?: string},
  context: {inventoryPath: string | null; secrets: SecretRegistry},
): Promise<GitHubTarget> {
  const inventory =
    context.inventoryPath === null ? undefined : await loadInventory(context.inventoryPath, {secrets: context.secrets})
  const repo = input.repo ?? inventory?.notify?.github?.repo ?? null
  if (repo !== null) parseRepo(repo)
  return {repo, templates: input.templates ?? inventory?.templates ?? null}
}

export interface OpenIssueOptions {
  client: GitHubClient
  repo: string
  labels?: readonly string[]
  templates: string | null
  events: readonly JournalEvent[]
  /** The incident's folder: the issue names no local path (documentPlaces). */
  incidentDir: string
  now: Date
  secrets: SecretRegistry
  effect: RunEffect
}

/**
 * The issue, through the effect runner: found by its marker before anything is created (also when
 * an interrupted run does not know whether it was), created otherwise. An issue found again gets its
 * checklist brought up to date.
 */
export async function openIssue(options: OpenIssueOptions): Promise<TrackingIssueRef> {
  const {client, repo, secrets} = options
  const model = withoutLocalPaths(
    buildReport(options.events, {now: options.now}),
    documentPlaces(options.events, options.incidentDir),
  )
  const templates = await loadTemplates({overrides: options.templates, secrets})
  const find = async (): Promise<TrackingIssueRef | undefined> => {
    const found = await findTrackingIssue(client, {repo, incidentId: model.incident.id, since: model.incident.openedAt})
    return found ? {...found, created: false, templates: options.templates} : undefined
  }
  let createdNow = false
  const ref = await options.effect(
    issueEffectKey(model.incident.id, repo),
    `Open the tracking issue in ${repo}`,
    async () => {
      const found = await find()
      if (found) return found
      const created = await createTrackingIssue(client, {repo, model, templates, labels: options.labels, secrets})
      createdNow = true
      return {...created, created: true, templates: options.templates}
    },
    find,
  )
  const issue = issueRefOf(ref) ?? {...ref, templates: options.templates}
  if (!createdNow)
    await updateChecklist(
      client,
      issue,
      renderChecklist(templates, {incident: model.incident, checklist: model.checklist}),
      secrets,
    )
  // `created` says what this call did: an issue known from an earlier run was found again.
  return {...issue, created: createdNow}
}

/** The model an issue is written from, its key's location shown as documents show it (the one local path it holds). */
function withoutLocalPaths(model: ReportModel, places: LocalPlaces): ReportModel {
  const {source} = model.incident
  return typeof source === 'string' ? {...model, incident: {...model.incident, source: hideLocalPaths(source, places)}} : model
}

export function issueRecord(incident: string, ref: TrackingIssueRef): Record<string, unknown> {
  return {
    repo: ref.repo,
    number: ref.number,
    url: ref.url,
    created: ref.created,
    templates: ref.templates,
    marker: incidentMarker(incident),
  }
}

/** A `{repo, number, url}` record (an effect ref or a github.issue event), checked. */
export function issueRefOf(value: Record<string, unknown> | undefined): TrackingIssueRef | undefined {
  const {repo, number, url, created, templates} = value ?? {}
  if (typeof repo !== 'string' || typeof number !== 'number' || typeof url !== 'string') return undefined
  return {repo, number, url, created: created === true, templates: typeof templates === 'string' ? templates : null}
}

/** Every tracking issue the incident has, from its done effects (one per repository). */
export function trackingIssuesOf(state: IncidentState): TrackingIssueRef[] {
  const prefix = `${state.id}:github:issue:`
  return Object.entries(state.effects).flatMap(([key, effect]) => {
    const ref = key.startsWith(prefix) && effect.status === 'done' ? issueRefOf(effect.ref) : undefined
    return ref ? [ref] : []
  })
}

export interface NotifyGithubCommandOptions {
  secrets: SecretRegistry
  /** owner/name; default notify.github.repo of the incident's inventory. */
  repo?: string
  labels?: string[]
  /** A folder of template overrides; default the inventory's templates:. */
  templates?: string
  client?: GitHubClientTuning
  env?: NodeJS.ProcessEnv
  now?: () => Date
  /** An effect interrupted before its result was journaled, that the remote cannot settle: --yes, or a prompt. Default: refused. */
  unknownEffects?: UnknownEffectAnswer
}

export interface NotifyGithubCommandResult extends TrackingIssueRef {
  incident: string
}

/**
 * `jwkr notify github`: the step's work on an incident outside a run, under the incident's lock. The
 * effect and the `github.issue` event are journaled as the step journals them, so a later run (or the
 * observer of a resumed run) keeps this same issue current instead of opening another.
 */
export async function notifyGithubFromJournal(
  home: string,
  id: string,
  options: NotifyGithubCommandOptions,
): Promise<NotifyGithubCommandResult> {
  const now = options.now ?? (() => new Date())
  return withIncidentJournal(home, id, {secrets: options.secrets, now}, async (journal, location) => {
    const opened = journal.events().find((event) => event.type === 'incident.opened')?.data.inventory
    const inventoryPath = typeof opened === 'string' && opened !== '' ? opened : null
    const target = await githubTarget(
      {repo: options.repo, templates: options.templates},
      {inventoryPath, secrets: options.secrets},
    )
    if (!target.repo) {
      throw new JwkrError('ERR_GITHUB_REPO_MISSING', `Incident ${location.id} names no repository for its tracking issue.`, {
        hint: 'Pass --repo owner/name, or set notify.github.repo in the inventory the incident was opened with.',
      })
    }
    const client = createGitHubClient({...githubSettingsFromEnv(options.env), ...options.client, secrets: options.secrets})
    const ref = await openIssue({
      client,
      repo: target.repo,
      labels: options.labels,
      templates: target.templates,
      events: journal.events().slice(),
      incidentDir: location.dir,
      now: now(),
      secrets: options.secrets,
      effect: commandEffects(journal, COMMAND_STEP, options.unknownEffects ?? {yes: false}, {lookFirst: true}),
    })
    await journal.append(GITHUB_ISSUE_EVENT, {step: COMMAND_STEP, ...issueRecord(location.id, ref)})
    return {incident: location.id, ...ref}
  })
}
