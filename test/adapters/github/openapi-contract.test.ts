// The GitHub simulator (src/drill/github-simulator.ts) checked against GitHub's official OpenAPI
// description (@octokit/openapi), through both its transports (test/mocks/github.ts, msw, for the
// tests; src/drill/fake-github.ts, node:http, for the drill): every route it serves is a GitHub
// operation, and when jwkr's own GitHub adapters run against it, every request body jwkr sends and
// every answer the simulator gives (2xx and 4xx) validates against the documented schemas, with the
// members jwkr reads present.
import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {createGitHubClient, type GitHubClient} from '../../../src/adapters/github/client.js'
import {searchCode} from '../../../src/services/search.js'
import {
  createTrackingIssue,
  findTrackingIssue,
  postComment,
  updateChecklist,
} from '../../../src/adapters/github/tracking-issue.js'
import {createGitHubFileKeyStore} from '../../../src/adapters/idp/github-file.js'
import type {InventoryIssuer} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {loadTemplates} from '../../../src/adapters/templates/template-set.js'
import {FAKE_GITHUB_ROUTES, startFakeGitHub, type FakeGitHub} from '../../../src/drill/fake-github.js'
import {fixtureModel} from '../../core/report/fixture.js'
import {loadGitHubOpenApi, type GitHubExchange, type GitHubOpenApi} from '../../helpers/github-openapi.js'
import {server} from '../../helpers/msw.js'
import {createGitHubRepo, createGitHubState, GITHUB_ROUTES, githubHandlers} from '../../mocks/github.js'
import {makeKey, type TestKey} from '../idp/helpers/keys.js'
import {LedgerRunner} from '../../helpers/ledger-runner.js'

const TOKEN = 'ghp_testtoken0000000000000000000000000000'
const REPO = 'example-org/security-incidents'
const CONFIG_REPO = 'example-org/auth-config'
const JWKS_PATH = 'deploy/jwks/auth-main.json'

/** The members of each answer that jwkr's adapters read (`[]`: every item). */
const READS: Record<string, readonly string[]> = {
  'issues/create': ['number', 'html_url'],
  'issues/get': ['number', 'body'],
  'issues/update': ['number'],
  'issues/list-for-repo': ['[].number', '[].body', '[].html_url'],
  'issues/list-comments': ['[].id', '[].body'],
  'issues/create-comment': ['id'],
  'search/code': [
    'total_count',
    'incomplete_results',
    'items[].path',
    'items[].sha',
    'items[].html_url',
    'items[].repository.full_name',
  ],
  'repos/get': ['default_branch'],
  'repos/get-content': ['type', 'encoding', 'content', 'sha'],
  'repos/create-or-update-file-contents': ['commit.sha'],
  'git/get-ref': ['object.sha'],
  'git/create-ref': ['object.sha'],
  'pulls/list': ['[].number', '[].html_url'],
  'pulls/create': ['number', 'html_url'],
}
/** What jwkr reads of a refusal (errors.ts): the message. */
const ERROR_READS = ['message']

let publicApi: GitHubOpenApi
let enterpriseApi: GitHubOpenApi

beforeAll(() => {
  publicApi = loadGitHubOpenApi('api.github.com')
  enterpriseApi = loadGitHubOpenApi('ghes-3.19')
}, 60_000)

describe('the routes the GitHub simulator serves', () => {
  it('are all operations of the public REST API (what the msw transport stands for)', () => {
    const routes = GITHUB_ROUTES
    expect(routes.length).toBeGreaterThan(10)
    // Then each method and path template is one GitHub documents
    expect(routes.filter((route) => !operationOf(publicApi, route))).toEqual([])
  })

  it('are all operations of GitHub Enterprise Server 3.19, whose REST root the drill mimics (the drill fake)', () => {
    expect(FAKE_GITHUB_ROUTES).toBe(GITHUB_ROUTES)
    expect(FAKE_GITHUB_ROUTES.filter((route) => !operationOf(enterpriseApi, route))).toEqual([])
    expect(FAKE_GITHUB_ROUTES.filter((route) => !operationOf(publicApi, route))).toEqual([])
  })

  it('a route GitHub does not have is told apart (the check can fail)', () => {
    expect(operationOf(publicApi, 'POST /repos/{owner}/{repo}/issues/{number}/close')).toBeUndefined()
    expect(operationOf(publicApi, 'PUT /repos/{owner}/{repo}/pulls')).toBeUndefined()
  })
})

