// The drill's GitHub: the GitHub simulator (github-simulator.ts) served over node:http on loopback,
// under a GitHub Enterprise style REST root (`<origin>/api/v3`, what GITHUB_API_URL is set to).
// Every request is recorded (in memory and as JSON lines, without the token); a scenario's scripted
// faults (by route) stand in for an outage.
import {createFaultScript, type FaultRule, type InjectedFault} from './fault-script.js'
import {
  answerGitHub,
  createGitHubRepo,
  createGitHubState,
  fileAt,
  findRepo,
  githubError,
  GITHUB_ROUTES,
  type CommentShape,
  type GitHubRoute,
  type IssueShape,
  type PullShape,
  type RepositoryState,
} from './github-simulator.js'
import {parseJson} from './loopback-server.js'
import {createRecordLog} from './record-log.js'
import {serveSimulator} from './simulator.js'

export const FAKE_GITHUB_ROUTES = GITHUB_ROUTES
export type FakeGitHubRoute = GitHubRoute

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
  /** HTTP status, or 0 when the connection was dropped or never answered. */
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

/**
 * @example const github = await startFakeGitHub({token: 'ghp_drill…', repos: [{fullName: 'drill-org/security-incidents'}]})
 *   // GITHUB_API_URL=${github.apiUrl} GITHUB_TOKEN=ghp_drill…
 */
export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const now = options.now ?? Date.now
  const repos = (options.repos ?? []).map((repo) => createGitHubRepo(repo.fullName, repo.files ?? {}, repo.defaultBranch))
  const state = createGitHubState({
    tokens: [options.token],
    bot: {...FAKE_GITHUB_BOT, type: 'Bot'},
    repos,
    faults: createFaultScript(options.faults ?? [], now),
    now,
  })
  const log = createRecordLog<FakeGitHubRecord>(options.logFile ?? null)
  const server = await serveSimulator(
    FAKE_GITHUB_API_PATH,
    (request) => {
      const {reply, record} = answerGitHub(state, request)
      const status = record.answer?.status
      log.append({
        at: record.at ?? '',
        method: record.method,
        path: `${record.path}${request.url.search}`,
        route: record.route ?? null,
        status: typeof status === 'number' ? status : 0,
        body: record.body === '' ? null : (parseJson(record.body) ?? null),
        fault: record.answer?.fault ?? false,
      })
      return reply
    },
    () => githubError(404, 'Not Found'),
  )
  state.baseUrl = `${server.origin}${FAKE_GITHUB_API_PATH}`
  return {
    origin: server.origin,
    apiUrl: state.baseUrl,
    repos,
    records: log.records,
    faults: state.faults.injected,
    repo: (fullName) => findRepo(state, fullName),
    fileAt: (fullName, path, branch) => {
      const repo = findRepo(state, fullName)
      return repo && fileAt(repo, branch ?? repo.defaultBranch, path)
    },
    close: async () => {
      await server.close()
      await log.flush()
    },
  }
}
