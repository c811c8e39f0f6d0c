// The GitHub simulator: one state machine for the REST endpoints jwkr's GitHub adapters use (issue
// and code search, issues and their comments, repository contents, git refs, pull requests), answering
// as GitHub does: token auth (401 "Requires authentication" / "Bad credentials"), 404 "Not Found", 400
// "Problems parsing JSON", 422 "Validation Failed" with `errors[]`, 409 on a stale sha,
// `{message, documentation_url, status}` bodies, Link pagination, the 1,000-result search cap, one
// number sequence for a repository's issues and pull requests. Every request is recorded. Faults:
// scripted rules per route (drill scenarios, fault-script.ts) and the switches tests flip (outage,
// primary and secondary rate limits, failAfterWrite, hang, incompleteResults). Transports:
// src/drill/fake-github.ts (node:http, the drill) and test/mocks/github.ts (msw); both are checked
// against GitHub's OpenAPI description (test/adapters/github/openapi-contract.test.ts). New
// endpoints: add the route to GITHUB_ROUTES and its resolver to RESOLVERS.
import {createHash} from 'node:crypto'

import {GITHUB_BODY_LIMIT} from '../adapters/github/tracking-issue.js'
import {createFaultScript, type FaultScript} from './fault-script.js'
import {parseJson} from './loopback-server.js'
import {recordOf, take, type RecordedRequest, type SimReply, type SimRequest} from './simulator.js'

export const GITHUB_ROUTES = [
  'GET /user',
  'GET /search/issues',
  'GET /search/code',
  'GET /repos/{owner}/{repo}',
  'GET /repos/{owner}/{repo}/issues',
  'POST /repos/{owner}/{repo}/issues',
  'GET /repos/{owner}/{repo}/issues/{number}',
  'PATCH /repos/{owner}/{repo}/issues/{number}',
  'GET /repos/{owner}/{repo}/issues/{number}/comments',
  'POST /repos/{owner}/{repo}/issues/{number}/comments',
  'PATCH /repos/{owner}/{repo}/issues/comments/{id}',
  'GET /repos/{owner}/{repo}/contents/{path+}',
  'PUT /repos/{owner}/{repo}/contents/{path+}',
  'GET /repos/{owner}/{repo}/git/ref/{ref+}',
  'POST /repos/{owner}/{repo}/git/refs',
  'GET /repos/{owner}/{repo}/pulls',
  'POST /repos/{owner}/{repo}/pulls',
] as const

export type GitHubRoute = (typeof GITHUB_ROUTES)[number]

export interface PullShape {
  number: number
  title: string
  body: string
  /** Branch names (the head in the same repository). */
  head: string
  base: string
  state: 'open' | 'closed'
}

export interface CommentShape {
  id: number
  body: string
  createdAt: string
  /** Absent: never edited (same as createdAt). */
  updatedAt?: string
}

export interface IssueShape {
  number: number
  title: string
  body: string
  state: 'open' | 'closed'
  labels: string[]
  /** Logins; absent: none. */
  assignees?: string[]
  comments: CommentShape[]
  createdAt: string
  updatedAt: string
}

/** A commit: its parent, message and the whole tree (path → content). */
export interface CommitShape {
  parent: string | null
  message: string
  files: Record<string, string>
}

/** A repository: branches pointing at commits of whole trees, its pull requests and issues. */
export interface RepositoryState {
  /** owner/name */
  fullName: string
  defaultBranch: string
  /** Branch name → the sha of its head commit. */
  branches: Record<string, string>
  /** Commit sha → the commit. */
  commits: Record<string, CommitShape>
  pulls: PullShape[]
  /** Numbered with the pulls, as GitHub numbers them. */
  issues: IssueShape[]
}

/** A file code search finds without it being in a repository of the simulator. */
export interface IndexedFile {
  /** owner/name */
  repo: string
  path: string
  content: string
}

/** One request as the simulator saw it, and (once answered) the answer. */
export interface GitHubRecord extends RecordedRequest {
  /** ISO time it arrived. */
  at?: string
  /** The route it matched. */
  route?: GitHubRoute | null
  /** Absent until answered. `fault`: a scripted fault or a switch answered instead of GitHub. */
  answer?: {status: number | 'drop' | 'hang'; fault: boolean}
}