function operationOf(api: GitHubOpenApi, route: string) {
  const [method = '', path = ''] = route.split(' ')
  return api.operation(method, path)
}

interface Simulator {
  name: string
  /** The method and path template of each route it serves. */
  routes: readonly string[]
  api: () => GitHubOpenApi
  /** Starts it with the repositories below and returns its REST root. */
  start(files: Record<string, Record<string, string>>): Promise<string>
  stop(): Promise<void>
}

const simulators: Simulator[] = [
  (() => {
    return {
      name: 'test/mocks/github.ts (msw)',
      routes: GITHUB_ROUTES,
      api: () => publicApi,
      async start(files) {
        const state = createGitHubState({
          repos: Object.entries(files).map(([fullName, tree]) => createGitHubRepo(fullName, tree)),
          files: Object.entries(files).flatMap(([repo, tree]) =>
            Object.entries(tree).map(([path, content]) => ({repo, path, content})),
          ),
        })
        server.use(...githubHandlers(state))
        return state.baseUrl
      },
      async stop() {
        server.resetHandlers()
      },
    }
  })(),
  (() => {
    let github: FakeGitHub | undefined
    return {
      name: 'src/drill/fake-github.ts (node:http)',
      routes: FAKE_GITHUB_ROUTES,
      api: () => enterpriseApi,
      async start(files) {
        github = await startFakeGitHub({
          token: TOKEN,
          repos: Object.entries(files).map(([fullName, tree]) => ({fullName, files: tree})),
        })
        return github.apiUrl
      },
      async stop() {
        await github?.close()
      },
    }
  })(),
]

