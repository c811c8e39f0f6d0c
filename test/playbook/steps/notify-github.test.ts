// notify.github and the github-issue observer against the msw GitHub (test/mocks/github.ts): the
// tracking issue opened once and found again on resume, its checklist ticked as steps finish,
// evidence posted as comments, GitHub's real error shapes failing the step while the run goes on,
// and no private value of the leaked key in any request.
import {delay, http, HttpResponse} from 'msw'
import {mkdir, mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {createGitHubClient} from '../../../src/adapters/github/client.js'
import {
  CHECKLIST_END,
  CHECKLIST_START,
  commentMarker,
  postComment,
  updateChecklist,
  withChecklist,
} from '../../../src/adapters/github/tracking-issue.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {defineStep} from '../../../src/playbook/define-step.js'
import {Type} from '../../../src/playbook/step-schema.js'
import {githubIssueObserver} from '../../../src/playbook/observers/github-issue.js'
import {createRegistry} from '../../../src/playbook/registry.js'
import {resumeRun, startRun} from '../../../src/playbook/respond.js'
import {builtinSteps} from '../../../src/playbook/steps/index.js'
import {createNotifyGithubStep} from '../../../src/playbook/steps/notify-github.js'
import type {StepDefinition} from '../../../src/playbook/types.js'
import {baseOptions, readJournal, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'
import {server} from '../../helpers/msw.js'
import {projectRoot} from '../../helpers/run.js'
import {unescaped} from '../../templates/markup.js'
import {
  createGitHubRepo,
  createGitHubState,
  githubHandlers,
  issuesOf,
  type GitHubMockRepo,
  type GitHubMockState,
} from '../../mocks/github.js'

const TOKEN = 'ghp_testtoken0000000000000000000000000000'
const API = 'https://api.github.com'
const REPO = 'example-org/security-incidents'
const KEY = join(projectRoot, 'examples/leaked-signing-key.json')
const TUNING = {retries: 0, throttle: {writeIntervalMs: 0, retryAfterBaseMs: 1}}
const env = {GITHUB_TOKEN: TOKEN, GITHUB_API_URL: API}

let state: GitHubMockState
let repo: GitHubMockRepo
let needles: string[]

beforeEach(async () => {
  repo = createGitHubRepo(REPO, {})
  state = createGitHubState({repos: [repo]})
  server.use(...githubHandlers(state))
  const jwk = JSON.parse(await readFile(KEY, 'utf8')) as Record<string, string>
  needles = ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((member) => jwk[member] as string)
})

afterEach(() => server.resetHandlers())

/** A step that records what containment.verify records, a pull request link, and (planted) the key's `d`. */
function evidenceStep(): StepDefinition {
  return defineStep({
    id: 'test.evidence',
    title: 'Probe the relying parties',
    description: 'Records a probe and a pull request, as a verify or rotate step would.',
    inputSchema: Type.Record(Type.String(), Type.Never()),
    outputSchema: Type.Object({done: Type.Boolean()}),
    sideEffects: false,
    plan: () => [],
    async run(_input, context) {
      const d = needles[0] as string
      await context.record('evidence.probe', {
        service: 'billing-api',
        url: 'https://billing.example.com/api/me',
        method: 'GET',
        httpStatus: 401,
        outcome: 'rejected',
        reason: `HTTP 401: the canary was rejected (${d})`,
        jti: 'jwkr-canary-1',
      })
      await context.effect(
        `${context.incident.id}:pr`,
        'Replace the key in example-org/auth-config (pull request)',
        async () => ({
          number: 17,
          url: 'https://github.com/example-org/auth-config/pull/17',
        }),
      )
      return {done: true}
    },
  })
}

function registry(): ReturnType<typeof createRegistry> {
  const steps = builtinSteps().filter((step) => step.id !== 'notify.github')
  return createRegistry([...steps, createNotifyGithubStep({client: TUNING}), evidenceStep()])
}

const PLAYBOOK = `inputs:
  key: {type: string, required: true}
steps:
  - id: inspect
    uses: key.inspect
    with: {key: "\${{ inputs.key }}"}
  - id: issue
    uses: notify.github
    onFailure: continue
    with: {repo: ${REPO}}
  - id: probe
    uses: test.evidence
  - id: after
    uses: core.note
    with: {text: "The run went on."}
`

async function run(
  options: {home?: string; playbook?: string; env?: Record<string, string>; inventoryPath?: string | null; dryRun?: boolean} = {},
) {
  const home = options.home ?? (await tempHome())
  const file = await writePlaybook(home, options.playbook ?? PLAYBOOK)
  const result = await startRun({
    ...baseOptions(home),
    playbook: file,
    inputs: {key: KEY},
    yes: true,
    ui: scriptedUi({}, false),
    registry: registry(),
    observers: [githubIssueObserver({client: TUNING})],
    env: options.env ?? env,
    inventoryPath: options.inventoryPath ?? null,
    dryRun: options.dryRun ?? false,
  })
  return {home, result, journal: await readJournal(home, result.incident)}
}

const requests = (method: string, path: RegExp) =>
  state.requests.filter((request) => request.method === method && path.test(request.path))

describe('notify.github', () => {
  it("shows GitHub's retries as its progress, so a wait on a failing GitHub is not silent", async () => {
    // Given a GitHub that answers the first write 503, and a client that tries once more
    server.use(
      http.post(`${API}/repos/${REPO}/issues`, () => HttpResponse.json({message: 'Server Error'}, {status: 503}), {once: true}),
    )
    const home = await tempHome()
    const file = await writePlaybook(home, PLAYBOOK)
    const progress: string[] = []
    const steps = builtinSteps().filter((step) => step.id !== 'notify.github')
    const retrying = createNotifyGithubStep({client: {retries: 1, throttle: {writeIntervalMs: 0, retryAfterBaseMs: 1}}})
    // When the run opens the tracking issue
    const result = await startRun({
      ...baseOptions(home),
      playbook: file,
      inputs: {key: KEY},
      yes: true,
      ui: {...scriptedUi({}, false), progress: (step, update) => step.id === 'issue' && progress.push(update.message ?? '')},
      registry: createRegistry([...steps, retrying, evidenceStep()]),
      env,
      inventoryPath: null,
    })
    // Then the step said what GitHub answered and what it does about it, and the issue was opened once
    expect(result.steps.find((step) => step.id === 'issue')?.status).toBe('succeeded')
    expect(progress).toEqual([
      `Opening the tracking issue in ${REPO}`,
      `GitHub failed POST /repos/{owner}/{repo}/issues (503): waiting 1 s, then looking for its result before trying again (1 of 1).`,
    ])
    expect(issuesOf(repo)).toHaveLength(1)
  })

  it('opens one tracking issue: thumbprint in the title, the labels, the facts, a checklist and the hidden marker', async () => {
    // When the playbook runs with GITHUB_TOKEN set
    const {result, journal} = await run()
    // Then exactly one issue was created, with the title, labels and body of the issue
    expect(requests('POST', /\/issues$/)).toHaveLength(1)
    const [issue] = issuesOf(repo)
    const thumbprint = result.steps.find((step) => step.id === 'inspect')?.outputs?.thumbprint as string
    expect(issue?.title).toBe(`[jwkr] Leaked key ${thumbprint} (${result.incident})`)
    expect(issue?.labels).toEqual(['security', 'incident', 'jwkr'])
    expect(issue?.body).toContain(`| Thumbprint (RFC 7638) | \`${thumbprint}\` |`)
    expect(issue?.body).toContain(`<!-- jwkr-incident: ${result.incident} -->`)
    // And the step says where it is, and the journal records it for resumes and the observer
    expect(result.steps.find((step) => step.id === 'issue')?.outputs).toEqual({
      opened: true,
      reason: null,
      repo: REPO,
      number: 1,
      url: `https://github.com/${REPO}/issues/1`,
      created: true,
    })
    expect(journal.find((event) => event.type === 'github.issue')?.data).toMatchObject({repo: REPO, number: 1, created: true})
    expect(
      journal.find((event) => event.type === 'effect.done' && String(event.data.key).endsWith(`:github:issue:${REPO}`))?.data.ref,
    ).toMatchObject({
      repo: REPO,
      number: 1,
    })
  })

  it('has its checklist ticked (issues.update) as the steps finish, down to the last one', async () => {
    const {result} = await run()
    expect(result.status).toBe('completed')
    // The body was updated in place, and now every step is ticked. (How many updates it took is timing:
    // the observer renders the incident as it stands when it gets to an event, and under load the first
    // update may already show every step done, after which the others change nothing and are not sent.)
    expect(requests('PATCH', /\/issues\/1$/).length).toBeGreaterThanOrEqual(1)
    const body = issuesOf(repo)[0]?.body ?? ''
    const checklist = body.slice(body.indexOf(CHECKLIST_START), body.indexOf(CHECKLIST_END))
    expect(checklist.split('\n').filter((line) => line.startsWith('- ['))).toEqual([
      '- [x] Identify the leaked key (`inspect`)',
      '- [x] Open the GitHub tracking issue (`issue`)',
      '- [x] Probe the relying parties (`probe`)',
      '- [x] Record a note (`after`)',
    ])
    // And every update ticked the tracking issue's own step: the observer runs beside the steps and
    // shows the incident as it stands when it gets to an event, so under load an update may already
    // show a later step done (which one is shown in between is timing, not behaviour)
    const patched = requests('PATCH', /\/issues\/1$/).map((request) => JSON.parse(request.body).body as string)
    for (const text of patched) expect(text).toContain('- [x] Open the GitHub tracking issue')
  })

  it('posts the evidence a step recorded as one comment, with the pull request link, once', async () => {
    const {result} = await run()
    const comments = issuesOf(repo)[0]?.comments ?? []
    expect(comments).toHaveLength(1)
    const body = comments[0]?.body ?? ''
    expect(body).toContain('**Probe the relying parties** (`probe`) succeeded.')
    expect(body).toContain('| probe | `billing-api` | GET https://billing.example.com/api/me: HTTP 401: the canary was rejected')
    expect(body).toContain(
      '[Replace the key in example-org/auth-config (pull request)](https://github.com/example-org/auth-config/pull/17)',
    )
    expect(body).toContain('Every target checked by this step rejects the key.')
    expect(body).toContain(commentMarker(result.incident, 'probe', Number(/jwkr-comment: \S+ probe (\d+)/.exec(body)?.[1])))
  })

  it('never sends a private value of the leaked key to GitHub, even one a step put in its evidence', async () => {
    const {journal} = await run()
    expect(state.requests.length).toBeGreaterThan(3)
    for (const request of state.requests) {
      // The text GitHub would show: the JSON body's strings, with Markdown's escapes undone
      const shown =
        request.body === '' ? '' : unescaped(Object.values(JSON.parse(request.body) as Record<string, unknown>).join('\n'))
      for (const needle of needles) {
        expect(request.body).not.toContain(needle)
        expect(shown).not.toContain(needle)
        expect(request.url).not.toContain(needle)
      }
    }
    expect(JSON.stringify(journal)).not.toContain(needles[0])
    expect(issuesOf(repo)[0]?.comments[0]?.body).toContain('the canary was rejected (\\[REDACTED\\])')
  })

  it('finds the issue again on resume by its marker, and never creates a second one', async () => {
    // Given GitHub creates the issue but the answer never arrives, and the responder interrupts the run
    const home = await tempHome()
    const file = await writePlaybook(home, PLAYBOOK)
    let created!: () => void
    const posted = new Promise<void>((resolve) => (created = resolve))
    server.use(
      http.post(`${API}/repos/${REPO}/issues`, async ({request}) => {
        const body = (await request.json()) as {title: string; body: string; labels: string[]}
        state.requests.push({
          method: 'POST',
          url: request.url,
          path: `/repos/${REPO}/issues`,
          query: {},
          headers: {},
          body: JSON.stringify(body),
        })
        const at = new Date().toISOString()
        issuesOf(repo).push({
          number: 1,
          title: body.title,
          body: body.body,
          labels: body.labels,
          state: 'open',
          createdAt: at,
          updatedAt: at,
          comments: [],
        })
        created()
        await delay('infinite')
      }),
    )
    const controller = new AbortController()
    void posted.then(() => controller.abort())
    const first = await startRun({
      ...baseOptions(home),
      playbook: file,
      inputs: {key: KEY},
      yes: true,
      ui: scriptedUi({}, false),
      registry: registry(),
      observers: [githubIssueObserver({client: TUNING})],
      env,
      signal: controller.signal,
    })
    expect(first.status).toBe('paused')
    const interrupted = await readJournal(home, first.incident)
    const key = `${first.incident}:github:issue:${REPO}`
    expect(interrupted.filter((event) => event.data.key === key).map((event) => event.type)).toEqual(['effect.intent'])
    // When the incident is resumed (GitHub answering normally again)
    server.resetHandlers(...githubHandlers(state))
    const resumed = await resumeRun({
      ...baseOptions(home),
      id: first.incident,
      yes: true,
      ui: scriptedUi({}, false),
      registry: registry(),
      observers: [githubIssueObserver({client: TUNING})],
      env,
    })
    // Then the issue was found by its marker: one POST in all, one issue, and the run completed with it
    expect(resumed.status).toBe('completed')
    expect(requests('POST', /\/issues$/)).toHaveLength(1)
    expect(issuesOf(repo)).toHaveLength(1)
    expect(resumed.steps.find((step) => step.id === 'issue')?.outputs).toMatchObject({opened: true, number: 1, created: false})
    const journal = await readJournal(home, first.incident)
    expect(journal.find((event) => event.type === 'effect.done' && event.data.key === key)?.data).toMatchObject({recovered: true})
    expect(issuesOf(repo)[0]?.body).toContain('- [x] Record a note (`after`)')
  })

  it.each([
    {
      case: '401 (a wrong token)',
      arrange: () => ({env: {...env, GITHUB_TOKEN: 'ghp_wrong'}}),
      code: 'ERR_GITHUB_AUTH',
      message: /GitHub refused the token \(401 Bad credentials\) for GET \/repos\/example-org\/security-incidents\/issues/,
    },
    {
      case: '403 (a secondary rate limit)',
      arrange: () => {
        state.secondaryRateLimit = {times: 5, retryAfter: 60}
        return {}
      },
      code: 'ERR_GITHUB_RATE_LIMITED',
      message: /GitHub's secondary rate limit stopped GET \/repos\/example-org\/security-incidents\/issues for 60 s/,
    },
    {
      case: '404 (no such repository, or one the token cannot see)',
      arrange: () => {
        state.repos = []
        return {}
      },
      code: 'ERR_GITHUB_NOT_FOUND',
      message: /GitHub found nothing at GET \/repos\/example-org\/security-incidents\/issues \(404\)/,
    },
    {
      case: '422 (a body GitHub refuses)',
      arrange: () => ({templates: 'long'}),
      code: 'ERR_GITHUB_VALIDATION',
      message:
        /GitHub refused POST \/repos\/example-org\/security-incidents\/issues as invalid: body is too long \(maximum is 65536 characters\)/,
    },
  ])('fails clearly on $case, and the run goes on (onFailure: continue)', async ({arrange, code, message}) => {
    // Given GitHub answering with one of its error shapes
    const arranged = arrange() as {env?: Record<string, string>; templates?: string}
    let playbook = PLAYBOOK
    if (arranged.templates) {
      const dir = await mkdtemp(join(tmpdir(), 'jwkr-long-'))
      await mkdir(join(dir, 'github'))
      await writeFile(join(dir, 'github/issue.md.hbs'), `{{incident.id}}\n${'x'.repeat(70_000)}\n`)
      playbook = PLAYBOOK.replace(`with: {repo: ${REPO}}`, `with: {repo: ${REPO}, templates: ${dir}}`)
    }
    // When the playbook runs
    const {result} = await run({env: arranged.env, playbook})
    // Then the issue step failed with the translated error, and the step after it still ran
    const issue = result.steps.find((step) => step.id === 'issue')
    expect(issue?.status).toBe('failed')
    expect(issue?.error?.code).toBe(code)
    expect(issue?.error?.message).toMatch(message)
    expect(issue?.error?.message).not.toContain(TOKEN)
    expect(result.steps.find((step) => step.id === 'after')?.status).toBe('succeeded')
    expect(result.status).toBe('failed')
    expect(issuesOf(repo)).toHaveLength(0)
  })

  it('ends skipped, saying what is missing, and calls nothing, without a token or without a repository', async () => {
    // Given no GITHUB_TOKEN: the step is skipped with that reason, never succeeded
    const noToken = await run({env: {}})
    expect(noToken.result.steps.find((step) => step.id === 'issue')).toMatchObject({
      status: 'skipped',
      outputs: null,
      reason: expect.stringMatching(/^GITHUB_TOKEN not set: no tracking issue was opened/),
    })
    // Given a token but no repository (none in the input, none in the inventory): skipped, saying so
    const noRepo = await run({playbook: PLAYBOOK.replace(`with: {repo: ${REPO}}`, '')})
    expect(noRepo.result.steps.find((step) => step.id === 'issue')).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('notify.github.repo'),
    })
    expect(noRepo.result.steps.find((step) => step.id === 'issue')?.reason).not.toContain('GITHUB_TOKEN')
    expect(noRepo.result.status).toBe('completed')
    // (the observer stays silent too: no github.issue event, no request, even with a token)
    expect(state.requests).toEqual([])
  })

  it('plans its calls from the input alone and makes none in a dry run', async () => {
    const {result} = await run({dryRun: true})
    expect(result.steps.find((step) => step.id === 'issue')?.plan).toEqual([
      expect.objectContaining({kind: 'http', target: `GET ${API}/repos/${REPO}/issues`}),
      expect.objectContaining({kind: 'message', target: `POST ${API}/repos/${REPO}/issues`}),
      expect.objectContaining({kind: 'message', target: `PATCH ${API}/repos/${REPO}/issues/{number}`}),
    ])
    expect(state.requests).toEqual([])
  })

  it('takes the repository and the template overrides from the inventory, for the issue and its checklist updates', async () => {
    // Given an inventory naming the repository and a templates folder that overrides the issue and the checklist
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-inventory-'))
    await mkdir(join(dir, 'tpl/github'), {recursive: true})
    await writeFile(join(dir, 'tpl/github/issue.md.hbs'), 'Our own issue text for {{incident.id}}.\n')
    await writeFile(
      join(dir, 'tpl/github/checklist.md.hbs'),
      '{{#each checklist}}\n* {{#if done}}done{{else}}todo{{/if}}: {{step}}\n{{/each}}\n',
    )
    const inventoryPath = join(dir, 'jwkr.inventory.yaml')
    await writeFile(
      inventoryPath,
      `version: 1\nissuers: []\nservices: []\nnotify:\n  github:\n    repo: ${REPO}\ntemplates: ./tpl\n`,
    )
    // When the playbook runs with it and the step names no repository
    const {result} = await run({inventoryPath, playbook: PLAYBOOK.replace(`with: {repo: ${REPO}}`, '')})
    // Then the issue is in the inventory's repository, written and kept current with the overrides
    expect(result.status).toBe('completed')
    const body = issuesOf(repo)[0]?.body ?? ''
    expect(body).toContain(`Our own issue text for ${result.incident}.`)
    expect(body).toContain('* done: after')
    expect(body).not.toContain('- [x]')
  })
})