export interface GitHubState {
  /** The API root as clients see it, without a trailing slash (`https://api.github.com`, `https://HOST/api/v3`). */
  baseUrl: string
  /** Tokens the API accepts. */
  tokens: string[]
  /** Who the tokens belong to (GET /user, authors of issues and comments). */
  bot: {login: string; id: number; type: 'Bot' | 'User'}
  repos: RepositoryState[]
  /** More files code search looks through, besides the default branches of `repos`. */
  files: IndexedFile[]
  /** Every request that reached the API, in order. */
  requests: GitHubRecord[]
  /** Scripted faults per route (a drill scenario's). */
  faults: FaultScript
  /** The next `times` authenticated requests get a 403 secondary rate limit with `retry-after`. */
  secondaryRateLimit: {times: number; retryAfter: number} | null
  /** The next `times` authenticated requests find the quota used up (403 or 429, remaining 0, reset). */
  primaryRateLimit: {times: number; status: 403 | 429; resetInSeconds: number} | null
  /** The next `times` requests fail with a 5xx. */
  outage: {times: number; status: 500 | 502 | 503} | null
  /** The next `times` authenticated requests are never answered. */
  hang: {times: number} | null
  /**
   * The next `times` writes (POST, PATCH, PUT, DELETE) are applied, then answered with a 5xx or no answer
   * at all (`'network'`): what GitHub does when it fails after the write, or the connection drops.
   */
  failAfterWrite: {times: number; status: 500 | 502 | 503 | 'network'} | null
  /** Code search answers with incomplete_results: true (the search timed out on GitHub's side). */
  incompleteResults: boolean
  now: () => number
}

export const GITHUB_DOCS = {
  rest: 'https://docs.github.com/rest',
  searchCode: 'https://docs.github.com/rest/search/search#search-code',
  primary: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits',
  secondary: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
}

const SEARCH_CAP = 1000
const MAX_QUERY_TERM_LENGTH = 256
const REQUEST_ID = 'C0DE:5EA4:1234567:89ABCDE:65F00000'

export function createGitHubState(init: Partial<GitHubState> = {}): GitHubState {
  return {
    baseUrl: 'https://api.github.com',
    tokens: [],
    bot: {login: 'jwkr-bot', id: 1, type: 'User'},
    repos: [],
    files: [],
    requests: [],
    faults: createFaultScript([]),
    secondaryRateLimit: null,
    primaryRateLimit: null,
    outage: null,
    hang: null,
    failAfterWrite: null,
    incompleteResults: false,
    now: Date.now,
    ...init,
  }
}

let commits = 0

/** A repository whose default branch holds `files` in one initial commit. */
export function createGitHubRepo(fullName: string, files: Record<string, string>, defaultBranch = 'main'): RepositoryState {
  const sha = commitSha(null, 'Initial commit', files)
  return {
    fullName,
    defaultBranch,
    branches: {[defaultBranch]: sha},
    commits: {[sha]: {parent: null, message: 'Initial commit', files: {...files}}},
    pulls: [],
    issues: [],
  }
}

export function findRepo(state: GitHubState, fullName: string): RepositoryState | undefined {
  return state.repos.find((repo) => repo.fullName.toLowerCase() === fullName.toLowerCase())
}

/** The content of a file at the head of a branch (undefined when either is missing). */
export function fileAt(repo: RepositoryState, branch: string, path: string): string | undefined {
  const head = repo.branches[branch]
  return head === undefined ? undefined : repo.commits[head]?.files[path]
}

/** The issues of a repository (the tests' name for `repo.issues`). */
export function issuesOf(repo: RepositoryState): IssueShape[] {
  return repo.issues
}

/** git's blob id of the content, as GitHub reports it. */
export function blobSha(content: string): string {
  const bytes = Buffer.from(content)
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex')
}

interface Reply {
  status: number
  json: unknown
  headers?: Record<string, string>
}

interface Context {
  state: GitHubState
  params: Record<string, string>
  url: URL
  query: URLSearchParams
  body: Record<string, unknown>
  repo: RepositoryState | undefined
}

type Resolver = (context: Context) => Reply

/** Answers one request below the API root, and records it. */
export function answerGitHub(state: GitHubState, request: SimRequest): {reply: SimReply; record: GitHubRecord} {
  const match = findRoute(request.method, request.path)
  const record: GitHubRecord = {...recordOf(request), at: new Date(state.now()).toISOString(), route: match?.route ?? null}
  state.requests.push(record)
  const {reply, fault} = answer(state, request, match)
  const out: SimReply = 'network' in reply ? reply : {...reply, headers: {...standardHeaders(state), ...reply.headers}}
  record.answer = {status: 'network' in reply ? reply.network : reply.status, fault}
  return {reply: out, record}
}

function answer(
  state: GitHubState,
  request: SimRequest,
  match: ReturnType<typeof findRoute>,
): {reply: Reply | {network: 'drop' | 'hang'}; fault: boolean} {
  const refused = gate(state, request.headers.authorization)
  if (refused) return refused
  if (!match) return {reply: githubError(404, 'Not Found'), fault: false}
  const scripted = state.faults.next(match.route)
  if (scripted) {
    const message =
      scripted.status === 503 ? 'Service Unavailable' : scripted.status === 429 ? 'API rate limit exceeded' : 'Server Error'
    const headers: Record<string, string> = scripted.retryAfter === undefined ? {} : {'retry-after': String(scripted.retryAfter)}
    return {reply: githubError(scripted.status, message, GITHUB_DOCS.rest, headers), fault: true}
  }
  const parsed = request.body === '' ? {} : parseJson(request.body)
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return {reply: githubError(400, 'Problems parsing JSON'), fault: false}
  }
  const {params} = match
  const repo = params.owner === undefined ? undefined : findRepo(state, `${params.owner}/${params.repo ?? ''}`)
  const query = request.url.searchParams
  const reply = RESOLVERS[match.route]({state, params, url: request.url, query, body: parsed as Record<string, unknown>, repo})
  const lost = request.method !== 'GET' && reply.status < 300 ? state.failAfterWrite : null
  if (!lost || !take(lost)) return {reply, fault: false}
  return {reply: lost.status === 'network' ? {network: 'drop'} : githubError(lost.status, 'Server Error'), fault: true}
}

