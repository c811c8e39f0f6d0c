// notify.github: the incident's tracking issue on GitHub, opened once (title with the thumbprint,
// labels, the facts, a checklist of the playbook's steps) and found again by its hidden marker on
// resume, never duplicated; from then on the `github-issue` observer ticks the checklist and posts the
// containment evidence as comments. The same work outside a run (`jwkr notify github`) is
// `notifyGithubFromJournal`, below.
import {join} from 'node:path'

import {
  createGitHubClient,
  githubSettingsFromEnv,
  type GitHubClient,
  type GitHubClientOptions,
} from '../../adapters/github/client.js'
import {
  createTrackingIssue,
  findTrackingIssue,
  incidentMarker,
  parseRepo,
  renderChecklist,
  TRACKING_LABELS,
  updateChecklist,
  type TrackingIssue,
} from '../../adapters/github/tracking-issue.js'
import {loadTemplates} from '../../adapters/templates/template-set.js'
import {JwkrError} from '../../core/errors.js'
import {loadInventory} from '../../core/inventory/load-inventory.js'
import {buildReport} from '../../core/report/build-report.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {readIncidentEvents} from '../../incident/read-incident.js'
import type {IncidentState} from '../../incident/state.js'
import type {JournalEvent} from '../../incident/types.js'
import {JOURNAL_FILE} from '../../incident/workspace.js'
import {defineStep} from '../define-step.js'
import {Nullable, Type, type Static} from '../step-schema.js'
import {templatesInput} from './report-rca.js'
import type {StepContext} from '../types.js'
import {journalEffects, withIncidentJournal} from '../../incident/incident-journal.js'

const NotifyGithubInput = Type.Object(
  {
    /** owner/name; default notify.github.repo of the inventory. */
    repo: Type.Optional(
      Type.String({pattern: '^[^/\\s]+/[^/\\s]+$', description: 'owner/name (default: notify.github.repo of the inventory).'}),
    ),
    labels: Type.Optional(
      Type.Array(Type.String({minLength: 1}), {description: `Labels of the issue (default ${TRACKING_LABELS.join(', ')}).`}),
    ),
    templates: templatesInput,
  },
  {additionalProperties: false},
)
const NotifyGithubOutput = Type.Object(
  {
    /** Always true: without GITHUB_TOKEN or a repository the step ends skipped. Kept for older journals' readers. */
    opened: Type.Boolean(),
    reason: Nullable(Type.String()),
    repo: Nullable(Type.String()),
    number: Nullable(Type.Integer()),
    url: Nullable(Type.String()),
    /** True when this incident's issue was created now, false when it was found again. */
    created: Type.Boolean(),
  },
  {additionalProperties: false},
)
export type NotifyGithubInput = Static<typeof NotifyGithubInput>
export type NotifyGithubOutput = Static<typeof NotifyGithubOutput>

/** The journal event that says where the tracking issue is; the observer and later runs read it. */
export const GITHUB_ISSUE_EVENT = 'github.issue'

/** What the issue's effect ref holds: where the issue is, and the templates it was written with. */
export interface TrackingIssueRef extends TrackingIssue, Record<string, unknown> {
  created: boolean
  templates: string | null
}

/** Client settings a test (or a drill) may tune: retries off, no pause between writes. */
export type GitHubClientTuning = Pick<GitHubClientOptions, 'retries' | 'throttle' | 'fetch'>

export interface NotifyGithubStepOptions {
  client?: GitHubClientTuning
}

type EffectRunner = StepContext['effect']

const NO_TOKEN = 'GITHUB_TOKEN not set'
const NO_REPO = 'no repository for the tracking issue'

/**
 * Why the step was skipped, in words: what is missing (the token, the repository, or both), and how
 * to open the issue afterwards (a resumed run does not run the step again).
 */
function notConfigured(
  token: string | undefined,
  repo: string | null,
  context: {inventoryPath: string | null; incident: {id: string}},
): string {
  const missing = [
    ...(token ? [] : [NO_TOKEN]),
    ...(repo ? [] : [context.inventoryPath === null ? `no inventory to name the repository (notify.github.repo)` : NO_REPO]),
  ]
  const fix = [
    ...(token ? [] : ['set GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise or a drill)']),
    ...(repo ? [] : ['set notify.github.repo in the inventory (or pass --repo)']),
  ]
  return `${missing.join(' and ')}: no tracking issue was opened. To open it, ${fix.join(' and ')}, then run jwkr notify github --incident ${context.incident.id}.`
}
const COMMAND_STEP = 'jwkr notify github'

/** The effect key of the incident's issue in one repository: stable across resumes and shared with the command. */
export function issueEffectKey(incident: string, repo: string): string {
  return `${incident}:github:issue:${repo}`
}

