// The drill's GitHub: a real HTTP server on loopback serving, under a GitHub Enterprise style REST
// root (`<origin>/api/v3`, what GITHUB_API_URL is set to), the endpoints jwkr's GitHub adapters use —
// issue search, issues and their comments, repository contents, git refs, pull requests, code search —
// with GitHub's refusals: 401 "Requires authentication" / "Bad credentials", 404 "Not Found", 422
// "Validation Failed" with `errors[]`, 409 on a stale sha, `{message, documentation_url, status}`
// bodies. Every request is recorded; scripted faults (by route) stand in for an outage.
import {createHash} from 'node:crypto'
import type {IncomingMessage, ServerResponse} from 'node:http'

import {createFaultScript, type FaultRule, type InjectedFault} from './fault-script.js'
import {parseJson, readBody, sendJson, startLoopbackServer} from './loopback-server.js'
import {createRecordLog} from './record-log.js'
import {
  blobSha,
  contentItem,
  pullItem,
  refItem,
  type CommentShape,
  type GitHubUrls,
  type IssueShape,
  type PullShape,
  type RepositoryState,
} from './github-shapes.js'

export const FAKE_GITHUB_ROUTES = [
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

export type FakeGitHubRoute = (typeof FAKE_GITHUB_ROUTES)[number]

/** The REST root below the origin, as on GitHub Enterprise Server. */
export const FAKE_GITHUB_API_PATH = '/api/v3'

export const FAKE_GITHUB_BOT = {login: 'jwkr-drill-bot', id: 9001}

export type FakeGitHubComment = CommentShape
export type FakeGitHubIssue = IssueShape
export type FakeGitHubPull = PullShape
export type FakeGitHubRepo = RepositoryState

/** One request as the fake saw it. The token is never kept. */
export interface FakeGitHubRecord {
  at: string
  method: string
  /** Below the REST root, with its query string. */
  path: string
  /** The route template it matched, or null. */
  route: FakeGitHubRoute | null
  status: number
  /** The JSON body sent, if any. */
  body: unknown
  fault: boolean
}

export interface FakeGitHubOptions {
  /** The token it accepts (`ghp_…`). */
  token: string
  /** Repositories that exist, each with the files of its default branch. */
  repos?: Array<{fullName: string; files?: Record<string, string>; defaultBranch?: string}>
  faults?: readonly FaultRule[]
  /** JSON lines of every request (mode 0600); null or absent: memory only. */
  logFile?: string | null
  now?: () => number
}

export interface FakeGitHub {
  origin: string
  /** What GITHUB_API_URL must be: `<origin>/api/v3`. */
  apiUrl: string
  readonly repos: readonly FakeGitHubRepo[]
  readonly records: readonly FakeGitHubRecord[]
  readonly faults: readonly InjectedFault[]
  repo(fullName: string): FakeGitHubRepo | undefined
  /** The content of a file at the head of a branch (default: the default branch). */
  fileAt(fullName: string, path: string, branch?: string): string | undefined
  close(): Promise<void>
}

const DOCS = 'https://docs.github.com/rest'
const REQUEST_ID = 'D811:0000:0000000:0000000:00000000'

interface Reply {
  status: number
  json: unknown
  headers?: Record<string, string>
}

interface Context {
  state: State
  params: Record<string, string>
  query: URLSearchParams
  body: Record<string, unknown>
  repo: FakeGitHubRepo | undefined
}

interface State {
  repos: FakeGitHubRepo[]
  serial: number
  now: () => number
  web: string
  api: string
}

type Resolver = (context: Context) => Reply

const RESOLVERS: Record<FakeGitHubRoute, Resolver> = {
  'GET /user': () => ({status: 200, json: {login: FAKE_GITHUB_BOT.login, id: FAKE_GITHUB_BOT.id, type: 'Bot'}}),
  'GET /search/issues': searchIssues,
  'GET /search/code': searchCode,
  'GET /repos/{owner}/{repo}': withRepo((repo, {state}) => ({status: 200, json: repoItem(state, repo)})),
  'GET /repos/{owner}/{repo}/issues': withRepo(listIssues),
  'POST /repos/{owner}/{repo}/issues': withRepo(createIssue),
  'GET /repos/{owner}/{repo}/issues/{number}': withIssue((issue, repo, {state}) => ({
    status: 200,
    json: issueItem(state, repo, issue),
  })),
  'PATCH /repos/{owner}/{repo}/issues/{number}': withIssue(updateIssue),
  'GET /repos/{owner}/{repo}/issues/{number}/comments': withIssue((issue, repo, {state}) => ({
    status: 200,
    json: issue.comments.map((comment) => commentItem(state, repo, issue, comment)),
  })),
  'POST /repos/{owner}/{repo}/issues/{number}/comments': withIssue(createComment),
  'PATCH /repos/{owner}/{repo}/issues/comments/{id}': withRepo(updateComment),
  'GET /repos/{owner}/{repo}/contents/{path+}': withRepo(getContent),
  'PUT /repos/{owner}/{repo}/contents/{path+}': withRepo(putContent),
  'GET /repos/{owner}/{repo}/git/ref/{ref+}': withRepo(getRef),
  'POST /repos/{owner}/{repo}/git/refs': withRepo(createRef),
  'GET /repos/{owner}/{repo}/pulls': withRepo(listPulls),
  'POST /repos/{owner}/{repo}/pulls': withRepo(createPull),
}

const MATCHERS = FAKE_GITHUB_ROUTES.map((route) => {
  const [method = '', template = ''] = route.split(' ')
  const names: string[] = []
  const pattern = template.replace(/\{(\w+)(\+?)\}/g, (_, name: string, rest: string) => {
    names.push(name)
    return rest ? '(.+)' : name === 'number' || name === 'id' ? '(\\d+)' : '([^/]+)'
  })
  return {route, method, names, regex: new RegExp(`^${pattern}$`)}
})

/**
 * @example const github = await startFakeGitHub({token: 'ghp_drill…', repos: [{fullName: 'drill-org/security-incidents'}]})
 *   // GITHUB_API_URL=${github.apiUrl} GITHUB_TOKEN=ghp_drill…
 */
export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const now = options.now ?? Date.now
  const state: State = {repos: [], serial: 0, now, web: '', api: ''}
  for (const repo of options.repos ?? []) state.repos.push(newRepo(state, repo.fullName, repo.files ?? {}, repo.defaultBranch))
  const faults = createFaultScript(options.faults ?? [], now)
  const log = createRecordLog<FakeGitHubRecord>(options.logFile ?? null)

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://fake')
    const method = request.method ?? 'GET'
    const text = await readBody(request)
    const parsed = text === '' ? undefined : parseJson(text)
    const path = url.pathname.startsWith(`${FAKE_GITHUB_API_PATH}/`) ? url.pathname.slice(FAKE_GITHUB_API_PATH.length) : null
    const match = path === null ? undefined : findRoute(method, path)
    const reply = (answer: Reply, fault = false) => {
      log.append({
        at: new Date(now()).toISOString(),
        method,
        path: `${path ?? url.pathname}${url.search}`,
        route: match?.route ?? null,
        status: answer.status,
        body: parsed ?? null,
        fault,
      })
      sendJson(response, answer.status, answer.json, {...standardHeaders(now), ...answer.headers})
    }
    const authorization = request.headers.authorization
    if (authorization === undefined) return reply(githubError(401, 'Requires authentication'))
    const token = /^(?:bearer|token)\s+(\S+)$/i.exec(authorization)?.[1]
    if (token !== options.token) return reply(githubError(401, 'Bad credentials'))
    if (!match) return reply(githubError(404, 'Not Found'))
    const fault = faults.next(match.route)
    if (fault) {
      const message =
        fault.status === 503 ? 'Service Unavailable' : fault.status === 429 ? 'API rate limit exceeded' : 'Server Error'
      return reply(
        githubError(fault.status, message, fault.retryAfter === undefined ? {} : {'retry-after': String(fault.retryAfter)}),
        true,
      )
    }
    if (text !== '' && (parsed === undefined || parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))) {
      return reply(githubError(400, 'Problems parsing JSON'))
    }
    const params = match.params
    const repo = params.owner !== undefined ? findRepo(state, `${params.owner}/${params.repo ?? ''}`) : undefined
    reply(RESOLVERS[match.route]({state, params, query: url.searchParams, body: (parsed ?? {}) as Record<string, unknown>, repo}))
  }

  const server = await startLoopbackServer(handle)
  state.web = server.origin
  state.api = `${server.origin}${FAKE_GITHUB_API_PATH}`
  return {
    origin: server.origin,
    apiUrl: state.api,
    repos: state.repos,
    records: log.records,
    faults: faults.injected,
    repo: (fullName) => findRepo(state, fullName),
    fileAt: (fullName, path, branch) => {
      const repo = findRepo(state, fullName)
      const head = repo?.branches[branch ?? repo.defaultBranch]
      return head === undefined ? undefined : repo?.commits[head]?.files[path]
    },
    close: async () => {
      await server.close()
      await log.flush()
    },
  }
}