/** Auth, then the switches that answer before GitHub looks at the request. */
function gate(
  state: GitHubState,
  authorization: string | undefined,
): {reply: Reply | {network: 'hang'}; fault: boolean} | undefined {
  if (authorization === undefined) return {reply: githubError(401, 'Requires authentication'), fault: false}
  const token = /^(?:bearer|token)\s+(\S+)$/i.exec(authorization)?.[1]
  if (token === undefined || !state.tokens.includes(token)) return {reply: githubError(401, 'Bad credentials'), fault: false}
  if (take(state.hang)) return {reply: {network: 'hang'}, fault: true}
  const outage = state.outage
  if (take(outage)) return {reply: githubError(outage?.status ?? 503, 'Server Error'), fault: true}
  const secondary = state.secondaryRateLimit
  if (take(secondary) && secondary) {
    const message = `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${REQUEST_ID}.`
    const headers = {'retry-after': String(secondary.retryAfter), ...quotaHeaders(state, 10, 9)}
    return {reply: githubError(403, message, GITHUB_DOCS.secondary, headers), fault: true}
  }
  const primary = state.primaryRateLimit
  if (take(primary) && primary) {
    const message = `API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID ${REQUEST_ID}.`
    const headers = quotaHeaders(state, 10, 0, Math.floor(state.now() / 1000) + primary.resetInSeconds)
    return {reply: githubError(primary.status, message, GITHUB_DOCS.primary, headers), fault: true}
  }
  return undefined
}

const MATCHERS = GITHUB_ROUTES.map((route) => {
  const [method = '', template = ''] = route.split(' ')
  const names: string[] = []
  const pattern = template.replace(/\{(\w+)(\+?)\}/g, (_, name: string, rest: string) => {
    names.push(name)
    return rest ? '(.+)' : name === 'number' || name === 'id' ? '(\\d+)' : '([^/]+)'
  })
  return {route, method, names, regex: new RegExp(`^${pattern}$`)}
})

function findRoute(method: string, path: string): {route: GitHubRoute; params: Record<string, string>} | undefined {
  for (const matcher of MATCHERS) {
    const found = matcher.method === method ? matcher.regex.exec(path) : null
    if (found) {
      const params = Object.fromEntries(matcher.names.map((name, index) => [name, decodeURIComponent(found[index + 1] ?? '')]))
      return {route: matcher.route, params}
    }
  }
  return undefined
}

const RESOLVERS: Record<GitHubRoute, Resolver> = {
  'GET /user': ({state}) => ({status: 200, json: state.bot}),
  'GET /search/issues': searchIssues,
  'GET /search/code': searchCode,
  'GET /repos/{owner}/{repo}': withRepo((repo, {state}) => ({status: 200, json: repoItem(state, repo.fullName, repo)})),
  'GET /repos/{owner}/{repo}/issues': withRepo(listIssues),
  'POST /repos/{owner}/{repo}/issues': withRepo(createIssue),
  'GET /repos/{owner}/{repo}/issues/{number}': withIssue((issue, repo, {state}) => ({
    status: 200,
    json: issueItem(state, repo, issue),
  })),
  'PATCH /repos/{owner}/{repo}/issues/{number}': withIssue(updateIssue),
  'GET /repos/{owner}/{repo}/issues/{number}/comments': withIssue(listComments),
  'POST /repos/{owner}/{repo}/issues/{number}/comments': withIssue(createComment),
  'PATCH /repos/{owner}/{repo}/issues/comments/{id}': withRepo(updateComment),
  'GET /repos/{owner}/{repo}/contents/{path+}': withRepo(getContent),
  'PUT /repos/{owner}/{repo}/contents/{path+}': withRepo(putContent),
  'GET /repos/{owner}/{repo}/git/ref/{ref+}': withRepo(getRef),
  'POST /repos/{owner}/{repo}/git/refs': withRepo(createRef),
  'GET /repos/{owner}/{repo}/pulls': withRepo(listPulls),
  'POST /repos/{owner}/{repo}/pulls': withRepo(createPull),
}

function withRepo(resolve: (repo: RepositoryState, context: Context) => Reply): Resolver {
  return (context) => (context.repo ? resolve(context.repo, context) : githubError(404, 'Not Found'))
}

