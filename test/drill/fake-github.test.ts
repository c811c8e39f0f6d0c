import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {createGitHubClient, type GitHubClient} from '../../src/adapters/github/client.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {startFakeGitHub, type FakeGitHub} from '../../src/drill/fake-github.js'
import {rejection} from './helpers.js'

const TOKEN = 'ghp_drill0123456789abcdef0123456789abc'
const REPO = 'drill-org/security-incidents'

describe('the fake GitHub', () => {
  let dir: string
  let github: FakeGitHub | undefined
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jwkr-fake-github-'))
  })
  afterEach(async () => {
    await github?.close()
    github = undefined
    await rm(dir, {recursive: true, force: true})
  })

  const client = (retries = 0): GitHubClient =>
    createGitHubClient({
      token: TOKEN,
      baseUrl: github?.apiUrl,
      retries,
      secrets: new SecretRegistry(),
      throttle: {retryAfterBaseMs: 1, writeIntervalMs: 0},
    })
  const raw = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const response = await fetch(`${github?.apiUrl}${path}`, {
      method,
      headers: {
        ...(token === null ? {} : {authorization: `token ${token}`}),
        ...(body === undefined ? {} : {'content-type': 'application/json'}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return {status: response.status, body: (await response.json()) as Record<string, unknown>}
  }

  it("answers a missing or wrong token, an unknown repository and missing fields with GitHub's error shapes", async () => {
    // Given a fake GitHub with the incidents repository
    github = await startFakeGitHub({token: TOKEN, repos: [{fullName: REPO}]})

    // When requests come without a token, with a wrong one, for a missing repository, and without a title
    const none = await raw('POST', `/repos/${REPO}/issues`, {title: 'x'}, null)
    const wrong = await raw('POST', `/repos/${REPO}/issues`, {title: 'x'}, 'ghp_wrong')
    const missingRepo = await raw('POST', '/repos/drill-org/nope/issues', {title: 'x'})
    const noTitle = await raw('POST', `/repos/${REPO}/issues`, {body: 'no title'})
    const noIssue = await raw('POST', `/repos/${REPO}/issues/1/comments`, {body: 'hello'})
    await raw('POST', `/repos/${REPO}/issues`, {title: 'Leaked key'})
    const noCommentBody = await raw('POST', `/repos/${REPO}/issues/1/comments`, {})
    const noQuery = await raw('GET', '/search/issues')

    // Then each gets GitHub's status and body
    expect(none).toMatchObject({status: 401, body: {message: 'Requires authentication', status: '401'}})
    expect(none.body.documentation_url).toMatch(/^https:\/\/docs\.github\.com\//)
    expect(wrong).toMatchObject({status: 401, body: {message: 'Bad credentials'}})
    expect(missingRepo).toMatchObject({status: 404, body: {message: 'Not Found'}})
    expect(noTitle).toMatchObject({
      status: 422,
      body: {message: 'Validation Failed', errors: [{resource: 'Issue', code: 'missing_field', field: 'title'}]},
    })
    expect(noIssue).toMatchObject({status: 404, body: {message: 'Not Found'}})
    expect(noCommentBody).toMatchObject({
      status: 422,
      body: {errors: [{resource: 'IssueComment', code: 'missing_field', field: 'body'}]},
    })
    expect(noQuery).toMatchObject({status: 422, body: {errors: [{resource: 'Search', field: 'q', code: 'missing'}]}})
    expect(github.repo(REPO)?.issues.map((issue) => [issue.title, issue.comments.length])).toEqual([['Leaked key', 0]])
  })

  it('translates through jwkr’s client: a wrong token is ERR_GITHUB_AUTH, a 422 is ERR_GITHUB_VALIDATION', async () => {
    // Given jwkr's GitHub client with a token the fake does not know
    github = await startFakeGitHub({token: TOKEN, repos: [{fullName: REPO}]})
    const stranger = createGitHubClient({token: 'ghp_other', baseUrl: github.apiUrl, retries: 0, secrets: new SecretRegistry()})

    // When it creates issues
    const auth = await rejection(stranger.rest.issues.create({owner: 'drill-org', repo: 'security-incidents', title: 'x'}))
    const invalid = await rejection(
      client().rest.issues.create({owner: 'drill-org', repo: 'security-incidents', title: '', labels: ['jwkr']}),
    )

    // Then jwkr's error codes come out
    expect(auth.code).toBe('ERR_GITHUB_AUTH')
    expect(invalid.code).toBe('ERR_GITHUB_VALIDATION')
    expect(invalid.message).toContain('Issue title invalid')
  })

  it('keeps a tracking issue: create, search, comment, update, and records what was posted', async () => {
    // Given a fake GitHub logging to a file
    const logFile = join(dir, 'github.log.jsonl')
    github = await startFakeGitHub({token: TOKEN, repos: [{fullName: REPO}], logFile})
    const octokit = client()

    // When jwkr opens the tracking issue, finds it again, comments and closes it
    const created = await octokit.rest.issues.create({
      owner: 'drill-org',
      repo: 'security-incidents',
      title: 'Leaked key abc (incident 2026-11-29-abc)',
      body: 'Contained: 2 of 5',
      labels: ['jwkr', 'incident'],
    })
    const search = await octokit.rest.search.issuesAndPullRequests({
      q: `repo:${REPO} is:issue in:title "incident 2026-11-29-abc"`,
    })
    const none = await octokit.rest.search.issuesAndPullRequests({q: `repo:${REPO} is:issue label:other`})
    const listed = await octokit.rest.issues.listForRepo({
      owner: 'drill-org',
      repo: 'security-incidents',
      state: 'all',
      sort: 'created',
      direction: 'desc',
      since: new Date(Date.now() - 60_000).toISOString(),
    })
    const later = await octokit.rest.issues.listForRepo({
      owner: 'drill-org',
      repo: 'security-incidents',
      state: 'all',
      since: new Date(Date.now() + 60_000).toISOString(),
    })
    await octokit.rest.issues.createComment({
      owner: 'drill-org',
      repo: 'security-incidents',
      issue_number: created.data.number,
      body: 'All 5 contained.',
    })
    await octokit.rest.issues.update({
      owner: 'drill-org',
      repo: 'security-incidents',
      issue_number: created.data.number,
      state: 'closed',
    })
    const fetched = await octokit.rest.issues.get({
      owner: 'drill-org',
      repo: 'security-incidents',
      issue_number: created.data.number,
    })
    const comments = await octokit.rest.issues.listComments({
      owner: 'drill-org',
      repo: 'security-incidents',
      issue_number: created.data.number,
    })
    await github.close()

    // Then the issue is as a real GitHub would hold it, and the log has every request without the token
    expect(created.status).toBe(201)
    expect(created.data).toMatchObject({number: 1, state: 'open', html_url: `${github.origin}/${REPO}/issues/1`})
    expect(search.data.items.map((item) => item.number)).toEqual([1])
    expect(none.data.total_count).toBe(0)
    expect(listed.data.map((issue) => issue.number)).toEqual([1])
    expect(later.data).toEqual([])
    expect(fetched.data).toMatchObject({state: 'closed', comments: 1, labels: [{name: 'jwkr'}, {name: 'incident'}]})
    expect(comments.data.map((comment) => comment.body)).toEqual(['All 5 contained.'])
    const text = await readFile(logFile, 'utf8')
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as {route: string; status: number})
    expect(lines.map((line) => `${line.route} ${line.status}`)).toEqual([
      'POST /repos/{owner}/{repo}/issues 201',
      'GET /search/issues 200',
      'GET /search/issues 200',
      'GET /repos/{owner}/{repo}/issues 200',
      'GET /repos/{owner}/{repo}/issues 200',
      'POST /repos/{owner}/{repo}/issues/{number}/comments 201',
      'PATCH /repos/{owner}/{repo}/issues/{number} 200',
      'GET /repos/{owner}/{repo}/issues/{number} 200',
      'GET /repos/{owner}/{repo}/issues/{number}/comments 200',
    ])
    expect(text).toContain('All 5 contained.')
    expect(text).not.toContain(TOKEN)
  })

  it('plays an outage: issue creation answers 503, is not sent again blind, and nothing is created', async () => {
    // Given the github-outage fault and jwkr's client retrying twice
    github = await startFakeGitHub({
      token: TOKEN,
      repos: [{fullName: REPO}],
      faults: [{match: 'POST /repos/{owner}/{repo}/issues', replies: [{status: 503}, {status: 500}], repeat: true}],
    })

    // When the tracking issue is created, and other calls are made
    const error = await rejection(
      client(2).rest.issues.create({owner: 'drill-org', repo: 'security-incidents', title: 'Leaked key'}),
    )
    const search = await client().rest.search.issuesAndPullRequests({q: `repo:${REPO} is:issue`})

    // Then creation fails as GitHub being unavailable after one try (a write that may have been applied is
    // sent again only after a reconcile found nothing, and none was given), while the rest of GitHub works
    expect(error.code).toBe('ERR_GITHUB_UNAVAILABLE')
    expect(github.faults.map((fault) => fault.status)).toEqual([503])
    expect(search.status).toBe(200)
    expect(github.repo(REPO)?.issues).toEqual([])
  })

  it('serves contents, refs and pull requests, and finds a committed key with code search', async () => {
    // Given a repository with a key committed in it
    github = await startFakeGitHub({
      token: TOKEN,
      repos: [{fullName: 'drill-org/billing-api', files: {'config/key.json': '{"kid":"auth-1","d":"secret"}\n'}}],
    })
    const octokit = client()

    // When the key is searched for, and a fix is proposed on a branch
    const found = await octokit.rest.search.code({q: '"auth-1" org:drill-org'})
    const file = await octokit.rest.repos.getContent({owner: 'drill-org', repo: 'billing-api', path: 'config/key.json'})
    const main = await octokit.rest.git.getRef({owner: 'drill-org', repo: 'billing-api', ref: 'heads/main'})
    await octokit.rest.git.createRef({
      owner: 'drill-org',
      repo: 'billing-api',
      ref: 'refs/heads/jwkr/remove-key',
      sha: main.data.object.sha,
    })
    const sha = (file.data as {sha: string}).sha
    await octokit.rest.repos.createOrUpdateFileContents({
      owner: 'drill-org',
      repo: 'billing-api',
      path: 'config/key.json',
      message: 'Remove key',
      content: Buffer.from('{}\n').toString('base64'),
      sha,
      branch: 'jwkr/remove-key',
    })
    const pull = await octokit.rest.pulls.create({
      owner: 'drill-org',
      repo: 'billing-api',
      title: 'Remove the leaked key',
      head: 'jwkr/remove-key',
      base: 'main',
    })
    const stale = await rejection(
      octokit.rest.repos.createOrUpdateFileContents({
        owner: 'drill-org',
        repo: 'billing-api',
        path: 'config/key.json',
        message: 'again',
        content: 'e30K',
        sha,
        branch: 'jwkr/remove-key',
      }),
    )

    // Then GitHub behaves as GitHub: found, read, branched, changed, proposed, and a stale sha refused
    expect(found.data.items.map((item) => `${item.repository.full_name}:${item.path}`)).toEqual([
      'drill-org/billing-api:config/key.json',
    ])
    expect(pull.data).toMatchObject({number: 1, head: {ref: 'jwkr/remove-key'}})
    expect(github.fileAt('drill-org/billing-api', 'config/key.json', 'jwkr/remove-key')).toBe('{}\n')
    expect(github.fileAt('drill-org/billing-api', 'config/key.json')).toContain('auth-1')
    expect(stale.code).toBe('ERR_GITHUB_REQUEST_FAILED')
    expect(stale.details?.status).toBe(409)
  })
})