describe.each(simulators)('$name, as jwkr uses it', (simulator) => {
  let baseUrl: string
  let exchanges: GitHubExchange[]
  let leaked: TestKey
  /** Operations the tests below made jwkr (or a drill participant) call. */
  const exercised = new Set<string>()

  beforeAll(async () => {
    leaked = await makeKey('RSA')
  })

  beforeEach(async () => {
    exchanges = []
    const jwks = {keys: [{kid: 'leaked-1', use: 'sig', alg: 'RS256', ...leaked.publicJwk}]}
    baseUrl = await simulator.start({
      [REPO]: {},
      [CONFIG_REPO]: {[JWKS_PATH]: `${JSON.stringify(jwks, null, 2)}\n`, 'README.md': 'auth config\n'},
    })
    server.events.on('response:mocked', tap)
    server.events.on('response:bypass', tap)
  })

  afterEach(async () => {
    server.events.removeAllListeners()
    await simulator.stop()
  })

  async function tap({request, response}: {request: Request; response: Response}) {
    const url = new URL(request.url)
    const root = new URL(baseUrl)
    if (url.origin !== root.origin || !url.pathname.startsWith(root.pathname)) return
    const sent = await request
      .clone()
      .text()
      .catch(() => '')
    const answered = await response.clone().text()
    exchanges.push({
      method: request.method,
      path: url.pathname.slice(root.pathname.replace(/\/$/, '').length),
      ...(sent === '' ? {} : {requestBody: JSON.parse(sent) as unknown}),
      status: response.status,
      responseBody: answered === '' ? undefined : (JSON.parse(answered) as unknown),
    })
  }

  const client = (token = TOKEN): GitHubClient =>
    createGitHubClient({
      token,
      baseUrl,
      retries: 0,
      throttle: {writeIntervalMs: 0, retryAfterBaseMs: 1},
      secrets: new SecretRegistry(),
    })

  /** Every exchange checked against the description; returns the problems and the operations seen. */
  function checked() {
    const api = simulator.api()
    const problems = exchanges.flatMap((exchange) => {
      const operation = api.operation(exchange.method, exchange.path)
      const reads = exchange.status >= 400 ? ERROR_READS : (READS[operation?.operationId ?? ''] ?? [])
      return api.check(exchange, {reads})
    })
    const seen = exchanges.map((exchange) => `${api.operation(exchange.method, exchange.path)?.operationId} ${exchange.status}`)
    for (const operation of seen) exercised.add(operation.split(' ')[0] ?? '')
    return {problems, seen: [...new Set(seen)].sort()}
  }

  it('the tracking issue: create, find, checklist, comment', async () => {
    // Given jwkr's tracking-issue adapter
    const github = client()
    const secrets = new SecretRegistry()
    const model = await fixtureModel()
    // When it opens the issue, finds it again, ticks the checklist and comments twice (once a no-op)
    const issue = await createTrackingIssue(github, {repo: REPO, model, templates: await loadTemplates(), secrets})
    expect(await findTrackingIssue(github, {repo: REPO, incidentId: model.incident.id})).toEqual(issue)
    await updateChecklist(github, issue, '- [x] rotated', secrets)
    expect(await postComment(github, issue, {marker: '<!-- m1 -->', body: 'rotated <!-- m1 -->'}, secrets)).toBe(true)
    expect(await postComment(github, issue, {marker: '<!-- m1 -->', body: 'rotated <!-- m1 -->'}, secrets)).toBe(false)
    // Then every request and answer is what GitHub documents
    const {problems, seen} = checked()
    expect(problems).toEqual([])
    expect(seen).toEqual(
      expect.arrayContaining([
        'issues/create 201',
        'issues/list-for-repo 200',
        'issues/get 200',
        'issues/update 200',
        'issues/list-comments 200',
        'issues/create-comment 201',
      ]),
    )
  })

  it("code search for a key's modulus", async () => {
    const modulus = String(leaked.publicJwk.n)
    await searchCode({
      client: client(),
      org: 'example-org',
      terms: [{kind: 'n', value: modulus.slice(0, 40)}],
      secrets: new SecretRegistry(),
    })
    const {problems, seen} = checked()
    expect(problems).toEqual([])
    expect(seen).toContain('search/code 200')
  })

  it('rotating a key kept in a repository file: branch, commits, pull request', async () => {
    const replacement = await makeKey('RSA')
    const issuer: InventoryIssuer = {
      id: 'auth-main',
      issuer: 'https://auth.example.com',
      keySource: {type: 'github-file', repo: CONFIG_REPO, path: JWKS_PATH},
    }
    const secrets = new SecretRegistry()
    const source = createGitHubFileKeyStore(
      issuer,
      {repo: CONFIG_REPO, path: JWKS_PATH},
      {env: {GITHUB_TOKEN: TOKEN}, secrets},
      {client: client()},
    )
    await source.rotate(
      {
        issuerId: 'auth-main',
        incidentId: '2026-11-29-abc123',
        leaked: {thumbprint: leaked.thumbprint, kid: 'leaked-1'},
        replacement: {publicJwk: {...replacement.publicJwk, alg: 'RS256', use: 'sig'}, kid: replacement.thumbprint},
        reason: 'key pasted into a public gist',
      },
      new LedgerRunner().run,
    )
    const {problems, seen} = checked()
    expect(problems).toEqual([])
    expect(seen).toEqual(
      expect.arrayContaining([
        'repos/get 200',
        'repos/get-content 200',
        'git/create-ref 201',
        'repos/create-or-update-file-contents 200',
        'pulls/list 200',
        'pulls/create 201',
      ]),
    )
  })

  it("GitHub's refusals: 401, 404, 422", async () => {
    // When jwkr is refused for a bad token, an unknown issue and an issue without a title
    const github = client()
    await expect(
      client('ghp_wrong').rest.issues.get({owner: 'example-org', repo: 'security-incidents', issue_number: 1}),
    ).rejects.toThrow()
    await expect(github.rest.issues.get({owner: 'example-org', repo: 'security-incidents', issue_number: 99})).rejects.toThrow()
    await expect(github.rest.issues.create({owner: 'example-org', repo: 'security-incidents', title: ''})).rejects.toThrow()
    await expect(
      github.rest.pulls.create({owner: 'example-org', repo: 'auth-config', title: 't', head: 'nope', base: 'main'}),
    ).rejects.toThrow()
    // Then each refusal has the documented shape
    const {problems, seen} = checked()
    expect(problems).toEqual([])
    expect(seen).toEqual(expect.arrayContaining(['issues/get 401', 'issues/get 404', 'issues/create 422', 'pulls/create 422']))
  })

  it("the drill's other routes: who am I, issue search, editing a comment", async () => {
    // Given an issue with a comment, as a drill participant (with the gh CLI or Octokit) makes them
    const github = client()
    const owner = 'example-org'
    const repo = 'security-incidents'
    const {data: issue} = await github.rest.issues.create({
      owner,
      repo,
      title: 'Leaked JWK',
      body: 'kid leaked-1',
      labels: ['incident'],
    })
    const {data: comment} = await github.rest.issues.createComment({owner, repo, issue_number: issue.number, body: 'looking'})
    // When they look themselves up, search the issues and edit the comment
    await github.rest.users.getAuthenticated()
    await github.rest.search.issuesAndPullRequests({q: `repo:${owner}/${repo} is:issue is:open label:incident leaked`})
    await github.rest.issues.updateComment({owner, repo, comment_id: comment.id, body: 'rotated'})
    const {problems, seen} = checked()
    expect(problems).toEqual([])
    expect(seen).toEqual(
      expect.arrayContaining(['users/get-authenticated 200', 'search/issues-and-pull-requests 200', 'issues/update-comment 200']),
    )
  })

  it('numbers issues and pull requests of a repository from one sequence, as GitHub does', async () => {
    // Given a repository with an issue, and a branch with a commit on it
    const github = client()
    const [owner, repo] = CONFIG_REPO.split('/') as [string, string]
    const {data: first} = await github.rest.issues.create({owner, repo, title: 'first'})
    const {data: main} = await github.rest.git.getRef({owner, repo, ref: 'heads/main'})
    await github.rest.git.createRef({owner, repo, ref: 'refs/heads/change', sha: main.object.sha})
    await github.rest.repos.createOrUpdateFileContents({
      owner,
      repo,
      path: 'NOTES.md',
      message: 'notes',
      content: Buffer.from('notes\n').toString('base64'),
      branch: 'change',
    })
    // When a pull request and then another issue are opened
    const {data: pull} = await github.rest.pulls.create({owner, repo, title: 'change', head: 'change', base: 'main'})
    const {data: second} = await github.rest.issues.create({owner, repo, title: 'second'})
    // Then they take the next numbers of one sequence, and the issue list holds both kinds
    expect([first.number, pull.number, second.number]).toEqual([1, 2, 3])
    const {data: listed} = await github.rest.issues.listForRepo({owner, repo})
    expect(listed.map((item) => [item.number, item.pull_request === undefined ? 'issue' : 'pull'])).toEqual([
      [3, 'issue'],
      [2, 'pull'],
      [1, 'issue'],
    ])
    expect(checked().problems).toEqual([])
  })

  it('every route it serves was exercised above', () => {
    const api = simulator.api()
    const operations = simulator.routes.map((route) => operationOf(api, route)?.operationId)
    expect(operations.filter((operation) => !exercised.has(operation ?? ''))).toEqual([])
  })
})

describe('the check itself', () => {
  it('refuses a body GitHub would refuse and an answer missing what jwkr reads', () => {
    const problems = publicApi.check(
      {
        method: 'POST',
        path: '/repos/o/r/issues',
        requestBody: {title: 't', labels: [7]},
        status: 201,
        responseBody: {number: '3'},
      },
      {reads: READS['issues/create']},
    )
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('request body: /labels/0'),
        expect.stringContaining('201 response: /number must be integer'),
        expect.stringContaining('lacks html_url'),
      ]),
    )
    expect(publicApi.check({method: 'GET', path: '/repos/o/r/issues/1', status: 418, responseBody: {}})).toEqual([
      expect.stringContaining('418 is not a documented status'),
    ])
  })
})
