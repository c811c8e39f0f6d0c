// notify.github: the incident's tracking issue on GitHub, opened once (title with the thumbprint,
// labels, the facts, a checklist of the playbook's steps) and found again by its hidden marker on
// resume, never duplicated; from then on the `github-issue` observer ticks the checklist and posts the
// containment evidence as comments. The work is the notify service's (services/notify-github.ts),
// which `jwkr notify github` calls too.
import {JwkrError} from '../../core/errors.js'
import {defineStep} from '../define-step.js'
import {Nullable, Type, type Static} from '../step-schema.js'
import {templatesInput} from './report-rca.js'
import {prose} from '../../core/prose.js'
import {
  createGitHubClient,
  githubSettingsFromEnv,
  githubTarget,
  GITHUB_ISSUE_EVENT,
  issueRecord,
  openIssue,
  TRACKING_LABELS,
  type GitHubClientTuning,
  type GitHubTarget,
} from '../../services/notify-github.js'

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

export interface NotifyGithubStepOptions {
  client?: GitHubClientTuning
}

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

/** notify.github with its GitHub client tuned (tests turn retries and write pacing off). */
export function createNotifyGithubStep(options: NotifyGithubStepOptions = {}) {
  return defineStep({
    id: 'notify.github',
    title: 'Open the GitHub tracking issue',
    description: prose`
      Opens one tracking issue for the incident in notify.github.repo (title with the thumbprint, labels security,
      incident and jwkr, the facts and a checklist of the playbook’s steps), or finds it again by its hidden marker.
      The checklist is then ticked as steps finish and containment evidence is posted as comments. Needs
      GITHUB_TOKEN; without it, or without a repository, the step is skipped and says which is missing.`,
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
      // GitHub's retries (a 5xx, a rate limit) show as the step's progress: a wait of 14 s is not silent.
      const log = {warn: (message: string) => context.progress({message})}
      const client = createGitHubClient({...settings, log, ...options.client, secrets: context.secrets})
      context.progress({message: `Opening the tracking issue in ${target.repo}`})
      const events = context.events()
      const ref = await openIssue({
        client,
        repo: target.repo,
        labels: input.labels,
        templates: target.templates,
        events,
        incidentDir: context.incident.dir,
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