describe('the tracking issue adapter', () => {
  const secrets = new SecretRegistry()
  const client = () => createGitHubClient({token: TOKEN, baseUrl: API, secrets, ...TUNING})

  it('replaces only the checklist between its markers, keeping what people wrote around it', async () => {
    const at = new Date().toISOString()
    issuesOf(repo).push({
      number: 1,
      title: 't',
      body: `Notes by Bob.\n\n${CHECKLIST_START}\n- [ ] a\n${CHECKLIST_END}\n\nMore notes.`,
      labels: [],
      state: 'open',
      createdAt: at,
      updatedAt: at,
      comments: [],
    })
    const issue = {repo: REPO, number: 1, url: ''}
    const checklist = `${CHECKLIST_START}\n- [x] a\n${CHECKLIST_END}`
    expect(await updateChecklist(client(), issue, checklist, secrets)).toBe(true)
    expect(issuesOf(repo)[0]?.body).toBe(`Notes by Bob.\n\n${checklist}\n\nMore notes.`)
    // Unchanged: no second write
    expect(await updateChecklist(client(), issue, checklist, secrets)).toBe(false)
    expect(requests('PATCH', /\/issues\/1$/)).toHaveLength(1)
    // Markers removed by someone: the checklist comes back at the end
    expect(withChecklist('Only notes.', checklist)).toBe(`Only notes.\n\n${checklist}\n`)
  })

  it('posts a comment once per marker', async () => {
    const at = new Date().toISOString()
    issuesOf(repo).push({number: 1, title: 't', body: '', labels: [], state: 'open', createdAt: at, updatedAt: at, comments: []})
    const issue = {repo: REPO, number: 1, url: ''}
    expect(await postComment(client(), issue, {marker: '<!-- m1 -->', body: 'Evidence'}, secrets)).toBe(true)
    expect(await postComment(client(), issue, {marker: '<!-- m1 -->', body: 'Evidence'}, secrets)).toBe(false)
    expect(issuesOf(repo)[0]?.comments.map((comment) => comment.body)).toEqual(['Evidence\n\n<!-- m1 -->\n'])
  })
})