function withIssue(resolve: (issue: IssueShape, repo: RepositoryState, context: Context) => Reply): Resolver {
  return withRepo((repo, context) => {
    const issue = repo.issues.find((item) => item.number === Number(context.params.number))
    return issue ? resolve(issue, repo, context) : githubError(404, 'Not Found')
  })
}

export function githubError(status: number, message: string, documentationUrl = GITHUB_DOCS.rest, headers = {}): Reply {
  return {status, json: {message, documentation_url: documentationUrl, status: String(status)}, headers}
}

function validationFailed(errors: Array<Record<string, string>>): Reply {
  return {status: 422, json: {message: 'Validation Failed', errors, documentation_url: GITHUB_DOCS.rest, status: '422'}}
}

function standardHeaders(state: GitHubState): Record<string, string> {
  return {'x-oauth-scopes': 'repo', ...quotaHeaders(state, 5000, 4999, undefined, 'core')}
}

function quotaHeaders(state: GitHubState, limit: number, remaining: number, reset?: number, resource = 'code_search') {
  return {
    'x-github-request-id': REQUEST_ID,
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-used': String(limit - remaining),
    'x-ratelimit-reset': String(reset ?? Math.floor(state.now() / 1000) + 60),
    'x-ratelimit-resource': resource,
  }
}

/** `per_page` and `page` of a list request (GitHub's defaults: 30, 1). */
function pageOf(query: URLSearchParams): {perPage: number; page: number} {
  return {
    perPage: Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30)),
    page: Math.max(1, Number(query.get('page') ?? 1) || 1),
  }
}

/** One page of a list, with the Link header that points at the others. */
function paged<T>(url: URL, items: T[], reachable = items.length): {items: T[]; headers: Record<string, string>} {
  const {perPage, page} = pageOf(url.searchParams)
  const lastPage = Math.max(1, Math.ceil(reachable / perPage))
  const at = (n: number) => {
    const next = new URL(url)
    next.searchParams.set('page', String(n))
    return next.toString()
  }
  const links: string[] = []
  if (page < lastPage) links.push(`<${at(page + 1)}>; rel="next"`, `<${at(lastPage)}>; rel="last"`)
  if (page > 1) links.push(`<${at(page - 1)}>; rel="prev"`, `<${at(1)}>; rel="first"`)
  return {
    items: items.slice((page - 1) * perPage, Math.min(page * perPage, reachable)),
    headers: links.length > 0 ? {link: links.join(', ')} : {},
  }
}

/** Where the API, the web pages and raw files of this GitHub (or GitHub Enterprise) live. */
function urlsOf(state: GitHubState): {api: string; web: string; raw: string} {
  const api = state.baseUrl.replace(/\/$/, '')
  if (/^https:\/\/api\.github\.com$/.test(api)) return {api, web: 'https://github.com', raw: 'https://raw.githubusercontent.com'}
  const web = api.replace(/\/api\/v3$/, '')
  return {api, web, raw: `${web}/raw`}
}

// Issues and comments. The issues list holds pull requests too (with a `pull_request` member; pulls
// are not dated, so only without `since`).

function listIssues(repo: RepositoryState, {state, url, query}: Context): Reply {
  const wanted = query.get('state') ?? 'open'
  const labels = (query.get('labels') ?? '').split(',').filter(Boolean)
  const since = query.get('since')
  const sinceTime = since === null ? Number.NEGATIVE_INFINITY : Date.parse(since)
  if (Number.isNaN(sinceTime)) return validationFailed([{resource: 'Issue', code: 'invalid', field: 'since'}])
  const issues = repo.issues
    .filter(
      (issue) =>
        (wanted === 'all' || issue.state === wanted) &&
        labels.every((label) => issue.labels.includes(label)) &&
        Date.parse(issue.updatedAt) >= sinceTime,
    )
    .map((issue) => issueItem(state, repo, issue))
  const pulls = since !== null || labels.length > 0 ? [] : repo.pulls.filter((pull) => wanted === 'all' || pull.state === wanted)
  const items = [
    ...issues,
    ...pulls.map((pull) => ({
      ...pullItem(state, repo, pull),
      pull_request: {url: `${urlsOf(state).api}/repos/${repo.fullName}/pulls/${pull.number}`},
    })),
  ].sort((a, b) => (query.get('direction') === 'asc' ? a.number - b.number : b.number - a.number))
  const page = paged(url, items)
  return {status: 200, json: page.items, headers: page.headers}
}

function createIssue(repo: RepositoryState, {state, body}: Context): Reply {
  if (typeof body.title !== 'string' || body.title.trim() === '') {
    const missing = body.title === undefined || body.title === null
    return validationFailed([{resource: 'Issue', code: missing ? 'missing_field' : 'invalid', field: 'title'}])
  }
  const labels = labelNames(body.labels)
  if (labels === undefined) return validationFailed([{resource: 'Issue', code: 'invalid', field: 'labels'}])
  const problem = bodyProblem(body.body, 'Issue')
  if (problem) return validationFailed([problem])
  const at = new Date(state.now()).toISOString()
  const issue: IssueShape = {
    number: nextNumber(repo),
    title: body.title,
    body: typeof body.body === 'string' ? body.body : '',
    state: 'open',
    labels,
    assignees: Array.isArray(body.assignees) ? body.assignees.filter((item): item is string => typeof item === 'string') : [],
    comments: [],
    createdAt: at,
    updatedAt: at,
  }
  repo.issues.push(issue)
  return {status: 201, json: issueItem(state, repo, issue)}
}

