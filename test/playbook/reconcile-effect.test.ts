// Resuming after a write whose answer was lost (a kill, or a dropped connection, between the write and
// its `done`): the marker lookup may not see the message or issue yet, because Slack's history and
// GitHub's issue list are eventually consistent. The resume must look again for a while (bounded) and
// find it, instead of writing a second one, and must write it when it really is not there: never two
// messages, never none.
import {generateKeyPairSync} from 'node:crypto'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {http} from 'msw'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {reconcileEffect} from '../../src/incident/reconcile-effect.js'
import {githubIssueObserver} from '../../src/playbook/observers/github-issue.js'
import {slackStatusObserver} from '../../src/playbook/observers/slack-status.js'
import {createRegistry} from '../../src/playbook/registry.js'
import {resumeRun, startRun} from '../../src/playbook/respond.js'
import {builtinSteps} from '../../src/playbook/steps/index.js'
import {createNotifyGithubStep} from '../../src/playbook/steps/notify-github.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../helpers/engine-harness.js'
import {server} from '../helpers/msw.js'
import {
  createGitHubRepo,
  createGitHubState,
  githubHandlers,
  issuesOf,
  type GitHubMockRepo,
  type GitHubMockState,
} from '../mocks/github.js'
import {
  callsTo,
  channelNamed,
  createSlackState,
  messagesIn,
  SLACK_TEST_TOKEN,
  slackHandlers,
  type SlackMockState,
} from '../mocks/slack.js'

/** A short window for tests: waits of 100, 200, 400, 800 and 800 ms (2.3 s in all). */
const WINDOW = {retries: 5, factor: 2, minTimeout: 100, maxTimeout: 800}
/**
 * Takes `items` out of `list` (written, but not visible yet) until the lookup at `url` has been made
 * `lookups` times: then they are back before that lookup is answered. Counted in lookups rather than
 * milliseconds, so that how fast the machine is changes nothing.
 */
function hiddenUntilLookup<T>(list: T[], items: T[], url: string, lookups = 3): {seen: () => number} {
  for (const item of items) list.splice(list.indexOf(item), 1)
  let count = 0
  // Answers nothing itself: the request goes on to the service's own handler.
  server.use(
    http.all(url, () => {
      if (++count === lookups) list.push(...items)
    }),
  )
  return {seen: () => count}
}

describe('reconcileEffect', () => {
  it('looks again with backoff until the effect shows, and returns it', async () => {
    // Given a lookup that finds the effect only on its third try
    let calls = 0
    const check = async () => (++calls >= 3 ? {ts: '1.0001'} : undefined)
    // When reconciled, then it is found, after three lookups
    expect(await reconcileEffect(check, {window: WINDOW})).toEqual({ts: '1.0001'})
    expect(calls).toBe(3)
  })

  it('gives up after the window, saying it is not there (or that the remote cannot tell)', async () => {
    let calls = 0
    const started = Date.now()
    expect(await reconcileEffect(async () => (calls++, undefined), {window: WINDOW})).toBeUndefined()
    expect(calls).toBe(WINDOW.retries + 1)
    // Bounded: the waits of the window, and not much more
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000)
    expect(Date.now() - started).toBeLessThan(6000)
    expect(await reconcileEffect(async () => 'unknown' as const, {window: {...WINDOW, retries: 1}})).toBe('unknown')
  })

  it('stops at once when the lookup fails', async () => {
    let calls = 0
    const failing = async (): Promise<undefined> => {
      calls++
      throw new Error('history unreadable')
    }
    await expect(reconcileEffect(failing, {window: WINDOW})).rejects.toThrow('history unreadable')
    expect(calls).toBe(1)
  })
})