function findRoute(method: string, path: string): {route: FakeGitHubRoute; params: Record<string, string>} | undefined {
  for (const matcher of MATCHERS) {
    if (matcher.method !== method) continue
    const found = matcher.regex.exec(path)
    if (found) {
      const params = Object.fromEntries(matcher.names.map((name, index) => [name, decodeURIComponent(found[index + 1] ?? '')]))
      return {route: matcher.route, params}
    }
  }
  return undefined
}

function findRepo(state: State, fullName: string): FakeGitHubRepo | undefined {
  return state.repos.find((repo) => repo.fullName.toLowerCase() === fullName.toLowerCase())
}

function newRepo(state: State, fullName: string, files: Record<string, string>, defaultBranch = 'main'): FakeGitHubRepo {
  const sha = commitSha(state, null, 'Initial commit', files)
  return {
    fullName,
    defaultBranch,
    branches: {[defaultBranch]: sha},
    commits: {[sha]: {parent: null, message: 'Initial commit', files: {...files}}},
    issues: [],
    pulls: [],
  }
}

function withRepo(resolve: (repo: FakeGitHubRepo, context: Context) => Reply): Resolver {
  return (context) => (context.repo ? resolve(context.repo, context) : githubError(404, 'Not Found'))
}

function withIssue(resolve: (issue: FakeGitHubIssue, repo: FakeGitHubRepo, context: Context) => Reply): Resolver {
  return withRepo((repo, context) => {
    const issue = repo.issues.find((item) => item.number === Number(context.params.number))
    return issue ? resolve(issue, repo, context) : githubError(404, 'Not Found')
  })
}

