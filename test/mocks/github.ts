// msw handlers for the GitHub REST API, written the way the real API behaves: token auth (401
// "Requires authentication" / "Bad credentials"), code search with the legacy query syntax, Link
// pagination and the 1,000-result cap, 422 "Validation Failed" shapes, primary and secondary rate
// limits, 5xx outages, and a record of every request. Serves any API root (api.github.com or a GHE
// https://HOST/api/v3). New endpoints: add a `route(state, method, path, resolver)` to githubHandlers.
import {createHash} from 'node:crypto'

import {http, HttpResponse, type HttpHandler} from 'msw'
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
} from '../../src/drill/github-shapes.js'

export interface GitHubMockFile {
  /** owner/name */
  repo: string
  path: string
  content: string
}

export interface RecordedGitHubRequest {
  method: string
  url: string
  /** Path below the API root, e.g. /search/code. */
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  body: string
}

export interface GitHubMockState {
  /** API root, without a trailing slash. */
  baseUrl: string
  /** Tokens the API accepts. */
  tokens: string[]
  /** Indexed files (default branch) that code search looks through. */
  files: GitHubMockFile[]
  /** Every request that reached the API, in order. */
  requests: RecordedGitHubRequest[]
  /** The next `times` authenticated requests get a 403 secondary rate limit with `retry-after`. */
  secondaryRateLimit: {times: number; retryAfter: number} | null
  /** The next `times` authenticated requests find the quota used up (403 or 429, remaining 0, reset). */
  primaryRateLimit: {times: number; status: 403 | 429; resetInSeconds: number} | null
  /** The next `times` requests fail with a 5xx. */
  outage: {times: number; status: 500 | 502 | 503} | null
  /**
   * The next `times` writes (POST, PATCH, PUT, DELETE) are applied, then answered with a 5xx or no answer
   * at all (`'network'`): what GitHub does when it fails after the write, or the connection drops.
   */
  failAfterWrite: {times: number; status: 500 | 502 | 503 | 'network'} | null
  /** Code search answers with incomplete_results: true (the search timed out on GitHub's side). */
  incompleteResults: boolean
  /** Repositories served by the contents, git refs and pulls endpoints (see createGitHubRepo). */
  repos: GitHubMockRepo[]
}

/** A repository as the contents / git refs / pulls / issues endpoints see it (the drill's model). */
export type GitHubMockRepo = Omit<RepositoryState, 'issues'> & {issues?: IssueShape[]}

export type GitHubMockPull = PullShape

export const GITHUB_DOCS = {
  rest: 'https://docs.github.com/rest',
  searchCode: 'https://docs.github.com/rest/search/search#search-code',
  primary: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits',
  secondary: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
}

const SEARCH_CAP = 1000
const MAX_QUERY_TERM_LENGTH = 256
const CODE_QUALIFIERS = new Set(['org', 'user', 'repo', 'in', 'path', 'language', 'extension', 'filename', 'size', 'fork'])

export function createGitHubState(init: Partial<GitHubMockState> = {}): GitHubMockState {
  return {
    baseUrl: 'https://api.github.com',
    tokens: ['ghp_testtoken0000000000000000000000000000'],
    files: [],
    requests: [],
    secondaryRateLimit: null,
    primaryRateLimit: null,
    outage: null,
    failAfterWrite: null,
    incompleteResults: false,
    repos: [],
    ...init,
  }
}

