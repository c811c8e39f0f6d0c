// Writes to GitHub that may have been applied although GitHub answered 5xx or not at all: the
// tracking issue, its comments and its checklist are looked for by their hidden markers before they
// are sent again, so a retry never makes a second issue or comment. Reads are still retried blind.
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {createGitHubClient} from '../../../src/adapters/github/client.js'
import {
  commentMarker,
  createTrackingIssue,
  postComment,
  renderTrackingIssue,
  updateChecklist,
  withChecklist,
} from '../../../src/adapters/github/tracking-issue.js'
import {loadTemplates, type TemplateSet} from '../../../src/adapters/templates/template-set.js'
import {JwkrError} from '../../../src/core/errors.js'
import type {ReportModel} from '../../../src/core/report/report-model.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {fixtureModel} from '../../core/report/fixture.js'
import {server} from '../../helpers/msw.js'
import {
  createGitHubRepo,
  createGitHubState,
  githubHandlers,
  issuesOf,
  type GitHubMockRepo,
  type GitHubMockState,
} from '../../mocks/github.js'

const REPO = 'example-org/security-incidents'
let state: GitHubMockState
let repo: GitHubMockRepo
let model: ReportModel
let templates: TemplateSet

beforeEach(async () => {
  model = await fixtureModel()
  templates = await loadTemplates()
  repo = createGitHubRepo(REPO, {})
  state = createGitHubState({repos: [repo]})
  server.use(...githubHandlers(state))
})

afterEach(() => server.resetHandlers())

function client(retries = 2, warnings: string[] = []) {
  return createGitHubClient({
    token: state.tokens[0],
    baseUrl: state.baseUrl,
    retries,
    throttle: {writeIntervalMs: 0, retryAfterBaseMs: 1},
    secrets: new SecretRegistry(),
    log: {warn: (message: string) => warnings.push(message)},
  })
}

const createIssue = (c: ReturnType<typeof client>) =>
  createTrackingIssue(c, {repo: REPO, model, templates, secrets: new SecretRegistry()})

const methods = () => state.requests.map((request) => `${request.method} ${request.path.replace(/\?.*$/, '')}`)

describe('creating the tracking issue when GitHub fails after the write', () => {
  it('502 after the issue was created: finds it by its marker and does not create a second', async () => {
    // Given GitHub creates the issue, then answers 502
    state.failAfterWrite = {times: 1, status: 502}
    const warnings: string[] = []
    // When the issue is created with retries on
    const issue = await createIssue(client(2, warnings))
    // Then exactly one issue exists, and it is the one returned
    expect(issuesOf(repo)).toHaveLength(1)
    expect(issue.number).toBe(issuesOf(repo)[0]?.number)
    expect(issue.url).toBe(`https://github.com/${REPO}/issues/${issue.number}`)
    // And the write was sent once, then the issues were listed instead of writing again
    expect(methods()).toEqual([`POST /repos/${REPO}/issues`, `GET /repos/${REPO}/issues`])
    expect(warnings).toEqual([
      `GitHub failed POST /repos/{owner}/{repo}/issues (502): waiting 1 s, then looking for its result before trying again (1 of 2).`,
    ])
  })

  it('no answer at all after the issue was created: the same', async () => {
    // Given the connection drops after GitHub created the issue
    state.failAfterWrite = {times: 1, status: 'network'}
    // When the issue is created
    await createIssue(client())
    // Then there is still one issue
    expect(issuesOf(repo)).toHaveLength(1)
    expect(methods().filter((method) => method.startsWith('POST'))).toHaveLength(1)
  })

  it('502 before anything was written: looks, finds nothing, and sends the write again', async () => {
    // Given GitHub fails the first request without creating anything
    state.outage = {times: 1, status: 502}
    // When the issue is created
    const issue = await createIssue(client())
    // Then it was created on the second attempt, once
    expect(issuesOf(repo)).toHaveLength(1)
    expect(issue.number).toBe(1)
    expect(methods()).toEqual([`POST /repos/${REPO}/issues`, `GET /repos/${REPO}/issues`, `POST /repos/${REPO}/issues`])
  })

  it('with retries off, a write is sent once and the failure reported', async () => {
    // Given GitHub creates the issue, then answers 503
    state.failAfterWrite = {times: 1, status: 503}
    // When a client that does not retry creates the issue
    const error = await createIssue(client(0)).catch((caught: unknown) => caught)
    // Then the error says GitHub failed, and nothing was sent twice
    expect(error).toBeInstanceOf(JwkrError)
    expect((error as JwkrError).code).toBe('ERR_GITHUB_UNAVAILABLE')
    expect(methods()).toEqual([`POST /repos/${REPO}/issues`])
  })

  it('a write without a way to look for its result is never sent again blind', async () => {
    // Given GitHub answers 502 after creating a branch
    repo.branches.main = Object.keys(repo.commits)[0] as string
    state.failAfterWrite = {times: 1, status: 502}
    // When a retrying client creates the branch (no reconcile given)
    const error = await client(3)
      .rest.git.createRef({owner: 'example-org', repo: 'security-incidents', ref: 'refs/heads/x', sha: repo.branches.main})
      .catch((caught: unknown) => caught)
    // Then it was sent once and the 502 reported
    expect((error as JwkrError).code).toBe('ERR_GITHUB_UNAVAILABLE')
    expect(methods()).toEqual([`POST /repos/${REPO}/git/refs`])
  })

  it('reads are still retried after a 5xx', async () => {
    // Given the list fails twice
    state.outage = {times: 2, status: 502}
    // When the issues are listed
    const {data} = await client(2).rest.issues.listForRepo({owner: 'example-org', repo: 'security-incidents'})
    // Then the third attempt answered
    expect(data).toEqual([])
    expect(methods()).toHaveLength(3)
  })
})

describe('comments and the checklist when GitHub fails after the write', () => {
  it('502 after the comment was posted: one comment, found by its marker', async () => {
    // Given an issue, and GitHub answers 502 after posting the comment
    const issue = await createIssue(client())
    state.requests.length = 0
    state.failAfterWrite = {times: 1, status: 502}
    const marker = commentMarker(model.incident.id, 'verify', 12)
    // When the comment is posted
    const posted = await postComment(client(), issue, {marker, body: 'Evidence'}, new SecretRegistry())
    // Then it counts as posted, exactly one comment exists, and the second POST was never sent
    expect(posted).toBe(true)
    expect(issuesOf(repo)[0]?.comments.map((comment) => comment.body)).toEqual([`Evidence\n\n${marker}\n`])
    expect(methods().filter((method) => method.startsWith('POST'))).toHaveLength(1)
  })

  it('502 after the checklist was written: the issue is read, and not written again', async () => {
    // Given an issue whose checklist changes, and GitHub answers 502 after the update
    const issue = await createIssue(client())
    state.requests.length = 0
    state.failAfterWrite = {times: 1, status: 502}
    const checklist = '<!-- jwkr-checklist:start -->\n- [x] inspect\n<!-- jwkr-checklist:end -->'
    // When the checklist is updated
    expect(await updateChecklist(client(), issue, checklist, new SecretRegistry())).toBe(true)
    // Then the body holds it, and the PATCH was sent once
    expect(issuesOf(repo)[0]?.body).toBe(withChecklist(renderTrackingIssue(templates, model).body, checklist))
    expect(methods()).toEqual([`GET /repos/${REPO}/issues/1`, `PATCH /repos/${REPO}/issues/1`, `GET /repos/${REPO}/issues/1`])
  })
})