function updateIssue(issue: IssueShape, repo: RepositoryState, {state, body}: Context): Reply {
  if (body.state !== undefined && body.state !== 'open' && body.state !== 'closed') {
    return validationFailed([{resource: 'Issue', code: 'invalid', field: 'state'}])
  }
  if (body.title !== undefined && (typeof body.title !== 'string' || body.title.trim() === '')) {
    return validationFailed([{resource: 'Issue', code: 'invalid', field: 'title'}])
  }
  const labels = body.labels === undefined ? issue.labels : labelNames(body.labels)
  if (labels === undefined) return validationFailed([{resource: 'Issue', code: 'invalid', field: 'labels'}])
  const problem = bodyProblem(body.body, 'Issue')
  if (problem) return validationFailed([problem])
  Object.assign(issue, {
    ...(typeof body.title === 'string' ? {title: body.title} : {}),
    ...(typeof body.body === 'string' ? {body: body.body} : {}),
    ...(body.state === 'open' || body.state === 'closed' ? {state: body.state} : {}),
    labels,
    updatedAt: new Date(state.now()).toISOString(),
  })
  return {status: 200, json: issueItem(state, repo, issue)}
}

function listComments(issue: IssueShape, repo: RepositoryState, {state, url}: Context): Reply {
  const page = paged(url, issue.comments)
  return {status: 200, json: page.items.map((comment) => commentItem(state, repo, issue, comment)), headers: page.headers}
}

function createComment(issue: IssueShape, repo: RepositoryState, {state, body}: Context): Reply {
  const problem = commentProblem(body.body)
  if (problem) return problem
  const at = new Date(state.now()).toISOString()
  const comment: CommentShape = {
    id: 1000 + repo.issues.reduce((count, each) => count + each.comments.length, 0),
    body: String(body.body),
    createdAt: at,
  }
  issue.comments.push(comment)
  issue.updatedAt = at
  return {status: 201, json: commentItem(state, repo, issue, comment)}
}

function updateComment(repo: RepositoryState, {state, params, body}: Context): Reply {
  const issue = repo.issues.find((item) => item.comments.some((comment) => comment.id === Number(params.id)))
  const comment = issue?.comments.find((item) => item.id === Number(params.id))
  if (!issue || !comment) return githubError(404, 'Not Found')
  const problem = commentProblem(body.body)
  if (problem) return problem
  comment.body = String(body.body)
  comment.updatedAt = new Date(state.now()).toISOString()
  return {status: 200, json: commentItem(state, repo, issue, comment)}
}

function commentProblem(body: unknown): Reply | undefined {
  if (typeof body !== 'string' || body === '') {
    return validationFailed([{resource: 'IssueComment', code: 'missing_field', field: 'body'}])
  }
  const problem = bodyProblem(body, 'IssueComment')
  return problem ? validationFailed([problem]) : undefined
}

function bodyProblem(body: unknown, resource: string): Record<string, string> | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body !== 'string') return {resource, field: 'body', code: 'invalid'}
  if (body.length <= GITHUB_BODY_LIMIT) return undefined
  return {resource, field: 'body', code: 'custom', message: `body is too long (maximum is ${GITHUB_BODY_LIMIT} characters)`}
}

function labelNames(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) return undefined
  const names = value.map((item) =>
    typeof item === 'string' ? item : typeof item?.name === 'string' ? (item.name as string) : undefined,
  )
  return names.every((name): name is string => typeof name === 'string' && name !== '') ? [...new Set(names)] : undefined
}

/** Issues and pull requests share one sequence of numbers, as on GitHub. */
function nextNumber(repo: RepositoryState): number {
  return repo.issues.length + repo.pulls.length + 1
}

function issueItem(state: GitHubState, repo: RepositoryState, issue: IssueShape) {
  const {api, web} = urlsOf(state)
  const self = `${api}/repos/${repo.fullName}/issues/${issue.number}`
  return {
    id: idOf(`${repo.fullName}#${issue.number}`),
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    locked: false,
    labels: issue.labels.map((name) => ({id: idOf(`label:${name}`), name, color: 'ededed', default: false})),
    assignees: (issue.assignees ?? []).map((login) => ({login, type: 'User'})),
    comments: issue.comments.length,
    user: state.bot,
    author_association: 'NONE',
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.state === 'closed' ? issue.updatedAt : null,
    url: self,
    comments_url: `${self}/comments`,
    repository_url: `${api}/repos/${repo.fullName}`,
    html_url: `${web}/${repo.fullName}/issues/${issue.number}`,
  }
}

