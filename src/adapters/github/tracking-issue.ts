// The incident's tracking issue on GitHub: one issue per incident and repository, found again by a
// hidden marker in its body (never duplicated on resume), whose playbook checklist is ticked in place
// (`issues.update`, between two markers, so that what people wrote around it stays), and evidence
// comments, each marked so that it is posted once. Every title and body is redacted before it is sent.
import {JwkrError} from '../../core/errors.js'
import type {SecretRegistry} from '../../core/secrets.js'
import type {ChecklistItem, ReportModel} from '../../core/report/report-model.js'
import type {TemplateSet} from '../templates/template-set.js'
import type {GitHubClient} from './client.js'

export const TRACKING_LABELS = ['security', 'incident', 'jwkr'] as const
export const CHECKLIST_START = '<!-- jwkr-checklist:start -->'
export const CHECKLIST_END = '<!-- jwkr-checklist:end -->'
/** Issues updated since the incident opened, read at most this many pages of 100 to find the marker. */
const MAX_PAGES = 10
/** Our clock and GitHub's may disagree: look a day further back than the incident's opening. */
const CLOCK_MARGIN_MS = 86_400_000

export interface TrackingIssue {
  /** owner/name */
  repo: string
  number: number
  url: string
}

/** The hidden line that identifies an incident's tracking issue. */
export function incidentMarker(id: string): string {
  return `<!-- jwkr-incident: ${id} -->`
}

/** The hidden line that identifies one evidence comment. */
export function commentMarker(id: string, step: string, seq: number): string {
  return `<!-- jwkr-comment: ${id} ${step} ${seq} -->`
}

const REPO = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/

/** `owner/name` → its parts. */
export function parseRepo(repo: string): {owner: string; repo: string} {
  const match = REPO.exec(repo.trim())
  if (!match || match[2] === '.' || match[2] === '..') {
    throw new JwkrError('ERR_GITHUB_REPO_INVALID', `"${repo}" is not a GitHub repository (owner/name).`, {
      hint: 'Write it as owner/name, e.g. example-org/security-incidents.',
    })
  }
  return {owner: match[1] as string, repo: match[2] as string}
}

/** `[jwkr] Leaked key <thumbprint> (<incident>)`, with `[DRILL]` for drills. */
export function trackingIssueTitle(model: Pick<ReportModel, 'incident' | 'key'>): string {
  const drill = model.incident.drill ? '[DRILL] ' : ''
  return `[jwkr] ${drill}Leaked key ${model.key.thumbprint ?? '(no thumbprint)'} (${model.incident.id})`
}

/** The model the checklist template renders: the incident and one item per playbook step. */
export interface ChecklistModel {
  incident: {id: string; drill: boolean}
  checklist: ChecklistItem[]
}

export function renderChecklist(templates: TemplateSet, model: ChecklistModel): string {
  return `${CHECKLIST_START}\n${templates.render('github/checklist.md', model).trim()}\n${CHECKLIST_END}`
}

/** Title and body of a new tracking issue: the facts, the checklist between its markers, the hidden incident marker. */
export function renderTrackingIssue(templates: TemplateSet, model: ReportModel): {title: string; body: string} {
  const facts = templates.render('github/issue.md', model).trim()
  const checklist = renderChecklist(templates, {incident: model.incident, checklist: model.checklist})
  return {title: trackingIssueTitle(model), body: `${facts}\n\n${checklist}\n\n${incidentMarker(model.incident.id)}\n`}
}

/** The body with its checklist replaced (or appended, when someone removed the markers). */
export function withChecklist(body: string, checklist: string): string {
  const start = body.indexOf(CHECKLIST_START)
  const end = body.indexOf(CHECKLIST_END, start)
  if (start < 0 || end < 0) return `${body.trimEnd()}\n\n${checklist}\n`
  return `${body.slice(0, start)}${checklist}${body.slice(end + CHECKLIST_END.length)}`
}

export interface FindIssueOptions {
  repo: string
  incidentId: string
  /** The incident's opening: the issue was created (so updated) after it. */
  since?: string | null
}

/**
 * The incident's tracking issue, found by its marker among the repository's issues updated since the
 * incident opened (the issues list, not search: a just-created issue is not in the search index yet).
 */
export async function findTrackingIssue(client: GitHubClient, options: FindIssueOptions): Promise<TrackingIssue | undefined> {
  const found = await findIssueItem(client, options)
  return found ? {repo: options.repo, number: found.number, url: found.html_url} : undefined
}

/** The issue as GitHub lists it (the same shape issues.create answers), found by the incident marker. */
async function findIssueItem(
  client: GitHubClient,
  options: FindIssueOptions,
): Promise<{number: number; html_url: string} | undefined> {
  const {owner, repo} = parseRepo(options.repo)
  const marker = incidentMarker(options.incidentId)
  let pages = 0
  const iterator = client.paginate.iterator(client.rest.issues.listForRepo, {
    owner,
    repo,
    state: 'all',
    sort: 'created',
    direction: 'desc',
    per_page: 100,
    ...(options.since ? {since: new Date(Date.parse(options.since) - CLOCK_MARGIN_MS).toISOString()} : {}),
  })
  for await (const response of iterator) {
    const found = response.data.find((issue) => !issue.pull_request && (issue.body ?? '').includes(marker))
    if (found) return found
    if (++pages >= MAX_PAGES) break
  }
  return undefined
}