export function githubHandlers(state: GitHubMockState): HttpHandler[] {
  return [
    route(state, 'get', '/search/code', searchCode),
    route(state, 'get', '/repos/:owner/:repo', getRepository),
    route(state, 'get', '/repos/:owner/:repo/contents/*', getContent),
    route(state, 'put', '/repos/:owner/:repo/contents/*', putContent),
    route(state, 'get', '/repos/:owner/:repo/git/ref/*', getRef),
    route(state, 'post', '/repos/:owner/:repo/git/refs', createRef),
    route(state, 'get', '/repos/:owner/:repo/pulls', listPulls),
    route(state, 'post', '/repos/:owner/:repo/pulls', createPull),
    route(state, 'get', '/repos/:owner/:repo/issues', listIssues),
    route(state, 'post', '/repos/:owner/:repo/issues', createIssue),
    route(state, 'get', '/repos/:owner/:repo/issues/:number', getIssue),
    route(state, 'patch', '/repos/:owner/:repo/issues/:number', updateIssue),
    route(state, 'get', '/repos/:owner/:repo/issues/:number/comments', listComments),
    route(state, 'post', '/repos/:owner/:repo/issues/:number/comments', createComment),
    // Anything else under the API root: what GitHub answers for an unknown path.
    route(state, 'all', '/*', () => githubError(404, 'Not Found', GITHUB_DOCS.rest)),
  ]
}

type Resolver = (state: GitHubMockState, url: URL, request: RecordedGitHubRequest) => Response | Promise<Response>

/** One endpoint: records the request, then applies auth, outages and rate limits before the resolver. */
export function route(
  state: GitHubMockState,
  method: 'get' | 'post' | 'patch' | 'put' | 'delete' | 'all',
  path: string,
  resolve: Resolver,
) {
  return http[method](`${state.baseUrl}${path}`, async ({request}) => {
    const url = new URL(request.url)
    const recorded: RecordedGitHubRequest = {
      method: request.method,
      url: request.url,
      path: url.pathname.slice(new URL(state.baseUrl).pathname.replace(/\/$/, '').length),
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(request.headers),
      body: await request.clone().text(),
    }
    state.requests.push(recorded)
    const refused = gate(state, request)
    if (refused) return refused
    const answer = await resolve(state, url, recorded)
    const lost = request.method !== 'GET' && answer.ok ? state.failAfterWrite : null
    if (!lost || !take(state, 'failAfterWrite')) return answer
    return lost.status === 'network' ? HttpResponse.error() : githubError(lost.status, 'Server Error', GITHUB_DOCS.rest)
  })
}

function gate(state: GitHubMockState, request: Request): Response | undefined {
  const authorization = request.headers.get('authorization')
  if (authorization === null) return githubError(401, 'Requires authentication', GITHUB_DOCS.rest)
  const token = /^(?:bearer|token)\s+(\S+)$/i.exec(authorization)?.[1]
  if (token === undefined || !state.tokens.includes(token)) return githubError(401, 'Bad credentials', GITHUB_DOCS.rest)
  if (take(state, 'outage')) return githubError(state.outage?.status ?? 503, 'Server Error', GITHUB_DOCS.rest)
  const secondary = state.secondaryRateLimit
  if (take(state, 'secondaryRateLimit') && secondary) {
    return githubError(
      403,
      `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${REQUEST_ID}.`,
      GITHUB_DOCS.secondary,
      {'retry-after': String(secondary.retryAfter), ...quotaHeaders(10, 9)},
    )
  }
  const primary = state.primaryRateLimit
  if (take(state, 'primaryRateLimit') && primary) {
    return githubError(
      primary.status,
      `API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID ${REQUEST_ID}.`,
      GITHUB_DOCS.primary,
      quotaHeaders(10, 0, Math.floor(Date.now() / 1000) + primary.resetInSeconds),
    )
  }
  return undefined
}

/** Consumes one use of a switch; true when the switch was on. */
function take(state: GitHubMockState, name: 'outage' | 'secondaryRateLimit' | 'primaryRateLimit' | 'failAfterWrite'): boolean {
  const value = state[name]
  if (!value || value.times <= 0) return false
  value.times -= 1
  return true
}