function commentItem(state: GitHubState, repo: RepositoryState, issue: IssueShape, comment: CommentShape) {
  const {api, web} = urlsOf(state)
  return {
    id: comment.id,
    body: comment.body,
    user: state.bot,
    created_at: comment.createdAt,
    updated_at: comment.updatedAt ?? comment.createdAt,
    url: `${api}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    issue_url: `${api}/repos/${repo.fullName}/issues/${issue.number}`,
    html_url: `${web}/${repo.fullName}/issues/${issue.number}#issuecomment-${comment.id}`,
  }
}

// Search: issues (repo:, is:, state:, label:, in:) and code (legacy syntax; org:, user:, repo:,
// path:, filename: narrow it), other words match.

function searchIssues({state, query}: Context): Reply {
  const q = query.get('q')
  if (q === null || q.trim() === '') return validationFailed([{resource: 'Search', field: 'q', code: 'missing'}])
  const {terms, qualifiers} = parseQuery(q)
  const all = (name: string) => qualifiers.filter((item) => item.name === name).map((item) => item.value.toLowerCase())
  const repos = all('repo')
  const is = all('is')
  const states = [...all('state'), ...is.filter((value) => value === 'open' || value === 'closed')]
  const labels = all('label')
  const fields = all('in')
  const searched = (issue: IssueShape) =>
    [
      fields.length === 0 || fields.includes('title') ? issue.title : '',
      fields.length === 0 || fields.includes('body') ? issue.body : '',
    ]
      .join('\n')
      .toLowerCase()
  const items =
    is.includes('pr') || all('type').includes('pr')
      ? []
      : state.repos
          .filter((repo) => repos.length === 0 || repos.includes(repo.fullName.toLowerCase()))
          .flatMap((repo) => repo.issues.map((issue) => ({repo, issue})))
          .filter(({issue}) => states.length === 0 || states.includes(issue.state))
          .filter(({issue}) => labels.every((label) => issue.labels.some((name) => name.toLowerCase() === label)))
          .filter(({issue}) => terms.every((term) => searched(issue).includes(term.toLowerCase())))
          .sort((a, b) => b.issue.number - a.issue.number)
  return {
    status: 200,
    json: {
      total_count: items.length,
      incomplete_results: false,
      items: items.map(({repo, issue}) => issueItem(state, repo, issue)),
    },
  }
}