describe('resuming a Slack status message whose answer was lost', () => {
  let slack: SlackMockState
  let home: string
  let keyFile: string
  const env = {SLACK_TOKEN: SLACK_TEST_TOKEN, JWKR_SLACK_RETRIES: '0'}
  const playbook = `inputs:
  key: {type: string, required: true}
steps:
  - id: inspect
    uses: key.inspect
    with: {key: "\${{ inputs.key }}"}
  - id: notify
    uses: notify.slack
    onFailure: continue
`
  const options = () => ({
    ...baseOptions(home),
    yes: true,
    registry: registryWith(),
    ui: scriptedUi({}, false),
    env,
    observers: [slackStatusObserver({retryConfig: {retries: 0}})],
    reconcileWindow: WINDOW,
  })

  beforeEach(async () => {
    slack = createSlackState()
    server.use(...slackHandlers(slack))
    home = await tempHome()
    keyFile = join(home, 'leaked.json')
    const pair = generateKeyPairSync('rsa', {modulusLength: 2048})
    await writeFile(keyFile, JSON.stringify({...pair.privateKey.export({format: 'jwk'}), kid: 'k1', alg: 'RS256'}))
  })

  async function interruptedAfterPosting() {
    // Slack posts the status message, but its answer is lost, and the channel's history cannot be read to
    // look for it (the post's own lookup fails): the step fails with the effect's intent journaled
    slack.dropAnswers['chat.postMessage'] = 1
    slack.failures['conversations.history'] = 'internal_error'
    const first = await startRun({...options(), playbook: await writePlaybook(home, playbook), inputs: {key: keyFile}})
    delete slack.failures['conversations.history']
    expect(first.steps.find((step) => step.id === 'notify')?.status).toBe('failed')
    const channel = slack.channels.find((item) => item.name.startsWith('inc-jwk-'))
    return {first, channelId: channel?.id ?? ''}
  }

  it('finds the message once it shows in the history, and posts no second one', async () => {
    // Given the status message posted but not yet visible in conversations.history for a while
    const {first, channelId} = await interruptedAfterPosting()
    const posted = messagesIn(slack, channelId)
    expect(posted).toHaveLength(1)
    const history = hiddenUntilLookup(slack.messages, posted, `${slack.baseUrl}conversations.history`)
    // When the incident is resumed
    const resumed = await resumeRun({...options(), id: first.incident})
    // Then the step found the message by its metadata on the third look: one status message in all
    const statusPosts = callsTo(slack, 'chat.postMessage').filter((call) => call.params.thread_ts === undefined)
    expect(statusPosts).toHaveLength(1)
    expect(history.seen()).toBe(3)
    expect(resumed.steps.find((step) => step.id === 'notify')).toMatchObject({status: 'succeeded', outputs: {posted: false}})
    expect(messagesIn(slack, channelId)).toHaveLength(1)
    const done = (await readJournal(home, first.incident)).filter(
      (event) => event.type === 'effect.done' && event.data.key === `${first.incident}:slack:status`,
    )
    expect(done.map((event) => event.data.recovered)).toEqual([true])
  })

  it('posts it when it never shows (the write was lost): one message, never none', async () => {
    // Given the status message lost with its answer (Slack did not keep it)
    const {first, channelId} = await interruptedAfterPosting()
    slack.messages.splice(0, slack.messages.length)
    const historyBefore = callsTo(slack, 'conversations.history').length
    // When the incident is resumed
    const resumed = await resumeRun({...options(), id: first.incident})
    // Then it looked through the whole window, then posted: exactly one status message
    expect(callsTo(slack, 'conversations.history').length - historyBefore).toBeGreaterThanOrEqual(WINDOW.retries + 1)
    expect(resumed.steps.find((step) => step.id === 'notify')).toMatchObject({status: 'succeeded', outputs: {posted: true}})
    expect(messagesIn(slack, channelId)).toHaveLength(1)
    expect(channelNamed(slack, slack.channels[0]?.name ?? '')).toBeDefined()
  })
})

describe('resuming a GitHub tracking issue whose answer was lost', () => {
  const TOKEN = 'ghp_testtoken0000000000000000000000000000'
  const REPO = 'example-org/security-incidents'
  const TUNING = {retries: 0, throttle: {writeIntervalMs: 0, retryAfterBaseMs: 1}}
  const env = {GITHUB_TOKEN: TOKEN, GITHUB_API_URL: 'https://api.github.com'}
  let state: GitHubMockState
  let repo: GitHubMockRepo

  beforeEach(() => {
    repo = createGitHubRepo(REPO, {})
    state = createGitHubState({repos: [repo]})
    server.use(...githubHandlers(state))
  })
  afterEach(() => server.resetHandlers())

  it('finds the issue once it shows in the issue list, and creates no second one', async () => {
    // Given GitHub creates the tracking issue but the connection drops before the answer
    const home = await tempHome()
    const registry = () =>
      createRegistry([...builtinSteps().filter((step) => step.id !== 'notify.github'), createNotifyGithubStep({client: TUNING})])
    const options = {
      ...baseOptions(home),
      yes: true,
      ui: scriptedUi({}, false),
      registry: registry(),
      observers: [githubIssueObserver({client: TUNING})],
      env,
      reconcileWindow: WINDOW,
    }
    state.failAfterWrite = {times: 1, status: 'network'}
    const file = await writePlaybook(
      home,
      `steps:\n  - id: issue\n    uses: notify.github\n    onFailure: continue\n    with: {repo: ${REPO}}\n`,
    )
    const first = await startRun({...options, playbook: file})
    expect(first.steps.find((step) => step.id === 'issue')?.status).toBe('failed')
    expect(issuesOf(repo)).toHaveLength(1)
    // And the new issue is missing from the issue list for a while
    const list = hiddenUntilLookup(issuesOf(repo), [...issuesOf(repo)], `https://api.github.com/repos/${REPO}/issues`)
    // When the incident is resumed
    const resumed = await resumeRun({...options, id: first.incident})
    // Then the issue was found by its marker on the third look: one issue in all, and the step succeeded with it
    expect(state.requests.filter((request) => request.method === 'POST' && /\/issues$/.test(request.path))).toHaveLength(1)
    expect(list.seen()).toBeGreaterThanOrEqual(3)
    expect(resumed.steps.find((step) => step.id === 'issue')).toMatchObject({
      status: 'succeeded',
      outputs: {number: 1, created: false},
    })
    expect(issuesOf(repo)).toHaveLength(1)
    expect(state.requests.filter((request) => request.method === 'POST' && /\/issues$/.test(request.path))).toHaveLength(1)
  })
})