/** notify.github with its GitHub client tuned (tests turn retries and write pacing off). */
export function createNotifyGithubStep(options: NotifyGithubStepOptions = {}) {
  return defineStep({
    id: 'notify.github',
    title: 'Open the GitHub tracking issue',
    description:
      'Opens one tracking issue for the incident in notify.github.repo (title with the thumbprint, labels security, ' +
      'incident and jwkr, the facts and a checklist of the playbook’s steps), or finds it again by its hidden marker. ' +
      'The checklist is then ticked as steps finish and containment evidence is posted as comments. Needs GITHUB_TOKEN; ' +
      'without it, or without a repository, the step is skipped and says which is missing.',
    inputSchema: NotifyGithubInput,
    outputSchema: NotifyGithubOutput,
    sideEffects: true,
    async plan(input, context) {
      const settings = githubSettingsFromEnv(context.env)
      let target: GitHubTarget
      try {
        target = await githubTarget(input, context)
      } catch (error) {
        if (!(error instanceof JwkrError)) throw error
        return [
          {
            kind: 'none',
            target: context.inventoryPath ?? 'inventory',
            description: `Cannot plan: ${error.message.split('\n')[0]}`,
          },
        ]
      }
      if (!target.repo || !settings.token) {
        return [{kind: 'none', target: 'GitHub', description: notConfigured(settings.token, target.repo, context)}]
      }
      const api = `${settings.baseUrl.replace(/\/+$/, '')}/repos/${target.repo}`
      return [
        {kind: 'http', target: `GET ${api}/issues`, description: 'Look for the incident’s tracking issue by its hidden marker'},
        {
          kind: 'message',
          target: `POST ${api}/issues`,
          description: 'Open the tracking issue (facts and checklist) unless it exists',
        },
        {
          kind: 'message',
          target: `PATCH ${api}/issues/{number}`,
          description: 'Tick the checklist as steps finish; evidence as comments',
        },
      ]
    },
    async run(input, context) {
      const target = await githubTarget(input, context)
      const settings = githubSettingsFromEnv(context.env)
      if (!settings.token || !target.repo) return context.skip(notConfigured(settings.token, target.repo, context))
      const client = createGitHubClient({...settings, ...options.client, secrets: context.secrets})
      context.progress({message: `Opening the tracking issue in ${target.repo}`})
      const events = await readIncidentEvents({...context.incident, journalPath: join(context.incident.dir, JOURNAL_FILE)})
      const ref = await openIssue({
        client,
        repo: target.repo,
        labels: input.labels,
        templates: target.templates,
        events,
        now: context.now(),
        secrets: context.secrets,
        effect: context.effect,
      })
      await context.record(GITHUB_ISSUE_EVENT, issueRecord(context.incident.id, ref))
      return {opened: true, reason: null, repo: ref.repo, number: ref.number, url: ref.url, created: ref.created}
    },
  })
}

export const notifyGithub = createNotifyGithubStep()

interface GitHubTarget {
  repo: string | null
  templates: string | null
}

/** The repository (input, else notify.github.repo) and template overrides (input, else the inventory's). */
async function githubTarget(
  input: {repo?: string; templates?: string},
  context: {inventoryPath: string | null; secrets: SecretRegistry},
): Promise<GitHubTarget> {
  const inventory =
    context.inventoryPath === null ? undefined : await loadInventory(context.inventoryPath, {secrets: context.secrets})
  const repo = input.repo ?? inventory?.notify?.github?.repo ?? null
  if (repo !== null) parseRepo(repo)
  return {repo, templates: input.templates ?? inventory?.templates ?? null}
}

interface OpenIssueOptions {
  client: GitHubClient
  repo: string
  labels?: readonly string[]
  templates: string | null
  events: readonly JournalEvent[]
  now: Date
  secrets: SecretRegistry
  effect: EffectRunner
}

/**
 * The issue, through the effect runner: found by its marker before anything is created (also when
 * an interrupted run does not know whether it was), created otherwise. An issue found again gets its
 * checklist brought up to date.
 */
async function openIssue(options: OpenIssueOptions): Promise<TrackingIssueRef> {
  const {client, repo, secrets} = options
  const model = buildReport(options.events, {now: options.now})
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

function issueRecord(incident: string, ref: TrackingIssueRef): Record<string, unknown> {
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
      events: await readIncidentEvents(location),
      now: now(),
      secrets: options.secrets,
      effect: journalEffects(journal, COMMAND_STEP),
    })
    await journal.append(GITHUB_ISSUE_EVENT, {step: COMMAND_STEP, ...issueRecord(location.id, ref)})
    return {incident: location.id, ...ref}
  })
}