export interface CreateIssueOptions {
  repo: string
  /** The incident the issue is rendered from (renderTrackingIssue); its marker finds the issue again. */
  model: ReportModel
  templates: TemplateSet
  labels?: readonly string[]
  secrets: SecretRegistry
}

/**
 * Opens the tracking issue. A create GitHub answers 5xx to (or not at all) may have been applied: it
 * is looked for by the incident marker before it is sent again.
 */
export async function createTrackingIssue(client: GitHubClient, options: CreateIssueOptions): Promise<TrackingIssue> {
  const {owner, repo} = parseRepo(options.repo)
  const {model, secrets} = options
  const {title, body} = renderTrackingIssue(options.templates, model)
  const {data} = await client.rest.issues.create({
    owner,
    repo,
    title: secrets.redact(title),
    body: secrets.redact(body),
    labels: [...(options.labels ?? TRACKING_LABELS)],
    request: {
      reconcile: () => findIssueItem(client, {repo: options.repo, incidentId: model.incident.id, since: model.incident.openedAt}),
    },
  })
  return {repo: options.repo, number: data.number, url: data.html_url}
}

/**
 * Puts the current checklist into the issue's body (reading the body first, so edits people made
 * around it stay). Returns false when the body already held it.
 */
export async function updateChecklist(
  client: GitHubClient,
  issue: TrackingIssue,
  checklist: string,
  secrets: SecretRegistry,
): Promise<boolean> {
  const {owner, repo} = parseRepo(issue.repo)
  const {data} = await client.rest.issues.get({owner, repo, issue_number: issue.number})
  const body = data.body ?? ''
  const next = withChecklist(body, secrets.redact(checklist))
  if (next === body) return false
  await client.rest.issues.update({
    owner,
    repo,
    issue_number: issue.number,
    body: next,
    // Sent again only when GitHub does not hold the new body yet.
    request: {
      reconcile: async () => {
        const current = (await client.rest.issues.get({owner, repo, issue_number: issue.number})).data
        return current.body === next ? current : undefined
      },
    },
  })
  return true
}

/** Posts a comment unless one with its marker is already there. Returns whether it was posted. */
export async function postComment(
  client: GitHubClient,
  issue: TrackingIssue,
  comment: {marker: string; body: string},
  secrets: SecretRegistry,
): Promise<boolean> {
  if ((await findComment(client, issue, comment.marker)) !== undefined) return false
  const {owner, repo} = parseRepo(issue.repo)
  await client.rest.issues.createComment({
    owner,
    repo,
    issue_number: issue.number,
    body: `${withinBodyLimit(secrets.redact(comment.body.trim()), comment.marker.length + 3)}\n\n${comment.marker}\n`,
    request: {reconcile: () => findComment(client, issue, comment.marker)},
  })
  return true
}

/** GitHub's longest issue or comment body, in characters ("body is too long (maximum is 65536 characters)"). */
export const GITHUB_BODY_LIMIT = 65_536

/** The text cut at a line end so that, with `reserved` characters more, it fits GitHub's limit, saying it was cut. */
export function withinBodyLimit(text: string, reserved = 0): string {
  const note = '\n\n_(cut to fit GitHub: the incident’s journal holds the rest)_'
  const room = GITHUB_BODY_LIMIT - reserved
  if (text.length <= room) return text
  const cut = text.lastIndexOf('\n', room - note.length)
  return `${text.slice(0, cut > 0 ? cut : room - note.length)}${note}`
}

/** The issue's comment that carries the marker, as GitHub lists it. */
async function findComment(client: GitHubClient, issue: TrackingIssue, marker: string): Promise<unknown> {
  const {owner, repo} = parseRepo(issue.repo)
  const comments = client.paginate.iterator(client.rest.issues.listComments, {
    owner,
    repo,
    issue_number: issue.number,
    per_page: 100,
  })
  for await (const response of comments) {
    const found = response.data.find((existing) => (existing.body ?? '').includes(marker))
    if (found) return found
  }
  return undefined
}

export interface OpenIssueOptions {
  repo: string
  model: ReportModel
  templates: TemplateSet
  secrets: SecretRegistry
  labels?: readonly string[]
}

/** Finds the incident's issue, or creates it. Either way its checklist then matches the model. */
export async function openTrackingIssue(
  client: GitHubClient,
  options: OpenIssueOptions,
): Promise<TrackingIssue & {created: boolean}> {
  const {model, templates, secrets} = options
  const found = await findTrackingIssue(client, {
    repo: options.repo,
    incidentId: model.incident.id,
    since: model.incident.openedAt,
  })
  if (found) {
    await updateChecklist(
      client,
      found,
      renderChecklist(templates, {incident: model.incident, checklist: model.checklist}),
      secrets,
    )
    return {...found, created: false}
  }
  const created = await createTrackingIssue(client, {repo: options.repo, model, templates, labels: options.labels, secrets})
  return {...created, created: true}
}
