// GitHub code search for a leaked key's public needles within one organisation (GET /search/code,
// legacy query syntax). One query per distinct term, paginated up to the API's 1,000-result cap,
// results merged by repository and path with the kinds of needle that matched. Only public values
// are ever sent: a term the secret registry recognises is refused before any request. Behind
// `jwkr code search` and the code.search step.
import {ExitCode, JwkrError} from '../core/errors.js'
import {keyNeedles} from '../core/key/needles.js'
import type {LoadedKey} from '../core/key/types.js'
import type {SecretRegistry} from '../core/secrets.js'
import {
  createGitHubClient,
  githubSettingsFromEnv,
  type GitHubClient,
  type GitHubClientOptions,
} from '../adapters/github/client.js'

/**
 * The GitHub client a search runs on: GITHUB_TOKEN and GITHUB_API_URL from `env` (default the
 * process's), the token registered with `secrets` first.
 */
export function searchClient(options: {
  env?: NodeJS.ProcessEnv
  secrets: SecretRegistry
  log?: GitHubClientOptions['log']
}): GitHubClient {
  return createGitHubClient({...githubSettingsFromEnv(options.env), secrets: options.secrets, log: options.log})
}

/** The API a search calls, for plans: `GET <base>/search/code`. */
export function searchTarget(env?: NodeJS.ProcessEnv): string {
  return `GET ${githubSettingsFromEnv(env).baseUrl}/search/code`
}

export interface SearchTerm {
  kind: string
  value: string
  /** For people: what the value is ("n (modulus) bytes 96–114, base64url"). */
  description?: string
}

export interface CodeSearchProgress {
  term: SearchTerm
  /** 1-based position among the queries sent, and their number. */
  query: number
  queries: number
  page: number
  fetched: number
  results: number
}

export interface CodeSearchOptions {
  client: GitHubClient
  org: string
  terms: readonly SearchTerm[]
  secrets: SecretRegistry
  /** Results fetched per term at most (1–1,000; GitHub never returns more than 1,000). */
  maxResults?: number
  onProgress?: (progress: CodeSearchProgress) => void
}

export interface CodeSearchTermReport {
  kind: string
  description: string | null
  value: string
  /** The `q` sent (shared by terms GitHub cannot tell apart), or null when skipped. */
  query: string | null
  searched: boolean
  /** Why the term was not searched. */
  skipped: string | null
  /** GitHub's total_count: files that match, including those past the cap. */
  results: number
  fetched: number
  /** GitHub's search timed out and answered with what it had found (incomplete_results). */
  incompleteResults: boolean
  /** Why fewer results were fetched than matched: GitHub's 1,000-result cap, or --max-results. */
  limitedBy: 'api-cap' | 'max-results' | null
}

export interface CodeSearchHit {
  /** owner/name */
  repo: string
  path: string
  /** The file on GitHub's web UI. */
  url: string
  /** Git blob id of the file that matched. */
  sha: string
  /** Needle kinds found in the file, in the order they were searched. */
  matches: string[]
}

export interface CodeSearchResult {
  org: string
  terms: CodeSearchTermReport[]
  results: CodeSearchHit[]
  /** True when some term may match more files than are listed. */
  incomplete: boolean
}

/** GitHub returns at most 1,000 results per search. */
export const SEARCH_RESULT_CAP = 1000
/** Longest search text GitHub accepts, qualifiers not counted. */
export const MAX_TERM_LENGTH = 256
/** Shorter text matches too much code to mean anything (the same bar as `code scan` puts on a kid). */
export const MIN_TERM_LENGTH = 8
const PER_PAGE = 100