function searchCode({state, url, query}: Context): Reply {
  const q = query.get('q')
  if (q === null || q.trim() === '') return validationFailed([{resource: 'Search', field: 'q', code: 'missing'}])
  const parsed = parseQuery(q)
  const invalid =
    (q.match(/"/g) ?? []).length % 2 === 1
      ? 'The search contains an unbalanced quotation mark.'
      : parsed.terms.length === 0
        ? 'The search must include at least one search term.'
        : parsed.terms.join(' ').length > MAX_QUERY_TERM_LENGTH
          ? 'The search is longer than 256 characters.'
          : undefined
  if (invalid) return validationFailed([{message: invalid, resource: 'Search', field: 'q', code: 'invalid'}])
  const {perPage, page} = pageOf(query)
  if ((page - 1) * perPage >= SEARCH_CAP) {
    return githubError(422, 'Only the first 1000 search results are available', GITHUB_DOCS.searchCode)
  }
  const matches = indexedFiles(state).filter((file) => matchesCode(file, parsed))
  const result = paged(url, matches, Math.min(matches.length, SEARCH_CAP))
  return {
    status: 200,
    json: {
      total_count: matches.length,
      incomplete_results: state.incompleteResults,
      items: result.items.map((file) => codeItem(state, file)),
    },
    headers: {...quotaHeaders(state, 10, 9), ...result.headers},
  }
}

/** What code search looks through: the default branch of every repository, then the other indexed files. */
function indexedFiles(state: GitHubState): IndexedFile[] {
  const fromRepos = state.repos.flatMap((repo) =>
    Object.entries(repo.commits[repo.branches[repo.defaultBranch] ?? '']?.files ?? {}).map(([path, content]) => ({
      repo: repo.fullName,
      path,
      content,
    })),
  )
  const seen = new Set(fromRepos.map((file) => `${file.repo.toLowerCase()}/${file.path}`))
  return [...state.files.filter((file) => !seen.has(`${file.repo.toLowerCase()}/${file.path}`)), ...fromRepos]
}

const QUALIFIERS = new Set([
  ...['repo', 'is', 'state', 'label', 'in', 'type', 'org', 'user', 'path', 'filename', 'author'],
  ...['language', 'extension', 'size', 'fork'],
])

/** Quoted exact strings, bare words, and `name:value` qualifiers (`name:"a value"` too). */
function parseQuery(q: string): {terms: string[]; qualifiers: Array<{name: string; value: string}>} {
  const terms: string[] = []
  const qualifiers: Array<{name: string; value: string}> = []
  for (const [, name, quotedValue, value, quoted, bare] of q.matchAll(/([a-z]+):(?:"([^"]*)"|(\S+))|"([^"]*)"|(\S+)/g)) {
    if (name !== undefined && QUALIFIERS.has(name)) qualifiers.push({name, value: quotedValue ?? value ?? ''})
    else if (name !== undefined) terms.push(`${name}:${quotedValue ?? value ?? ''}`)
    else if ((quoted ?? bare ?? '').trim() !== '') terms.push(quoted ?? bare ?? '')
  }
  return {terms, qualifiers}
}

function matchesCode(file: IndexedFile, query: ReturnType<typeof parseQuery>): boolean {
  for (const {name, value} of query.qualifiers) {
    const wanted = value.toLowerCase()
    if ((name === 'org' || name === 'user') && file.repo.split('/')[0]?.toLowerCase() !== wanted) return false
    if (name === 'repo' && file.repo.toLowerCase() !== wanted) return false
    if (name === 'path' && !file.path.toLowerCase().startsWith(wanted.replace(/^\//, ''))) return false
    if (name === 'filename' && file.path.split('/').pop()?.toLowerCase() !== wanted) return false
  }
  // Code search is not case sensitive.
  const content = file.content.toLowerCase()
  return query.terms.every((term) => content.includes(term.toLowerCase()))
}

function codeItem(state: GitHubState, file: IndexedFile) {
  const sha = blobSha(file.content)
  const {api, web} = urlsOf(state)
  return {
    name: file.path.split('/').pop(),
    path: file.path,
    sha,
    url: `${api}/repos/${file.repo}/contents/${file.path}?ref=${sha}`,
    git_url: `${api}/repos/${file.repo}/git/blobs/${sha}`,
    html_url: `${web}/${file.repo}/blob/${sha}/${file.path}`,
    repository: repoItem(state, file.repo, findRepo(state, file.repo)),
    score: 1,
  }
}

function repoItem(state: GitHubState, fullName: string, repo: RepositoryState | undefined) {
  const [owner = '', name = ''] = fullName.split('/')
  return {
    id: idOf(fullName),
    name,
    full_name: fullName,
    private: repo !== undefined,
    owner: {login: owner, type: 'Organization'},
    html_url: `${urlsOf(state).web}/${fullName}`,
    ...(repo ? {default_branch: repo.defaultBranch, has_issues: true, permissions: {admin: false, push: true, pull: true}} : {}),
  }
}

// Contents, refs and pull requests.

function getContent(repo: RepositoryState, {state, params, query}: Context): Reply {
  const path = params.path ?? ''
  const ref = query.get('ref') ?? repo.defaultBranch
  const head = repo.branches[ref] ?? (repo.commits[ref] ? ref : undefined)
  if (head === undefined) return githubError(404, `No commit found for the ref ${ref}`)
  const content = repo.commits[head]?.files[path]
  return content === undefined ? githubError(404, 'Not Found') : {status: 200, json: contentItem(state, repo, path, content, ref)}
}

function putContent(repo: RepositoryState, {state, params, body}: Context): Reply {
  const path = params.path ?? ''
  for (const member of ['message', 'content'] as const) {
    if (typeof body[member] !== 'string') return githubError(422, `Invalid request.\n\n"${member}" wasn't supplied.`)
  }
  const content = String(body.content)
  if (!/^[A-Za-z0-9+/\n]*={0,2}\n?$/.test(content)) return githubError(422, 'content is not valid Base64')
  const branch = typeof body.branch === 'string' ? body.branch : repo.defaultBranch
  const head = repo.branches[branch]
  if (head === undefined) return githubError(404, `Branch ${branch} not found`)
  const tree = repo.commits[head]?.files ?? {}
  const existing = tree[path]
  if (existing !== undefined) {
    if (typeof body.sha !== 'string') return githubError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
    if (body.sha !== blobSha(existing)) return githubError(409, `${path} does not match ${body.sha}`)
  }
  const files = {...tree, [path]: Buffer.from(content, 'base64').toString('utf8')}
  const message = String(body.message)
  const sha = commitSha(head, message, files)
  repo.commits[sha] = {parent: head, message, files}
  repo.branches[branch] = sha
  return {
    status: existing === undefined ? 201 : 200,
    json: {
      content: contentItem(state, repo, path, files[path] ?? '', branch, false),
      commit: {sha, message, parents: [{sha: head}], html_url: `${urlsOf(state).web}/${repo.fullName}/commit/${sha}`},
    },
  }
}

function getRef(repo: RepositoryState, {state, params}: Context): Reply {
  const ref = params.ref ?? ''
  const branch = ref.replace(/^heads\//, '')
  const sha = ref.startsWith('heads/') ? repo.branches[branch] : undefined
  return sha === undefined ? githubError(404, 'Not Found') : {status: 200, json: refItem(state, repo, branch, sha)}
}

function createRef(repo: RepositoryState, {state, body}: Context): Reply {
  const ref = typeof body.ref === 'string' ? body.ref : ''
  if (!ref.startsWith('refs/') || ref.split('/').length < 3) {
    return githubError(422, "Reference name must start with 'refs/' and have at least two slashes.")
  }
  if (typeof body.sha !== 'string' || !repo.commits[body.sha]) return githubError(422, 'Object does not exist')
  const branch = ref.replace(/^refs\/heads\//, '')
  if (repo.branches[branch] !== undefined) return githubError(422, 'Reference already exists')
  repo.branches[branch] = body.sha
  return {status: 201, json: refItem(state, repo, branch, body.sha)}
}

function listPulls(repo: RepositoryState, {state, query}: Context): Reply {
  const wanted = query.get('state') ?? 'open'
  const head = query.get('head')
  const base = query.get('base')
  const owner = repo.fullName.split('/')[0]
  const pulls = repo.pulls.filter(
    (pull) =>
      (wanted === 'all' || pull.state === wanted) &&
      (head === null || head === `${owner}:${pull.head}`) &&
      (base === null || base === pull.base),
  )
  return {status: 200, json: pulls.map((pull) => pullItem(state, repo, pull))}
}

function createPull(repo: RepositoryState, {state, body}: Context): Reply {
  const missing = ['title', 'head', 'base'].filter((field) => typeof body[field] !== 'string')
  if (missing.length > 0) {
    return validationFailed(missing.map((field) => ({resource: 'PullRequest', field, code: 'missing_field'})))
  }
  const owner = repo.fullName.split('/')[0] ?? ''
  const head = String(body.head).replace(new RegExp(`^${owner}:`), '')
  const base = String(body.base)
  if (repo.branches[head] === undefined) return validationFailed([{resource: 'PullRequest', field: 'head', code: 'invalid'}])
  if (repo.branches[base] === undefined) return validationFailed([{resource: 'PullRequest', field: 'base', code: 'invalid'}])
  if (repo.pulls.some((pull) => pull.state === 'open' && pull.head === head && pull.base === base)) {
    const message = `A pull request already exists for ${owner}:${head}.`
    return validationFailed([{resource: 'PullRequest', code: 'custom', message}])
  }
  if (repo.branches[head] === repo.branches[base]) {
    return validationFailed([{resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}`}])
  }
  const pull: PullShape = {
    number: nextNumber(repo),
    title: String(body.title),
    body: typeof body.body === 'string' ? body.body : '',
    head,
    base,
    state: 'open',
  }
  repo.pulls.push(pull)
  return {status: 201, json: pullItem(state, repo, pull)}
}

function contentItem(state: GitHubState, repo: RepositoryState, path: string, content: string, ref: string, withContent = true) {
  const sha = blobSha(content)
  const {api, web, raw} = urlsOf(state)
  return {
    type: 'file',
    name: path.split('/').pop(),
    path,
    sha,
    size: Buffer.byteLength(content),
    url: `${api}/repos/${repo.fullName}/contents/${path}?ref=${ref}`,
    html_url: `${web}/${repo.fullName}/blob/${ref}/${path}`,
    git_url: `${api}/repos/${repo.fullName}/git/blobs/${sha}`,
    download_url: `${raw}/${repo.fullName}/${ref}/${path}`,
    // GitHub wraps the base64 body at 60 characters.
    ...(withContent
      ? {
          encoding: 'base64',
          content: `${(
            Buffer.from(content)
              .toString('base64')
              .match(/.{1,60}/g) ?? []
          ).join('\n')}\n`,
        }
      : {}),
  }
}

function refItem(state: GitHubState, repo: RepositoryState, branch: string, sha: string) {
  const {api} = urlsOf(state)
  return {
    ref: `refs/heads/${branch}`,
    url: `${api}/repos/${repo.fullName}/git/refs/heads/${branch}`,
    object: {sha, type: 'commit', url: `${api}/repos/${repo.fullName}/git/commits/${sha}`},
  }
}

function pullItem(state: GitHubState, repo: RepositoryState, pull: PullShape) {
  const owner = repo.fullName.split('/')[0]
  const {api, web} = urlsOf(state)
  return {
    number: pull.number,
    state: pull.state,
    title: pull.title,
    body: pull.body,
    url: `${api}/repos/${repo.fullName}/pulls/${pull.number}`,
    html_url: `${web}/${repo.fullName}/pull/${pull.number}`,
    head: {ref: pull.head, label: `${owner}:${pull.head}`, sha: repo.branches[pull.head]},
    base: {ref: pull.base, label: `${owner}:${pull.base}`, sha: repo.branches[pull.base]},
  }
}

function commitSha(parent: string | null, message: string, files: Record<string, string>): string {
  return createHash('sha1')
    .update(JSON.stringify([parent, message, files, ++commits]))
    .digest('hex')
}

function idOf(text: string): number {
  return Number.parseInt(createHash('sha1').update(text).digest('hex').slice(0, 8), 16)
}