function searchCode(state: GitHubMockState, url: URL): Response {
  const q = url.searchParams.get('q')
  if (q === null || q.trim() === '') {
    return validationFailed([{resource: 'Search', field: 'q', code: 'missing'}])
  }
  const query = parseLegacyQuery(q)
  if ('invalid' in query) {
    return validationFailed([{message: query.invalid, resource: 'Search', field: 'q', code: 'invalid'}])
  }
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30))
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1)
  if ((page - 1) * perPage >= SEARCH_CAP) {
    return githubError(422, 'Only the first 1000 search results are available', GITHUB_DOCS.searchCode)
  }
  const matches = state.files.filter((file) => matchesQuery(file, query))
  const reachable = Math.min(matches.length, SEARCH_CAP)
  const items = matches.slice((page - 1) * perPage, Math.min(page * perPage, reachable)).map((file) => codeItem(state, file))
  const lastPage = Math.max(1, Math.ceil(reachable / perPage))
  return HttpResponse.json(
    {total_count: matches.length, incomplete_results: state.incompleteResults, items},
    {headers: {...quotaHeaders(10, 9), ...linkHeader(state, url, page, lastPage)}},
  )
}

interface LegacyQuery {
  terms: string[]
  qualifiers: Array<{name: string; value: string}>
}

