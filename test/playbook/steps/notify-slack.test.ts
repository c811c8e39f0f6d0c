import {generateKeyPairSync} from 'node:crypto'
import {readdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {calculateJwkThumbprint} from 'jose'

import type {JournalEvent} from '../../../src/core/journal/types.js'
import {slackStatusObserver} from '../../../src/playbook/observers/slack-status.js'
import {startRun} from '../../../src/playbook/respond.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'
import {startJwksServer, type JwksServer} from '../../helpers/jwks-server.js'
import {server} from '../../helpers/msw.js'
import {
  addChannel,
  callsTo,
  channelNamed,
  createSlackState,
  HOSTILE_VALUES,
  injectionProblems,
  messagesIn,
  repliesTo,
  requestTexts,
  SLACK_TEST_TOKEN,
  slackHandlers,
  type SlackMockState,
} from '../../mocks/slack.js'

const HOSTILE_KID = HOSTILE_VALUES.join(' ')
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const

let jwks: JwksServer
let publicJwk: Record<string, unknown>
let privateJwk: Record<string, unknown>
let thumbprint: string
let slack: SlackMockState
let home: string
let keyFile: string

beforeAll(async () => {
  // A leaked RSA key whose kid holds Slack control sequences and formatting
  const pair = generateKeyPairSync('rsa', {modulusLength: 2048})
  privateJwk = {...pair.privateKey.export({format: 'jwk'}), kid: HOSTILE_KID, alg: 'RS256'}
  publicJwk = {...pair.publicKey.export({format: 'jwk'}), kid: HOSTILE_KID, alg: 'RS256'}
  thumbprint = await calculateJwkThumbprint(pair.publicKey.export({format: 'jwk'}) as never, 'sha256')
  jwks = await startJwksServer()
  jwks.serve('/auth/jwks', {keys: [publicJwk]})
})

afterAll(async () => {
  await jwks.close()
})

beforeEach(async () => {
  slack = createSlackState()
  server.use(...slackHandlers(slack))
  home = await tempHome()
  keyFile = join(home, 'leaked.json')
  await writeFile(keyFile, JSON.stringify(privateJwk))
})

const ENV = {SLACK_TOKEN: SLACK_TEST_TOKEN, JWKR_SLACK_RETRIES: '0'}

/** Every value that must never leave the process: the key's private members and the Slack token. */
function needles(): string[] {
  return [...PRIVATE_MEMBERS.map((member) => String(privateJwk[member])), SLACK_TEST_TOKEN]
}

async function playbook(steps: string, name = 'slack-test'): Promise<string> {
  return writePlaybook(
    home,
    `inputs:
  key: {type: string, required: true}
steps:
  - id: inspect
    uses: key.inspect
    with: {key: "\${{ inputs.key }}"}
${steps}`,
    name,
  )
}

async function inventory(extra = ''): Promise<string> {
  const file = join(home, 'jwkr.inventory.yaml')
  await writeFile(
    file,
    `version: 1
issuers:
  - id: auth-main
    issuer: ${jwks.origin}/auth
    jwksUri: ${jwks.url('/auth/jwks')}
    keySource: {type: manual}
services:
  - id: billing
    team: payments
    contacts: {slack: "#payments-oncall", email: payments@example.com}
    trusts: [auth-main]
  - id: reports
    team: data
    contacts: {email: alice@example.com}
    trusts: [auth-main]
  - id: search
    team: discovery
    contacts: {slack: UBOB000001}
    trusts: [auth-main]
  - id: ledger
    team: finance
    contacts: {email: ghost@example.com}
    trusts: [auth-main]
${extra}`,
  )
  return file
}

function start(
  file: string,
  options: {env?: Record<string, string>; inventoryPath?: string | null; dryRun?: boolean; yes?: boolean} = {},
) {
  return startRun({
    ...baseOptions(home),
    yes: options.yes ?? true,
    dryRun: options.dryRun ?? false,
    playbook: file,
    inputs: {key: keyFile},
    inventoryPath: options.inventoryPath ?? null,
    registry: registryWith(),
    ui: scriptedUi({}, false),
    env: options.env ?? ENV,
    observers: [slackStatusObserver({retryConfig: {retries: 0}})],
  })
}

function events(journal: JournalEvent[], type: string): Array<Record<string, unknown>> {
  return journal.filter((event) => event.type === type).map((event) => event.data)
}

const NOTIFY = `  - id: notify
    uses: notify.slack
    if: "\${{ steps.inspect.outputs.private }}"
    onFailure: continue
`

describe('notify.slack in a playbook run', () => {
  it('creates the channel, posts one status message, keeps it current (same ts) and replies per step in its thread', async () => {
    // Given a playbook: identify, notify Slack, then a step whose output holds hostile "claims", then a failing step
    const file = await playbook(
      `${NOTIFY}  - id: claims
    uses: test.echo
    with: {value: "sub=${HOSTILE_VALUES.join(' ')}"}
  - id: broken
    uses: test.fail
    onFailure: continue
`,
    )
    // When it runs
    const result = await start(file)
    // Then the incident channel exists, named after the day and the thumbprint
    const name = `inc-jwk-${new Date().toISOString().slice(0, 10)}-${thumbprint.slice(0, 8).toLowerCase()}`
    const channel = channelNamed(slack, name)
    expect(channel, name).toBeDefined()
    const notify = result.steps.find((step) => step.id === 'notify')
    expect(notify).toMatchObject({
      status: 'succeeded',
      outputs: {notified: true, channel: name, channelId: channel?.id, created: true, posted: true},
    })
    // And it holds exactly one top-level message: the status, posted once and updated in place
    const [status, ...others] = messagesIn(slack, channel?.id ?? '')
    expect(others).toEqual([])
    expect(callsTo(slack, 'chat.postMessage').filter((call) => call.params.thread_ts === undefined)).toHaveLength(1)
    const updates = callsTo(slack, 'chat.update')
    expect(updates.length).toBeGreaterThanOrEqual(4)
    for (const update of updates) expect(update.params).toMatchObject({channel: channel?.id, ts: status?.ts})
    // And its final form says how the run ended
    expect(status?.edited).toBe(true)
    expect(JSON.stringify(status?.blocks)).toContain('playbook finished with failed steps')
    expect(JSON.stringify(status?.blocks)).toContain('*Failed steps:* Fail')
    // And each finished step has its reply in the thread, in order
    expect(repliesTo(slack, status?.ts ?? '').map((reply) => reply.text)).toEqual([
      '✅ Step Open the incident in Slack (`notify`) succeeded',
      '✅ Step Echo (`claims`) succeeded',
      '❌ Step Fail (`broken`) failed',
    ])
    // And the journal says where the message is, for later runs and the observer
    const journal = await readJournal(home, result.incident)
    expect(events(journal, 'slack.status')).toEqual([{step: 'notify', channel: name, channelId: channel?.id, ts: status?.ts}])
    expect(events(journal, 'observer.failed')).toEqual([])
  })

  it('escapes the hostile kid and claims in every Slack body, and never sends a private value or the token', async () => {
    // Given the hostile kid (in the key) and hostile claims (a step output)
    const file = await playbook(
      `${NOTIFY}  - id: claims
    uses: test.echo
    with: {value: "claims ${HOSTILE_VALUES.join(' ')}"}
`,
    )
    const result = await start(file)
    expect(result.status).toBe('completed')
    // Then every message body shows them inert
    const bodies = slack.requests.filter((request) => request.method === 'chat.postMessage' || request.method === 'chat.update')
    expect(bodies.length).toBeGreaterThan(3)
    for (const request of bodies) {
      for (const text of requestTexts(request)) expect(injectionProblems(text)).toEqual([])
    }
    expect(
      bodies.some((request) =>
        request.body.includes(encodeURIComponent('`&lt;!channel&gt; &lt;https://evil|click&gt; *bold* &amp;lt;`')),
      ),
    ).toBe(true)
    // And no private value or the token is in any request body, the journal or an artifact
    const journal = await readFile(join(home, 'incidents', result.incident, 'journal.jsonl'), 'utf8')
    const artifactsDir = join(home, 'incidents', result.incident, 'artifacts')
    const artifacts = await Promise.all((await readdir(artifactsDir)).map((name) => readFile(join(artifactsDir, name), 'utf8')))
    const everything = [...slack.requests.map((request) => request.body), journal, ...artifacts, JSON.stringify(result)].join(
      '\n',
    )
    for (const needle of needles()) {
      expect(everything).not.toContain(needle)
      expect(everything).not.toContain(encodeURIComponent(needle))
    }
  })

  it('plans the exact calls and makes none in a dry run', async () => {
    const file = await playbook(NOTIFY)
    const result = await start(file, {dryRun: true})
    const notify = result.steps.find((step) => step.id === 'notify')
    const name = `inc-jwk-${new Date().toISOString().slice(0, 10)}-${thumbprint.slice(0, 8).toLowerCase()}`
    expect(notify?.plan?.map((call) => call.target)).toEqual([
      'POST https://slack.com/api/conversations.create',
      'POST https://slack.com/api/chat.postMessage',
      'POST https://slack.com/api/conversations.invite',
    ])
    expect(notify?.plan?.[0]?.description).toContain(`#${name}`)
    expect(slack.requests).toEqual([])
  })

  it('creates the incident channel private, and public only when the playbook asks (publicChannel)', async () => {
    // Given the standard step, and one with publicChannel: true
    const name = `inc-jwk-${new Date().toISOString().slice(0, 10)}-${thumbprint.slice(0, 8).toLowerCase()}`
    // When the first runs, the channel is private, and the plan said so
    const dry = await start(await playbook(NOTIFY), {dryRun: true})
    expect(dry.steps.find((step) => step.id === 'notify')?.plan?.[0]?.description).toContain('as a private channel')
    await start(await playbook(NOTIFY))
    expect(channelNamed(slack, name)).toMatchObject({isPrivate: true})
    expect(callsTo(slack, 'conversations.create')[0]?.params.is_private).toBe('true')
    // And in a fresh workspace the second makes it public
    slack.channels.length = 0
    home = await tempHome()
    keyFile = join(home, 'leaked.json')
    await writeFile(keyFile, JSON.stringify(privateJwk))
    await start(await playbook(`${NOTIFY}    with: {publicChannel: true}\n`))
    expect(channelNamed(slack, name)).toMatchObject({isPrivate: false})
  })

  it('plans to join notify.slack.channel from the inventory instead of creating a channel', async () => {
    const file = await playbook(NOTIFY)
    const result = await start(file, {
      dryRun: true,
      inventoryPath: await inventory('notify:\n  slack: {channel: "#sec-incidents"}\n'),
    })
    expect(result.steps.find((step) => step.id === 'notify')?.plan?.map((call) => call.target.split('/').at(-1))).toEqual([
      'conversations.list',
      'conversations.join',
      'chat.postMessage',
      'conversations.invite',
    ])
  })

  it('posts nothing twice: a lost answer is found again by the message metadata before anything is posted again', async () => {
    // Given Slack accepts the status message but its answer is lost (the connection drops)
    slack.dropAnswers['chat.postMessage'] = 1
    const file = await playbook(NOTIFY)
    // When the step runs
    const result = await start(file)
    // Then it looked the message up in the channel's history instead of posting it again: one status message
    const notify = result.steps.find((step) => step.id === 'notify')
    expect(notify).toMatchObject({status: 'succeeded'})
    const channel = channelNamed(slack, String(notify?.outputs?.channel))
    expect(messagesIn(slack, channel?.id ?? '')).toHaveLength(1)
    expect(callsTo(slack, 'conversations.history').length).toBeGreaterThan(0)
    expect(callsTo(slack, 'conversations.create')).toHaveLength(1)
  })

  it('without SLACK_TOKEN ends skipped with "SLACK_TOKEN not set" (never succeeded), and calls nothing', async () => {
    // Given a playbook with a notify.slack step and no SLACK_TOKEN
    const file = await playbook(NOTIFY)
    // When it runs
    const result = await start(file, {env: {}})
    // Then the step is skipped, its reason in words, with no outputs claiming anything
    expect(result.status).toBe('completed')
    const notify = result.steps.find((step) => step.id === 'notify')
    expect(notify).toMatchObject({status: 'skipped', outputs: null, reason: expect.stringMatching(/^SLACK_TOKEN not set/)})
    expect(notify?.reason).toContain(`jwkr notify slack --incident ${result.incident}`)
    expect(slack.requests).toEqual([])
    // And the journal says the same: step.skipped with the reason, no step.succeeded
    const journal = await readJournal(home, result.incident)
    expect(events(journal, 'step.skipped')).toEqual([{step: 'notify', reason: notify?.reason}])
    expect(events(journal, 'step.succeeded').filter((data) => data.step === 'notify')).toEqual([])
  })

  it('a refused token fails the step clearly and the run goes on (onFailure: continue)', async () => {
    const file = await playbook(`${NOTIFY}  - id: after
    uses: test.echo
    with: {value: 1}
`)
    const result = await start(file, {env: {...ENV, SLACK_TOKEN: 'xoxb-revoked-0000'}})
    expect(result.status).toBe('failed')
    expect(result.steps.find((step) => step.id === 'notify')).toMatchObject({
      status: 'failed',
      error: {code: 'ERR_SLACK_AUTH', message: 'Slack refused the token (invalid_auth) for conversations.create.'},
    })
    expect(result.steps.find((step) => step.id === 'after')?.status).toBe('succeeded')
    const journal = JSON.stringify(await readJournal(home, result.incident))
    expect(journal).not.toContain('xoxb-revoked-0000')
  })

  it('a configured channel that does not exist fails the step with what to do, and the run goes on', async () => {
    const file = await playbook(`${NOTIFY}  - id: after
    uses: test.echo
`)
    const result = await start(file, {inventoryPath: await inventory('notify:\n  slack: {channel: "#sec-incidents"}\n')})
    const notify = result.steps.find((step) => step.id === 'notify')
    expect(notify).toMatchObject({status: 'failed', error: {code: 'ERR_SLACK_CHANNEL_NOT_FOUND'}})
    expect(notify?.error?.message).toContain('#sec-incidents')
    expect(result.steps.find((step) => step.id === 'after')?.status).toBe('succeeded')
    expect(callsTo(slack, 'conversations.create')).toHaveLength(0)
  })

  it('posts in notify.slack.channel from the inventory when it exists', async () => {
    const configured = addChannel(slack, {name: 'sec-incidents'})
    const file = await playbook(NOTIFY)
    const result = await start(file, {inventoryPath: await inventory('notify:\n  slack: {channel: "#sec-incidents"}\n')})
    expect(result.steps.find((step) => step.id === 'notify')?.outputs).toMatchObject({
      channel: 'sec-incidents',
      channelId: configured.id,
      created: false,
    })
    expect(messagesIn(slack, configured.id)).toHaveLength(1)
  })

  it('waits out a 429 (Retry-After) and retries when retries are on', async () => {
    slack.rateLimit = {times: 1, retryAfter: 1}
    const file = await playbook(NOTIFY)
    const result = await start(file, {env: {...ENV, JWKR_SLACK_RETRIES: '2'}})
    expect(result.steps.find((step) => step.id === 'notify')?.status).toBe('succeeded')
    expect(callsTo(slack, 'conversations.create')).toHaveLength(2)
  })

  it('after services.locate, invites the contacts of the affected teams and tells their channels', async () => {
    // Given users in Slack, a team channel, and an inventory whose three services trust the publishing issuer
    slack.users.push(
      {id: 'UALICE0001', email: 'alice@example.com', name: 'alice'},
      {id: 'UBOB000001', email: 'bob@example.com', name: 'bob'},
    )
    const team = addChannel(slack, {name: 'payments-oncall', members: [slack.botUserId]})
    const file = await playbook(`${NOTIFY}  - id: locate
    uses: services.locate
    with: {key: "\${{ inputs.key }}"}
`)
    // When the playbook notifies Slack first and locates afterwards
    const result = await start(file, {inventoryPath: await inventory()})
    expect(result.status).toBe('completed')
    // Then, once locate found them, alice (by email) and bob (by id) are in the incident channel
    const channelId = String(result.steps.find((step) => step.id === 'notify')?.outputs?.channelId)
    const channel = slack.channels.find((item) => item.id === channelId)
    expect([...(channel?.members ?? [])].sort()).toEqual([slack.botUserId, 'UALICE0001', 'UBOB000001'].sort())
    // And the payments channel got a notice linking the incident channel
    expect(messagesIn(slack, team.id).map((message) => message.text)).toEqual([expect.stringContaining(`<#${channelId}>`)])
    // And the contact Slack does not know is on record
    const failures = (await readJournal(home, result.incident)).filter((event) => event.type === 'observer.failed')
    expect(failures.map((event) => event.data.message)).toEqual([
      'Some Slack contacts of the affected services could not be reached: ghost@example.com (no Slack user has this email).',
    ])
    // And the status message counts the dependents
    const status = messagesIn(slack, channelId)[0]
    expect(JSON.stringify(status?.blocks)).toContain('*Contained services*\\n0/4')
  })
})