/** Characters legacy code search ignores ("Searching code (legacy)"): they act as separators. */
const IGNORED = /[.,:;/\\`'"=*!?#$&+^|~<>(){}[\]@\s]+/g
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})$/

/**
 * The terms to search GitHub for: every public needle of every key (kid, thumbprints, x5t,
 * windows of the public material, lines of its public DER encodings), never a private one.
 * `kinds` keeps only those needle kinds, to spend less of the search rate limit.
 */
export function searchTermsForKeys(keys: readonly LoadedKey[], kinds?: readonly string[]): SearchTerm[] {
  return keys.flatMap((key) =>
    keyNeedles(key)
      .filter((needle) => needle.public && (kinds === undefined || kinds.length === 0 || kinds.includes(needle.kind)))
      .map((needle) => ({
        kind: needle.kind,
        value: needle.value,
        description: keys.length > 1 ? `key ${key.report.index + 1}: ${needle.description}` : needle.description,
      })),
  )
}

/**
 * Searches the organisation's code for each term and merges the hits.
 *
 * @example const found = await searchCode({client, org: 'example-org', terms: [{kind: 'kid', value: 'prod-2024-signing'}], secrets})
 */
export async function searchCode(options: CodeSearchOptions): Promise<CodeSearchResult> {
  const {client, org, secrets, onProgress} = options
  if (!GITHUB_LOGIN.test(org)) {
    throw new JwkrError('ERR_USAGE', `"${org}" is not a GitHub organisation name.`, {
      hint: 'Pass the organisation login as in https://github.com/ORG: letters, digits and hyphens.',
      exitCode: ExitCode.usage,
    })
  }
  const maxResults = Math.min(SEARCH_RESULT_CAP, Math.max(1, Math.floor(options.maxResults ?? SEARCH_RESULT_CAP)))
  const reports = options.terms.map((term) => planTerm(term, org, secrets))
  // Code search is case-insensitive and ignores punctuation, so values that differ only there
  // (upper- and lower-case hex) are one search: later ones reuse the first one's query.
  const firstQuery = new Map<string, string>()
  for (const report of reports) {
    if (report.query === null) continue
    const key = report.query.replace(IGNORED, ' ').trim().toLowerCase()
    report.query = firstQuery.get(key) ?? report.query
    firstQuery.set(key, report.query)
  }
  const queries = [...new Set(reports.flatMap((report) => (report.query === null ? [] : [report.query])))]
  const hits = new Map<string, CodeSearchHit>()

  for (const [index, query] of queries.entries()) {
    const sharing = reports.filter((report) => report.query === query)
    const first = options.terms[reports.indexOf(sharing[0] as CodeSearchTermReport)] as SearchTerm
    const outcome = await runQuery(client, query, maxResults, (page, fetched, results) =>
      onProgress?.({term: first, query: index + 1, queries: queries.length, page, fetched, results}),
    )
    for (const report of sharing) Object.assign(report, outcome.summary)
    for (const item of outcome.items) {
      const key = `${item.repo}\n${item.path}`
      const hit = hits.get(key) ?? {...item, matches: []}
      for (const report of sharing) if (!hit.matches.includes(report.kind)) hit.matches.push(report.kind)
      hits.set(key, hit)
    }
  }

  const results = [...hits.values()].sort((a, b) => a.repo.localeCompare(b.repo) || a.path.localeCompare(b.path))
  const incomplete = reports.some((report) => report.incompleteResults || report.fetched < report.results)
  return {org, terms: reports, results, incomplete}
}

/** Decides whether and how a term is searched; never lets a registered secret through. */
function planTerm(term: SearchTerm, org: string, secrets: SecretRegistry): CodeSearchTermReport {
  const report: CodeSearchTermReport = {
    kind: term.kind,
    description: term.description ?? null,
    value: term.value,
    query: null,
    searched: false,
    skipped: null,
    results: 0,
    fetched: 0,
    incompleteResults: false,
    limitedBy: null,
  }
  if (secrets.leaks(term.value)) {
    // Never echo it either: the report keeps only the redacted form.
    return {...report, value: secrets.redact(term.value), skipped: 'private material: never sent to GitHub'}
  }
  const text = term.value.replace(/[\s"]+/g, ' ').trim()
  const searchable = text.replace(IGNORED, '')
  if (searchable.length < MIN_TERM_LENGTH) {
    return {
      ...report,
      skipped: `too short to search usefully (GitHub ignores punctuation; under ${MIN_TERM_LENGTH} characters are left)`,
    }
  }
  if (text.length > MAX_TERM_LENGTH) {
    return {...report, skipped: `longer than the ${MAX_TERM_LENGTH} characters GitHub's code search accepts`}
  }
  // Exact-string search: the value in double quotes (a quote inside it is ignored by GitHub anyway).
  return {...report, query: `"${text}" org:${org}`}
}

interface QueryOutcome {
  summary: Pick<CodeSearchTermReport, 'searched' | 'results' | 'fetched' | 'incompleteResults' | 'limitedBy'>
  items: Array<Omit<CodeSearchHit, 'matches'>>
}

interface SearchPage extends Array<CodeItem> {
  total_count?: number
  incomplete_results?: boolean
}

interface CodeItem {
  path: string
  sha: string
  html_url: string
  repository: {full_name: string}
}

async function runQuery(
  client: GitHubClient,
  q: string,
  maxResults: number,
  progress: (page: number, fetched: number, results: number) => void,
): Promise<QueryOutcome> {
  const items: QueryOutcome['items'] = []
  let total = 0
  let incompleteResults = false
  let page = 0
  // paginate normalises a search response to its items, with total_count and incomplete_results
  // kept as properties, and follows the Link header's rel="next".
  for await (const response of client.paginate.iterator(client.rest.search.code, {q, per_page: PER_PAGE})) {
    const data = response.data as SearchPage
    page += 1
    total = data.total_count ?? total
    incompleteResults ||= data.incomplete_results === true
    for (const item of data) {
      if (items.length >= maxResults) break
      items.push({repo: item.repository.full_name, path: item.path, url: item.html_url, sha: item.sha})
    }
    progress(page, items.length, total)
    if (items.length >= maxResults || data.length === 0) break
  }
  return {
    summary: {
      searched: true,
      results: total,
      fetched: items.length,
      incompleteResults,
      limitedBy: limitOf(total, items.length, maxResults),
    },
    items,
  }
}

function limitOf(total: number, fetched: number, maxResults: number): CodeSearchTermReport['limitedBy'] {
  if (total <= fetched) return null
  if (fetched >= maxResults && maxResults < SEARCH_RESULT_CAP) return 'max-results'
  return total > SEARCH_RESULT_CAP ? 'api-cap' : null
}