/** Legacy code search syntax: quoted exact strings, bare words, and `name:value` qualifiers. */
export function parseLegacyQuery(q: string): LegacyQuery | {invalid: string} {
  if ((q.match(/"/g) ?? []).length % 2 === 1) return {invalid: 'The search contains an unbalanced quotation mark.'}
  const terms: string[] = []
  const qualifiers: Array<{name: string; value: string}> = []
  for (const [, quoted, bare] of q.matchAll(/"([^"]*)"|(\S+)/g)) {
    const qualifier = bare === undefined ? null : /^([a-z]+):(.+)$/.exec(bare)
    if (qualifier && CODE_QUALIFIERS.has(qualifier[1] ?? ''))
      qualifiers.push({name: qualifier[1] ?? '', value: qualifier[2] ?? ''})
    else if ((quoted ?? bare ?? '').trim() !== '') terms.push(quoted ?? bare ?? '')
  }
  if (terms.length === 0) return {invalid: 'The search must include at least one search term.'}
  if (terms.join(' ').length > MAX_QUERY_TERM_LENGTH) return {invalid: 'The search is longer than 256 characters.'}
  return {terms, qualifiers}
}

function matchesQuery(file: GitHubMockFile, query: LegacyQuery): boolean {
  const owner = file.repo.split('/')[0]?.toLowerCase()
  for (const {name, value} of query.qualifiers) {
    if ((name === 'org' || name === 'user') && value.toLowerCase() !== owner) return false
    if (name === 'repo' && value.toLowerCase() !== file.repo.toLowerCase()) return false
  }
  // Code search is not case sensitive.
  const content = file.content.toLowerCase()
  return query.terms.every((term) => content.includes(term.toLowerCase()))
}

function codeItem(state: GitHubMockState, file: GitHubMockFile) {
  const sha = blobSha(file.content)
  const [owner = '', name = ''] = file.repo.split('/')
  const web = webUrl(state.baseUrl)
  return {
    name: file.path.split('/').pop(),
    path: file.path,
    sha,
    url: `${state.baseUrl}/repos/${file.repo}/contents/${file.path}?ref=${sha}`,
    git_url: `${state.baseUrl}/repos/${file.repo}/git/blobs/${sha}`,
    html_url: `${web}/${file.repo}/blob/${sha}/${file.path}`,
    repository: {
      id: repoId(file.repo),
      name,
      full_name: file.repo,
      private: false,
      owner: {login: owner, type: 'Organization'},
      html_url: `${web}/${file.repo}`,
    },
    score: 1,
  }
}

function linkHeader(state: GitHubMockState, url: URL, page: number, lastPage: number): Record<string, string> {
  const at = (n: number) => {
    const next = new URL(`${state.baseUrl}/search/code`)
    for (const [name, value] of url.searchParams) if (name !== 'page') next.searchParams.set(name, value)
    next.searchParams.set('page', String(n))
    return next.toString()
  }
  const links: string[] = []
  if (page > 1) links.push(`<${at(page - 1)}>; rel="prev"`)
  if (page < lastPage) links.push(`<${at(page + 1)}>; rel="next"`, `<${at(lastPage)}>; rel="last"`)
  if (page > 1) links.push(`<${at(1)}>; rel="first"`)
  return links.length > 0 ? {link: links.join(', ')} : {}
}

const REQUEST_ID = 'C0DE:5EA4:1234567:89ABCDE:65F00000'

function quotaHeaders(limit: number, remaining: number, reset = Math.floor(Date.now() / 1000) + 60): Record<string, string> {
  return {
    'x-github-request-id': REQUEST_ID,
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-used': String(limit - remaining),
    'x-ratelimit-reset': String(reset),
    'x-ratelimit-resource': 'code_search',
  }
}

export function githubError(status: number, message: string, documentationUrl: string, headers: Record<string, string> = {}) {
  return HttpResponse.json(
    {message, documentation_url: documentationUrl, status: String(status)},
    {status, headers: {'x-github-request-id': REQUEST_ID, ...headers}},
  )
}

function validationFailed(errors: Array<Record<string, string>>) {
  return HttpResponse.json(
    {message: 'Validation Failed', errors, documentation_url: GITHUB_DOCS.searchCode, status: '422'},
    {status: 422, headers: {'x-github-request-id': REQUEST_ID}},
  )
}

/** The web host that goes with an API root: api.github.com → github.com, HOST/api/v3 → HOST. */
function webUrl(baseUrl: string): string {
  if (/^https:\/\/api\.github\.com$/.test(baseUrl)) return 'https://github.com'
  return baseUrl.replace(/\/api\/v3$/, '')
}

/** git's blob id of the content, as GitHub reports it. */

function repoId(fullName: string): number {
  return Number.parseInt(createHash('sha1').update(fullName).digest('hex').slice(0, 8), 16)
}

// Repositories: contents, git refs and pull requests, with the real API's shapes and refusals.

const DOCS = {
  repo: 'https://docs.github.com/rest/repos/repos#get-a-repository',
  getContent: 'https://docs.github.com/rest/repos/contents#get-repository-content',
  putContent: 'https://docs.github.com/rest/repos/contents#create-or-update-file-contents',
  getRef: 'https://docs.github.com/rest/git/refs#get-a-reference',
  createRef: 'https://docs.github.com/rest/git/refs#create-a-reference',
  listPulls: 'https://docs.github.com/rest/pulls/pulls#list-pull-requests',
  createPull: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
}

/** A repository whose default branch holds `files` in one initial commit. */
export function createGitHubRepo(fullName: string, files: Record<string, string>, defaultBranch = 'main'): GitHubMockRepo {
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

/** The content of a file at the head of a branch (undefined when either is missing). */
export function fileAt(repo: GitHubMockRepo, branch: string, path: string): string | undefined {
  const head = repo.branches[branch]
  return head === undefined ? undefined : repo.commits[head]?.files[path]
}

/** `/repos/{owner}/{repo}/{rest}` of a request, with the rest decoded (Octokit sends `config%2Fjwks.json`). */
function repoRequest(state: GitHubMockState, url: URL): {repo: GitHubMockRepo | undefined; rest: string} {
  const path = url.pathname.slice(new URL(state.baseUrl).pathname.replace(/\/$/, '').length)
  const [, , owner = '', name = '', ...rest] = path.split('/')
  const fullName = `${decodeURIComponent(owner)}/${decodeURIComponent(name)}`.toLowerCase()
  return {
    repo: state.repos.find((repo) => repo.fullName.toLowerCase() === fullName),
    rest: decodeURIComponent(rest.join('/')),
  }
}

function getRepository(state: GitHubMockState, url: URL): Response {
  const {repo} = repoRequest(state, url)
  if (!repo) return githubError(404, 'Not Found', DOCS.repo)
  const [owner = '', name = ''] = repo.fullName.split('/')
  return HttpResponse.json({
    id: repoId(repo.fullName),
    name,
    full_name: repo.fullName,
    private: true,
    owner: {login: owner, type: 'Organization'},
    html_url: `${webUrl(state.baseUrl)}/${repo.fullName}`,
    default_branch: repo.defaultBranch,
    permissions: {admin: false, push: true, pull: true},
  })
}

function getContent(state: GitHubMockState, url: URL): Response {
  const {repo, rest} = repoRequest(state, url)
  const path = rest.replace(/^contents\//, '')
  if (!repo) return githubError(404, 'Not Found', DOCS.getContent)
  const ref = url.searchParams.get('ref') ?? repo.defaultBranch
  const head = repo.branches[ref] ?? (repo.commits[ref] ? ref : undefined)
  if (head === undefined) return githubError(404, `No commit found for the ref ${ref}`, DOCS.getContent)
  const content = repo.commits[head]?.files[path]
  if (content === undefined) return githubError(404, 'Not Found', DOCS.getContent)
  return HttpResponse.json(contentItem(urlsOf(state), repo, path, content, ref))
}

function putContent(state: GitHubMockState, url: URL, request: RecordedGitHubRequest): Response {
  const {repo, rest} = repoRequest(state, url)
  const path = rest.replace(/^contents\//, '')
  if (!repo) return githubError(404, 'Not Found', DOCS.putContent)
  const body = parseBody(request.body)
  for (const member of ['message', 'content'] as const) {
    if (typeof body[member] !== 'string')
      return githubError(422, `Invalid request.\n\n"${member}" wasn't supplied.`, DOCS.putContent)
  }
  const content = String(body.content)
  if (!/^[A-Za-z0-9+/\n]*={0,2}\n?$/.test(content)) return githubError(422, 'content is not valid Base64', DOCS.putContent)
  const branch = typeof body.branch === 'string' ? body.branch : repo.defaultBranch
  const head = repo.branches[branch]
  if (head === undefined) return githubError(404, `Branch ${branch} not found`, DOCS.putContent)
  const tree = repo.commits[head]?.files ?? {}
  const existing = tree[path]
  if (existing !== undefined) {
    if (typeof body.sha !== 'string') return githubError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.', DOCS.putContent)
    if (body.sha !== blobSha(existing)) return githubError(409, `${path} does not match ${body.sha}`, DOCS.putContent)
  }
  const files = {...tree, [path]: Buffer.from(content, 'base64').toString('utf8')}
  const message = String(body.message)
  const sha = commitSha(head, message, files)
  repo.commits[sha] = {parent: head, message, files}
  repo.branches[branch] = sha
  return HttpResponse.json(
    {
      content: contentItem(urlsOf(state), repo, path, files[path] ?? '', branch, false),
      commit: {sha, message, parents: [{sha: head}], html_url: `${webUrl(state.baseUrl)}/${repo.fullName}/commit/${sha}`},
    },
    {status: existing === undefined ? 201 : 200},
  )
}

function getRef(state: GitHubMockState, url: URL): Response {
  const {repo, rest} = repoRequest(state, url)
  const ref = rest.replace(/^git\/ref\//, '')
  const branch = ref.replace(/^heads\//, '')
  const sha = repo && ref.startsWith('heads/') ? repo.branches[branch] : undefined
  if (!repo || sha === undefined) return githubError(404, 'Not Found', DOCS.getRef)
  return HttpResponse.json(refItem(urlsOf(state), repo, branch, sha))
}

function createRef(state: GitHubMockState, url: URL, request: RecordedGitHubRequest): Response {
  const {repo} = repoRequest(state, url)
  if (!repo) return githubError(404, 'Not Found', DOCS.createRef)
  const body = parseBody(request.body)
  const ref = typeof body.ref === 'string' ? body.ref : ''
  if (!ref.startsWith('refs/') || ref.split('/').length < 3) {
    return githubError(422, "Reference name must start with 'refs/' and have at least two slashes.", DOCS.createRef)
  }
  if (typeof body.sha !== 'string' || !repo.commits[body.sha]) return githubError(422, 'Object does not exist', DOCS.createRef)
  const branch = ref.replace(/^refs\/heads\//, '')
  if (repo.branches[branch] !== undefined) return githubError(422, 'Reference already exists', DOCS.createRef)
  repo.branches[branch] = body.sha
  return HttpResponse.json(refItem(urlsOf(state), repo, branch, body.sha), {status: 201})
}

function listPulls(state: GitHubMockState, url: URL): Response {
  const {repo} = repoRequest(state, url)
  if (!repo) return githubError(404, 'Not Found', DOCS.listPulls)
  const wanted = url.searchParams.get('state') ?? 'open'
  const head = url.searchParams.get('head')
  const base = url.searchParams.get('base')
  const owner = repo.fullName.split('/')[0]
  const pulls = repo.pulls.filter(
    (pull) =>
      (wanted === 'all' || pull.state === wanted) &&
      (head === null || head === `${owner}:${pull.head}`) &&
      (base === null || base === pull.base),
  )
  return HttpResponse.json(pulls.map((pull) => pullItem(urlsOf(state), repo, pull)))
}

function createPull(state: GitHubMockState, url: URL, request: RecordedGitHubRequest): Response {
  const {repo} = repoRequest(state, url)
  if (!repo) return githubError(404, 'Not Found', DOCS.createPull)
  const body = parseBody(request.body)
  const missing = ['title', 'head', 'base'].filter((field) => typeof body[field] !== 'string')
  if (missing.length > 0) return pullInvalid(missing.map((field) => ({resource: 'PullRequest', field, code: 'missing_field'})))
  const owner = repo.fullName.split('/')[0] ?? ''
  const head = String(body.head).replace(new RegExp(`^${owner}:`), '')
  const base = String(body.base)
  if (repo.branches[head] === undefined) return pullInvalid([{resource: 'PullRequest', field: 'head', code: 'invalid'}])
  if (repo.branches[base] === undefined) return pullInvalid([{resource: 'PullRequest', field: 'base', code: 'invalid'}])
  if (repo.pulls.some((pull) => pull.state === 'open' && pull.head === head && pull.base === base)) {
    return pullInvalid([
      {resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${head}.`},
    ])
  }
  if (repo.branches[head] === repo.branches[base]) {
    return pullInvalid([{resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}`}])
  }
  const pull: GitHubMockPull = {
    number: repo.pulls.length + 1,
    title: String(body.title),
    body: typeof body.body === 'string' ? body.body : '',
    head,
    base,
    state: 'open',
  }
  repo.pulls.push(pull)
  return HttpResponse.json(pullItem(urlsOf(state), repo, pull), {status: 201})
}

function pullInvalid(errors: Array<Record<string, string>>): Response {
  return HttpResponse.json(
    {message: 'Validation Failed', errors, documentation_url: DOCS.createPull, status: '422'},
    {status: 422, headers: {'x-github-request-id': REQUEST_ID}},
  )
}

function parseBody(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

function commitSha(parent: string | null, message: string, files: Record<string, string>): string {
  return createHash('sha1')
    .update(JSON.stringify([parent, message, files, Math.random()]))
    .digest('hex')
}

// Issues and their comments, as the REST API answers: the issues list holds pull requests too
// (with a `pull_request` member; the mock does not date pulls, so only without `since`), filters by
// state and `since` (updated at or after), pages with a Link header; creation needs a title and refuses a body over 65,536 characters (422 Validation
// Failed); an unknown issue is a 404.

export type GitHubMockIssue = IssueShape

const ISSUE_DOCS = {
  list: 'https://docs.github.com/rest/issues/issues#list-repository-issues',
  create: 'https://docs.github.com/rest/issues/issues#create-an-issue',
  get: 'https://docs.github.com/rest/issues/issues#get-an-issue',
  update: 'https://docs.github.com/rest/issues/issues#update-an-issue',
  comments: 'https://docs.github.com/rest/issues/comments#list-issue-comments',
  comment: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
}
/** GitHub refuses issue and comment bodies longer than this. */
export const GITHUB_BODY_LIMIT = 65_536

/** The issues of a repository of the mock (created empty on first use). */
export function issuesOf(repo: GitHubMockRepo): GitHubMockIssue[] {
  repo.issues ??= []
  return repo.issues
}

function issueRequest(state: GitHubMockState, url: URL): {repo: GitHubMockRepo | undefined; issue: GitHubMockIssue | undefined} {
  const {repo, rest} = repoRequest(state, url)
  const number = Number(/^issues\/(\d+)/.exec(rest)?.[1])
  return {repo, issue: repo ? issuesOf(repo).find((issue) => issue.number === number) : undefined}
}

function listIssues(state: GitHubMockState, url: URL): Response {
  const {repo} = repoRequest(state, url)
  if (!repo) return githubError(404, 'Not Found', ISSUE_DOCS.list)
  const wanted = url.searchParams.get('state') ?? 'open'
  const since = url.searchParams.get('since')
  if (since !== null && Number.isNaN(Date.parse(since))) {
    return issueInvalid([{resource: 'Issue', field: 'since', code: 'invalid'}], ISSUE_DOCS.list)
  }
  const items = [
    ...issuesOf(repo)
      .filter(
        (issue) =>
          (wanted === 'all' || issue.state === wanted) && (since === null || issue.updatedAt >= new Date(since).toISOString()),
      )
      .map((issue) => issueItem(state, repo, issue)),
    ...(since === null ? repo.pulls.filter((pull) => wanted === 'all' || pull.state === wanted) : []).map((pull) => ({
      ...pullItem(urlsOf(state), repo, pull),
      pull_request: {url: `${state.baseUrl}/repos/${repo.fullName}/pulls/${pull.number}`},
    })),
  ].sort((a, b) => (url.searchParams.get('direction') === 'asc' ? a.number - b.number : b.number - a.number))
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30))
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1)
  const lastPage = Math.max(1, Math.ceil(items.length / perPage))
  return HttpResponse.json(items.slice((page - 1) * perPage, page * perPage), {headers: pageLinks(url, page, lastPage)})
}

function createIssue(state: GitHubMockState, url: URL, request: RecordedGitHubRequest): Response {
  const {repo} = repoRequest(state, url)
  if (!repo) return githubError(404, 'Not Found', ISSUE_DOCS.create)
  const body = parseBody(request.body)
  if (typeof body.title !== 'string' || body.title.trim() === '') {
    return issueInvalid([{resource: 'Issue', field: 'title', code: 'missing_field'}], ISSUE_DOCS.create)
  }
  const problem = bodyProblem(body.body)
  if (problem) return issueInvalid([problem], ISSUE_DOCS.create)
  if (body.labels !== undefined && (!Array.isArray(body.labels) || body.labels.some((label) => typeof label !== 'string'))) {
    return issueInvalid([{resource: 'Issue', field: 'labels', code: 'invalid'}], ISSUE_DOCS.create)
  }
  const at = new Date().toISOString()
  const issue: GitHubMockIssue = {
    number: issuesOf(repo).length + repo.pulls.length + 1,
    title: body.title,
    body: typeof body.body === 'string' ? body.body : '',
    labels: (body.labels as string[] | undefined) ?? [],
    state: 'open',
    createdAt: at,
    updatedAt: at,
    comments: [],
  }
  issuesOf(repo).push(issue)
  return HttpResponse.json(issueItem(state, repo, issue), {status: 201})
}

function getIssue(state: GitHubMockState, url: URL): Response {
  const {repo, issue} = issueRequest(state, url)
  if (!repo || !issue) return githubError(404, 'Not Found', ISSUE_DOCS.get)
  return HttpResponse.json(issueItem(state, repo, issue))
}

function updateIssue(state: GitHubMockState, url: URL, request: RecordedGitHubRequest): Response {
  const {repo, issue} = issueRequest(state, url)
  if (!repo || !issue) return githubError(404, 'Not Found', ISSUE_DOCS.update)
  const body = parseBody(request.body)
  const problem = bodyProblem(body.body)
  if (problem) return issueInvalid([problem], ISSUE_DOCS.update)
  if (typeof body.title === 'string') issue.title = body.title
  if (typeof body.body === 'string') issue.body = body.body
  if (body.state === 'open' || body.state === 'closed') issue.state = body.state
  if (Array.isArray(body.labels)) issue.labels = body.labels.filter((label): label is string => typeof label === 'string')
  issue.updatedAt = new Date().toISOString()
  return HttpResponse.json(issueItem(state, repo, issue))
}

function listComments(state: GitHubMockState, url: URL): Response {
  const {repo, issue} = issueRequest(state, url)
  if (!repo || !issue) return githubError(404, 'Not Found', ISSUE_DOCS.comments)
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30))
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1)
  const lastPage = Math.max(1, Math.ceil(issue.comments.length / perPage))
  const items = issue.comments
    .slice((page - 1) * perPage, page * perPage)
    .map((comment) => commentItem(state, repo, issue, comment))
  return HttpResponse.json(items, {headers: pageLinks(url, page, lastPage)})
}

function createComment(state: GitHubMockState, url: URL, request: RecordedGitHubRequest): Response {
  const {repo, issue} = issueRequest(state, url)
  if (!repo || !issue) return githubError(404, 'Not Found', ISSUE_DOCS.comment)
  const body = parseBody(request.body)
  if (typeof body.body !== 'string' || body.body === '') {
    return issueInvalid([{resource: 'IssueComment', field: 'body', code: 'missing_field'}], ISSUE_DOCS.comment)
  }
  const problem = bodyProblem(body.body)
  if (problem) return issueInvalid([{...problem, resource: 'IssueComment'}], ISSUE_DOCS.comment)
  const comment = {
    id: 1000 + issuesOf(repo).reduce((n, each) => n + each.comments.length, 0),
    body: body.body,
    createdAt: new Date().toISOString(),
  }
  issue.comments.push(comment)
  issue.updatedAt = comment.createdAt
  return HttpResponse.json(commentItem(state, repo, issue, comment), {status: 201})
}

function bodyProblem(body: unknown): Record<string, string> | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body !== 'string') return {resource: 'Issue', field: 'body', code: 'invalid'}
  if (body.length > GITHUB_BODY_LIMIT) {
    return {
      resource: 'Issue',
      field: 'body',
      code: 'custom',
      message: `body is too long (maximum is ${GITHUB_BODY_LIMIT} characters)`,
    }
  }
  return undefined
}

function issueInvalid(errors: Array<Record<string, string>>, documentationUrl: string): Response {
  return HttpResponse.json(
    {message: 'Validation Failed', errors, documentation_url: documentationUrl, status: '422'},
    {status: 422, headers: {'x-github-request-id': REQUEST_ID}},
  )
}

function pageLinks(url: URL, page: number, lastPage: number): Record<string, string> {
  const at = (n: number) => {
    const next = new URL(url)
    next.searchParams.set('page', String(n))
    return next.toString()
  }
  const links: string[] = []
  if (page < lastPage) links.push(`<${at(page + 1)}>; rel="next"`, `<${at(lastPage)}>; rel="last"`)
  if (page > 1) links.push(`<${at(page - 1)}>; rel="prev"`, `<${at(1)}>; rel="first"`)
  return links.length > 0 ? {link: links.join(', ')} : {}
}

function issueItem(state: GitHubMockState, repo: GitHubMockRepo, issue: GitHubMockIssue) {
  return {
    id: repoId(`${repo.fullName}#${issue.number}`),
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    labels: issue.labels.map((name) => ({name})),
    comments: issue.comments.length,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    url: `${state.baseUrl}/repos/${repo.fullName}/issues/${issue.number}`,
    html_url: `${webUrl(state.baseUrl)}/${repo.fullName}/issues/${issue.number}`,
    user: {login: 'jwkr-bot', type: 'User'},
  }
}

function commentItem(state: GitHubMockState, repo: GitHubMockRepo, issue: GitHubMockIssue, comment: CommentShape) {
  return {
    id: comment.id,
    body: comment.body,
    created_at: comment.createdAt,
    updated_at: comment.updatedAt ?? comment.createdAt,
    url: `${state.baseUrl}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `${webUrl(state.baseUrl)}/${repo.fullName}/issues/${issue.number}#issuecomment-${comment.id}`,
    user: {login: 'jwkr-bot', type: 'User'},
  }
}

function urlsOf(state: GitHubMockState): GitHubUrls {
  return {api: state.baseUrl, web: webUrl(state.baseUrl), raw: 'https://raw.githubusercontent.com'}
}
