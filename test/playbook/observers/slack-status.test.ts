import {beforeEach, describe, expect, it} from 'vitest'

import {SecretRegistry} from '../../../src/core/secrets.js'
import {defineStep} from '../../../src/playbook/define-step.js'
import {Type} from '../../../src/playbook/step-schema.js'
import {builtinObservers} from '../../../src/playbook/observers/index.js'
import {slackStatusObserver} from '../../../src/playbook/observers/slack-status.js'
import {createRegistry} from '../../../src/playbook/registry.js'
import {resumeRun, startRun} from '../../../src/playbook/respond.js'
import {builtinSteps} from '../../../src/playbook/steps/index.js'
import {baseOptions, readJournal, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'
import {server} from '../../helpers/msw.js'
import {testSteps} from '../../helpers/test-steps.js'
import {
  addChannel,
  callsTo,
  createSlackState,
  repliesTo,
  SLACK_TEST_TOKEN,
  slackHandlers,
  type SlackMockState,
  type SlackMockMessage,
} from '../../mocks/slack.js'

let slack: SlackMockState
let home: string
let status: SlackMockMessage

const ENV = {SLACK_TOKEN: SLACK_TEST_TOKEN, JWKR_SLACK_RETRIES: '0'}

/**
 * Stands in for notify.slack: journals where an existing status message is, as the step does (the
 * status effect's ref, then a slack.status event).
 */
const recordStatus = defineStep({
  id: 'test.slack-status',
  title: 'Record the status message',
  description: 'Journals the status effect and slack.status like notify.slack.',
  inputSchema: Type.Object({channel: Type.String(), channelId: Type.String(), ts: Type.String()}),
  outputSchema: Type.Record(Type.String(), Type.Never()),
  sideEffects: false,
  plan: () => [],
  run: async (input, context) => {
    await context.effect(`${context.incident.id}:slack:status`, 'Post the status message', async () => ({...input}))
    await context.record('slack.status', input)
    return {}
  },
})

function registry() {
  return createRegistry([...builtinSteps(), ...testSteps(), recordStatus])
}

beforeEach(async () => {
  slack = createSlackState()
  server.use(...slackHandlers(slack))
  home = await tempHome()
  // Given a status message jwkr posted earlier in the incident channel
  const channel = addChannel(slack, {name: 'inc-jwk-2026-11-29-abc', members: [slack.botUserId]})
  status = {
    channel: channel.id,
    ts: '1700000000.000001',
    user: slack.botUserId,
    text: 'old',
    blocks: undefined,
    threadTs: undefined,
    metadata: undefined,
    edited: false,
  }
  slack.messages.push(status)
})

async function run(
  steps: string,
  options: {env?: Record<string, string>; observer?: ReturnType<typeof slackStatusObserver>} = {},
) {
  const file = await writePlaybook(home, `steps:\n${steps}`)
  return startRun({
    ...baseOptions(home),
    playbook: file,
    registry: registry(),
    ui: scriptedUi({}, false),
    env: options.env ?? ENV,
    observers: [options.observer ?? slackStatusObserver({retryConfig: {retries: 0}})],
  })
}

const RECORD = () => `  - id: slack
    uses: test.slack-status
    with: {channel: inc-jwk-2026-11-29-abc, channelId: ${status.channel}, ts: "${status.ts}"}
`

describe('the slack-status observer', () => {
  it('is one of the built-in observers', () => {
    expect(builtinObservers().map((observer) => observer.name)).toContain('slack-status')
  })

  it('stays silent until the status message is known', async () => {
    // Given steps that finish before anything recorded a status message
    await run(`  - id: one\n    uses: test.echo\n  - id: two\n    uses: test.echo\n`)
    // Then nothing was sent to Slack
    expect(slack.requests).toEqual([])
  })

  it('stays silent without SLACK_TOKEN, even once the status is known', async () => {
    await run(`${RECORD()}  - id: one\n    uses: test.echo\n`, {env: {}})
    expect(slack.requests).toEqual([])
  })

  it('updates the message in place on every finished step and run.finished, and replies per step in its thread', async () => {
    // When steps finish after the status was recorded (one of them retried once, then succeeding)
    await run(`${RECORD()}  - id: flaky
    uses: test.flaky
    with: {failTimes: 1}
    retry: {attempts: 2, backoff: 1ms}
  - id: skipped
    uses: test.echo
    if: "\${{ false }}"
`)
    // Then every update went to the same message: after the recording step, flaky's failure and success, the skip, run.finished
    const updates = callsTo(slack, 'chat.update')
    expect(updates.map((update) => [update.params.channel, update.params.ts])).toEqual(Array(5).fill([status.channel, status.ts]))
    expect(status.edited).toBe(true)
    expect(status.text).toContain('Leaked signing key')
    // And the thread got one reply per step outcome, none for the failure the engine retried
    expect(repliesTo(slack, status.ts).map((reply) => reply.text)).toEqual([
      '✅ Step Record the status message (`slack`) succeeded',
      '✅ Step Flaky (`flaky`) succeeded',
      '⏭️ Step Echo (`skipped`) skipped',
    ])
  })

  it('on resume finds the message from the journal (effect ref) and keeps it current', async () => {
    // Given an incident whose status was posted (the effect is journaled), then interrupted waiting for approval
    const file = await writePlaybook(
      home,
      `steps:
  - id: post
    uses: test.slack-status
    with: {channel: inc-jwk-2026-11-29-abc, channelId: ${status.channel}, ts: "${status.ts}"}
  - id: gate
    uses: core.approve
    with: {message: go on?}
  - id: after
    uses: test.echo
`,
    )
    const first = await startRun({
      ...baseOptions(home),
      playbook: file,
      registry: registry(),
      ui: scriptedUi({}, false),
      env: {},
      observers: [slackStatusObserver()],
    })
    expect(first.status).toBe('waiting')
    expect(slack.requests).toEqual([])
    // When it is resumed with Slack configured, by a new observer that saw none of it
    const resumed = await resumeRun({
      ...baseOptions(home),
      id: first.incident,
      yes: true,
      registry: registry(),
      ui: scriptedUi({}, false),
      env: ENV,
      observers: [slackStatusObserver({retryConfig: {retries: 0}})],
    })
    // Then the observer found the message from the journaled effect and updated it (gate, after, run.finished)
    expect(resumed.status).toBe('completed')
    expect(callsTo(slack, 'chat.update').map((update) => update.params.ts)).toEqual([status.ts, status.ts, status.ts])
    expect(repliesTo(slack, status.ts).map((reply) => reply.text)).toEqual([
      '✅ Step Wait for a decision (`gate`) succeeded',
      '✅ Step Echo (`after`) succeeded',
    ])
  })

  it('a rate-limited update fails fast: journaled as observer.failed, and the run goes on', async () => {
    // Given Slack rate-limits the first update for a minute
    slack.rateLimit = {times: 1, retryAfter: 60}
    // When steps finish
    const result = await run(`${RECORD()}  - id: one\n    uses: test.echo\n`)
    // Then the run completed without waiting the minute, the failure is on record, and later updates went through
    expect(result.status).toBe('completed')
    const failures = (await readJournal(home, result.incident)).filter((event) => event.type === 'observer.failed')
    expect(failures.map((event) => event.data)).toEqual([
      expect.objectContaining({observer: 'slack-status', message: expect.stringContaining('Slack rate-limited chat.update')}),
    ])
    expect(callsTo(slack, 'chat.update').length).toBeGreaterThan(1)
  })

  it('never sends the token or a registered secret', async () => {
    const secrets = new SecretRegistry()
    secrets.add('cHJpdmF0ZS1rZXktbWF0ZXJpYWw')
    const file = await writePlaybook(
      home,
      `steps:\n${RECORD()}  - id: leak\n    uses: test.echo\n    with: {value: "d=cHJpdmF0ZS1rZXktbWF0ZXJpYWw"}\n`,
    )
    await startRun({
      ...baseOptions(home),
      secrets,
      playbook: file,
      registry: registry(),
      ui: scriptedUi({}, false),
      env: ENV,
      observers: [slackStatusObserver({retryConfig: {retries: 0}})],
    })
    const bodies = slack.requests.map((request) => request.body).join('\n')
    expect(bodies).toContain(encodeURIComponent('d=[REDACTED]'))
    for (const needle of ['cHJpdmF0ZS1rZXktbWF0ZXJpYWw', SLACK_TEST_TOKEN]) expect(bodies).not.toContain(needle)
  })
})
