// msw handlers for the GitHub REST API, written the way the real API behaves: token auth (401
// "Requires authentication" / "Bad credentials"), code search with the legacy query syntax, Link
// pagination and the 1,000-result cap, 422 "Validation Failed" shapes, primary and secondary rate
// limits, 5xx outages, and a record of every request. Serves any API root (api.github.com or a GHE
// https://HOST/api/v3). New endpoints: add a `route(state, method, path, resolver)` to githubHandlers.
import {createHash} from 'node:crypto'

import {http, HttpResponse, type HttpHandler} from 'msw'

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
  /** Code search answers with incomplete_results: true (the search timed out on GitHub's side). */
  incompleteResults: boolean
  /** Repositories served by the contents, git refs and pulls endpoints (see createGitHubRepo). */
  repos: GitHubMockRepo[]
}

/** A repository as the contents / git refs / pulls endpoints see it: branches pointing at commits of whole trees. */
export interface GitHubMockRepo {
  /** owner/name */
  fullName: string
  defaultBranch: string
  /** Branch name → the sha of its head commit. */
  branches: Record<string, string>
  /** Commit sha → its parent, message and the whole tree (path → content). */
  commits: Record<string, {parent: string | null; message: string; files: Record<string, string>}>
  pulls: GitHubMockPull[]
}

export interface GitHubMockPull {
  number: number
  title: string
  body: string
  /** Branch names (the head in the same repository). */
  head: string
  base: string
  state: 'open' | 'closed'
}

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
    return gate(state, request) ?? resolve(state, url, recorded)
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
function take(state: GitHubMockState, name: 'outage' | 'secondaryRateLimit' | 'primaryRateLimit'): boolean {
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
function blobSha(content: string): string {
  const bytes = Buffer.from(content)
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex')
}

function repoId(fullName: string): number {
  return Number.parseInt(createHash('sha1').update(fullName).digest('hex').slice(0, 8), 16)
}