function githubError(status: number, message: string, headers: Record<string, string> = {}): Reply {
  return {status, json: {message, documentation_url: DOCS, status: String(status)}, headers}
}

function validationFailed(errors: Array<Record<string, string>>): Reply {
  return {status: 422, json: {message: 'Validation Failed', errors, documentation_url: DOCS, status: '422'}}
}

function standardHeaders(now: () => number): Record<string, string> {
  return {
    'x-github-request-id': REQUEST_ID,
    'x-oauth-scopes': 'repo',
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-used': '1',
    'x-ratelimit-reset': String(Math.floor(now() / 1000) + 3600),
    'x-ratelimit-resource': 'core',
  }
}

// Issues and comments.

function listIssues(repo: FakeGitHubRepo, {state, query}: Context): Reply {
  const wanted = query.get('state') ?? 'open'
  const labels = (query.get('labels') ?? '').split(',').filter(Boolean)
  const since = query.get('since')
  const sinceTime = since === null ? Number.NEGATIVE_INFINITY : Date.parse(since)
  if (Number.isNaN(sinceTime)) return validationFailed([{resource: 'Issue', code: 'invalid', field: 'since'}])
  const issues = repo.issues.filter(
    (issue) =>
      (wanted === 'all' || issue.state === wanted) &&
      labels.every((label) => issue.labels.includes(label)) &&
      Date.parse(issue.updatedAt) >= sinceTime,
  )
  // GitHub's default order is newest first (sort=created, direction=desc).
  const ordered = query.get('direction') === 'asc' ? issues : [...issues].reverse()
  return {status: 200, json: ordered.map((issue) => issueItem(state, repo, issue))}
}

function createIssue(repo: FakeGitHubRepo, {state, body}: Context): Reply {
  if (body.title === undefined || body.title === null)
    return validationFailed([{resource: 'Issue', code: 'missing_field', field: 'title'}])
  if (typeof body.title !== 'string' || body.title.trim() === '')
    return validationFailed([{resource: 'Issue', code: 'invalid', field: 'title'}])
  const labels = labelNames(body.labels)
  if (labels === undefined) return validationFailed([{resource: 'Issue', code: 'invalid', field: 'labels'}])
  if (body.body !== undefined && body.body !== null && typeof body.body !== 'string') {
    return validationFailed([{resource: 'Issue', code: 'invalid', field: 'body'}])
  }
  const at = new Date(state.now()).toISOString()
  const issue: FakeGitHubIssue = {
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

function updateIssue(issue: FakeGitHubIssue, repo: FakeGitHubRepo, {state, body}: Context): Reply {
  if (body.state !== undefined && body.state !== 'open' && body.state !== 'closed') {
    return validationFailed([{resource: 'Issue', code: 'invalid', field: 'state'}])
  }
  if (body.title !== undefined && (typeof body.title !== 'string' || body.title.trim() === '')) {
    return validationFailed([{resource: 'Issue', code: 'invalid', field: 'title'}])
  }
  const labels = body.labels === undefined ? issue.labels : labelNames(body.labels)
  if (labels === undefined) return validationFailed([{resource: 'Issue', code: 'invalid', field: 'labels'}])
  Object.assign(issue, {
    ...(typeof body.title === 'string' ? {title: body.title} : {}),
    ...(typeof body.body === 'string' ? {body: body.body} : {}),
    ...(body.state === 'open' || body.state === 'closed' ? {state: body.state} : {}),
    labels,
    updatedAt: new Date(state.now()).toISOString(),
  })
  return {status: 200, json: issueItem(state, repo, issue)}
}

function createComment(issue: FakeGitHubIssue, repo: FakeGitHubRepo, {state, body}: Context): Reply {
  if (typeof body.body !== 'string' || body.body === '') {
    return validationFailed([{resource: 'IssueComment', code: 'missing_field', field: 'body'}])
  }
  const at = new Date(state.now()).toISOString()
  const comment: FakeGitHubComment = {id: 100_000 + ++state.serial, body: body.body, createdAt: at, updatedAt: at}
  issue.comments.push(comment)
  issue.updatedAt = at
  return {status: 201, json: commentItem(state, repo, issue, comment)}
}

function updateComment(repo: FakeGitHubRepo, {state, params, body}: Context): Reply {
  const issue = repo.issues.find((item) => item.comments.some((comment) => comment.id === Number(params.id)))
  const comment = issue?.comments.find((item) => item.id === Number(params.id))
  if (!issue || !comment) return githubError(404, 'Not Found')
  if (typeof body.body !== 'string' || body.body === '') {
    return validationFailed([{resource: 'IssueComment', code: 'missing_field', field: 'body'}])
  }
  comment.body = body.body
  comment.updatedAt = new Date(state.now()).toISOString()
  return {status: 200, json: commentItem(state, repo, issue, comment)}
}

/** Issue search with the qualifiers jwkr uses: repo:, is:, state:, label:, in:; other words match title and body. */
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
  if (is.includes('pr') || all('type').includes('pr'))
    return {status: 200, json: {total_count: 0, incomplete_results: false, items: []}}
  const items = state.repos
    .filter((repo) => repos.length === 0 || repos.includes(repo.fullName.toLowerCase()))
    .flatMap((repo) => repo.issues.map((issue) => ({repo, issue})))
    .filter(({issue}) => states.length === 0 || states.includes(issue.state))
    .filter(({issue}) => labels.every((label) => issue.labels.some((name) => name.toLowerCase() === label)))
    .filter(({issue}) => {
      const text = [
        fields.length === 0 || fields.includes('title') ? issue.title : '',
        fields.length === 0 || fields.includes('body') ? issue.body : '',
      ]
        .join('\n')
        .toLowerCase()
      return terms.every((term) => text.includes(term.toLowerCase()))
    })
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

/** Code search over the default branches: every term in the file; org:/user:/repo:/path:/filename: narrow it. */
function searchCode({state, query}: Context): Reply {
  const q = query.get('q')
  if (q === null || q.trim() === '') return validationFailed([{resource: 'Search', field: 'q', code: 'missing'}])
  const {terms, qualifiers} = parseQuery(q)
  if (terms.length === 0) {
    return validationFailed([
      {message: 'The search must include at least one search term.', resource: 'Search', field: 'q', code: 'invalid'},
    ])
  }
  const items = state.repos.flatMap((repo) => {
    const files = repo.commits[repo.branches[repo.defaultBranch] ?? '']?.files ?? {}
    return Object.entries(files)
      .filter(([path, content]) => {
        for (const {name, value} of qualifiers) {
          const wanted = value.toLowerCase()
          if ((name === 'org' || name === 'user') && repo.fullName.split('/')[0]?.toLowerCase() !== wanted) return false
          if (name === 'repo' && repo.fullName.toLowerCase() !== wanted) return false
          if (name === 'path' && !path.toLowerCase().startsWith(wanted.replace(/^\//, ''))) return false
          if (name === 'filename' && path.split('/').pop()?.toLowerCase() !== wanted) return false
        }
        return terms.every((term) => content.toLowerCase().includes(term.toLowerCase()))
      })
      .map(([path, content]) => codeItem(state, repo, path, content))
  })
  return {status: 200, json: {total_count: items.length, incomplete_results: false, items}}
}

const QUALIFIERS = new Set(['repo', 'is', 'state', 'label', 'in', 'type', 'org', 'user', 'path', 'filename', 'author'])

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

function labelNames(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) return undefined
  const names = value.map((item) =>
    typeof item === 'string' ? item : typeof item?.name === 'string' ? (item.name as string) : undefined,
  )
  return names.every((name): name is string => typeof name === 'string' && name !== '') ? [...new Set(names)] : undefined
}

/** Issues and pull requests share one sequence of numbers, as on GitHub. */
function nextNumber(repo: FakeGitHubRepo): number {
  return repo.issues.length + repo.pulls.length + 1
}

function issueItem(state: State, repo: FakeGitHubRepo, issue: FakeGitHubIssue) {
  const api = `${state.api}/repos/${repo.fullName}/issues/${issue.number}`
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
    user: {login: FAKE_GITHUB_BOT.login, id: FAKE_GITHUB_BOT.id, type: 'Bot'},
    author_association: 'NONE',
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.state === 'closed' ? issue.updatedAt : null,
    url: api,
    comments_url: `${api}/comments`,
    repository_url: `${state.api}/repos/${repo.fullName}`,
    html_url: `${state.web}/${repo.fullName}/issues/${issue.number}`,
  }
}

function commentItem(state: State, repo: FakeGitHubRepo, issue: FakeGitHubIssue, comment: FakeGitHubComment) {
  return {
    id: comment.id,
    body: comment.body,
    user: {login: FAKE_GITHUB_BOT.login, id: FAKE_GITHUB_BOT.id, type: 'Bot'},
    created_at: comment.createdAt,
    updated_at: comment.updatedAt ?? comment.createdAt,
    url: `${state.api}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    issue_url: `${state.api}/repos/${repo.fullName}/issues/${issue.number}`,
    html_url: `${state.web}/${repo.fullName}/issues/${issue.number}#issuecomment-${comment.id}`,
  }
}

function repoItem(state: State, repo: FakeGitHubRepo) {
  const [owner = '', name = ''] = repo.fullName.split('/')
  return {
    id: idOf(repo.fullName),
    name,
    full_name: repo.fullName,
    private: true,
    owner: {login: owner, type: 'Organization'},
    html_url: `${state.web}/${repo.fullName}`,
    default_branch: repo.defaultBranch,
    has_issues: true,
    permissions: {admin: false, push: true, pull: true},
  }
}

function codeItem(state: State, repo: FakeGitHubRepo, path: string, content: string) {
  const sha = blobSha(content)
  return {
    name: path.split('/').pop(),
    path,
    sha,
    url: `${state.api}/repos/${repo.fullName}/contents/${path}?ref=${sha}`,
    git_url: `${state.api}/repos/${repo.fullName}/git/blobs/${sha}`,
    html_url: `${state.web}/${repo.fullName}/blob/${sha}/${path}`,
    repository: repoItem(state, repo),
    score: 1,
  }
}

// Contents, refs and pull requests.

function getContent(repo: FakeGitHubRepo, {state, params, query}: Context): Reply {
  const path = params.path ?? ''
  const ref = query.get('ref') ?? repo.defaultBranch
  const head = repo.branches[ref] ?? (repo.commits[ref] ? ref : undefined)
  if (head === undefined) return githubError(404, `No commit found for the ref ${ref}`)
  const content = repo.commits[head]?.files[path]
  return content === undefined
    ? githubError(404, 'Not Found')
    : {status: 200, json: contentItem(urlsOf(state), repo, path, content, ref)}
}

function putContent(repo: FakeGitHubRepo, {state, params, body}: Context): Reply {
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
  const sha = commitSha(state, head, message, files)
  repo.commits[sha] = {parent: head, message, files}
  repo.branches[branch] = sha
  return {
    status: existing === undefined ? 201 : 200,
    json: {
      content: contentItem(urlsOf(state), repo, path, files[path] ?? '', branch, false),
      commit: {sha, message, parents: [{sha: head}], html_url: `${state.web}/${repo.fullName}/commit/${sha}`},
    },
  }
}

function getRef(repo: FakeGitHubRepo, {state, params}: Context): Reply {
  const ref = params.ref ?? ''
  const branch = ref.replace(/^heads\//, '')
  const sha = ref.startsWith('heads/') ? repo.branches[branch] : undefined
  return sha === undefined ? githubError(404, 'Not Found') : {status: 200, json: refItem(urlsOf(state), repo, branch, sha)}
}

function createRef(repo: FakeGitHubRepo, {state, body}: Context): Reply {
  const ref = typeof body.ref === 'string' ? body.ref : ''
  if (!ref.startsWith('refs/') || ref.split('/').length < 3) {
    return githubError(422, "Reference name must start with 'refs/' and have at least two slashes.")
  }
  if (typeof body.sha !== 'string' || !repo.commits[body.sha]) return githubError(422, 'Object does not exist')
  const branch = ref.replace(/^refs\/heads\//, '')
  if (repo.branches[branch] !== undefined) return githubError(422, 'Reference already exists')
  repo.branches[branch] = body.sha
  return {status: 201, json: refItem(urlsOf(state), repo, branch, body.sha)}
}

function listPulls(repo: FakeGitHubRepo, {state, query}: Context): Reply {
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
  return {status: 200, json: pulls.map((pull) => pullItem(urlsOf(state), repo, pull))}
}

function createPull(repo: FakeGitHubRepo, {state, body}: Context): Reply {
  const missing = ['title', 'head', 'base'].filter((field) => typeof body[field] !== 'string')
  if (missing.length > 0)
    return validationFailed(missing.map((field) => ({resource: 'PullRequest', field, code: 'missing_field'})))
  const owner = repo.fullName.split('/')[0] ?? ''
  const head = String(body.head).replace(new RegExp(`^${owner}:`), '')
  const base = String(body.base)
  if (repo.branches[head] === undefined) return validationFailed([{resource: 'PullRequest', field: 'head', code: 'invalid'}])
  if (repo.branches[base] === undefined) return validationFailed([{resource: 'PullRequest', field: 'base', code: 'invalid'}])
  if (repo.pulls.some((pull) => pull.state === 'open' && pull.head === head && pull.base === base)) {
    return validationFailed([
      {resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${head}.`},
    ])
  }
  if (repo.branches[head] === repo.branches[base]) {
    return validationFailed([{resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}`}])
  }
  const pull: FakeGitHubPull = {
    number: nextNumber(repo),
    title: String(body.title),
    body: typeof body.body === 'string' ? body.body : '',
    head,
    base,
    state: 'open',
  }
  repo.pulls.push(pull)
  return {status: 201, json: pullItem(urlsOf(state), repo, pull)}
}

/** git's blob id of the content, as GitHub reports it. */

function commitSha(state: State, parent: string | null, message: string, files: Record<string, string>): string {
  return createHash('sha1')
    .update(JSON.stringify([parent, message, files, ++state.serial]))
    .digest('hex')
}

function idOf(text: string): number {
  return Number.parseInt(createHash('sha1').update(text).digest('hex').slice(0, 8), 16)
}

function urlsOf(state: State): GitHubUrls {
  return {api: state.api, web: state.web, raw: `${state.web}/raw`}
}
