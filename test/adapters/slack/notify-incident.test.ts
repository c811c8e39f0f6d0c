import {beforeEach, describe, expect, it} from 'vitest'

import {createSlackClient, type SlackClient} from '../../../src/adapters/slack/client.js'
import {STATUS_EVENT_TYPE} from '../../../src/adapters/slack/messages.js'
import {
  checkFirst,
  notifyIncident,
  type EffectRunner,
  type NotifyIncidentOptions,
} from '../../../src/adapters/slack/notify-incident.js'
import {JwkrError} from '../../../src/core/errors.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {LedgerRunner, SimulatedCrash} from '../../helpers/ledger-runner.js'
import {server} from '../../helpers/msw.js'
import {
  addChannel,
  callsTo,
  channelNamed,
  createSlackState,
  messagesIn,
  SLACK_TEST_TOKEN,
  slackHandlers,
  type SlackMockState,
} from '../../mocks/slack.js'

let slack: SlackMockState
let client: SlackClient

beforeEach(() => {
  slack = createSlackState()
  server.use(...slackHandlers(slack))
  client = createSlackClient({token: SLACK_TEST_TOKEN, retryConfig: {retries: 0}, secrets: new SecretRegistry()})
})

/** The real effect ledger over a temp journal; it crashes right after `crashAfter`'s change reaches Slack. */
function memoryEffects(crashAfter?: string) {
  const runner = new LedgerRunner()
  runner.crashAfter = crashAfter ?? null
  return {runner: runner.run, ledger: runner}
}

function options(effect: EffectRunner, extra: Partial<NotifyIncidentOptions> = {}): NotifyIncidentOptions {
  return {
    client,
    incident: '2026-11-29-abc',
    status: {text: 'status v1', blocks: [{type: 'section', text: {type: 'mrkdwn', text: 'status v1'}}]},
    channelName: 'inc-jwk-2026-11-29-abcdefgh',
    contacts: [],
    notice: (channel) => ({text: `follow <#${channel.id}>`, blocks: []}),
    effect,
    ...extra,
  }
}

describe('notifyIncident', () => {
  it('creates the channel and posts the status message once, marked with the incident in its metadata', async () => {
    const {ledger, runner} = memoryEffects()
    const result = await notifyIncident(options(runner))
    const channel = channelNamed(slack, 'inc-jwk-2026-11-29-abcdefgh')
    expect(result).toMatchObject({channel: 'inc-jwk-2026-11-29-abcdefgh', channelId: channel?.id, created: true, posted: true})
    const [message] = messagesIn(slack, channel?.id ?? '')
    expect(message).toMatchObject({
      ts: result.ts,
      text: 'status v1',
      metadata: {event_type: STATUS_EVENT_TYPE, event_payload: {incident: '2026-11-29-abc'}},
    })
    expect([...ledger.done.keys()]).toEqual(['2026-11-29-abc:slack:channel', '2026-11-29-abc:slack:status'])
  })

  it('on the next run updates the same message (same ts) instead of posting another', async () => {
    // Given the status was posted
    const {runner} = memoryEffects()
    const first = await notifyIncident(options(runner))
    // When the incident moves on and Slack is notified again
    const second = await notifyIncident(
      options(runner, {status: {text: 'status v2', blocks: [{type: 'section', text: {type: 'mrkdwn', text: 'status v2'}}]}}),
    )
    // Then the one message now reads v2
    expect(second).toMatchObject({ts: first.ts, posted: false, created: false})
    expect(messagesIn(slack, first.channelId)).toMatchObject([{ts: first.ts, text: 'status v2', edited: true}])
    expect(callsTo(slack, 'chat.postMessage')).toHaveLength(1)
    expect(callsTo(slack, 'conversations.create')).toHaveLength(1)
    expect(callsTo(slack, 'chat.update')[0]?.params).toMatchObject({channel: first.channelId, ts: first.ts})
  })

  it('after a crash between posting and recording it, finds the message again instead of posting twice', async () => {
    // Given a run that died right after Slack accepted the status message
    const {ledger, runner} = memoryEffects('2026-11-29-abc:slack:status')
    await expect(notifyIncident(options(runner))).rejects.toBeInstanceOf(SimulatedCrash)
    expect(ledger.status('2026-11-29-abc:slack:status')).toBe('intent')
    // When the incident is resumed
    const result = await notifyIncident(options(runner))
    // Then the check found the message by its metadata: still one message, now updated
    expect(result.posted).toBe(false)
    expect(callsTo(slack, 'chat.postMessage')).toHaveLength(1)
    expect(callsTo(slack, 'conversations.history')[0]?.params).toMatchObject({include_all_metadata: 'true'})
    expect(messagesIn(slack, result.channelId)).toHaveLength(1)
  })

  it('outside the engine (checkFirst) a fresh process finds the channel and the message too', async () => {
    const first = await notifyIncident(options(checkFirst))
    const second = await notifyIncident(options(checkFirst))
    expect(second).toMatchObject({channelId: first.channelId, ts: first.ts, posted: false})
    expect(callsTo(slack, 'conversations.create')).toHaveLength(1)
    expect(messagesIn(slack, first.channelId)).toHaveLength(1)
  })

  it('uses a configured channel (joins it) and never creates one', async () => {
    const configured = addChannel(slack, {name: 'sec-incidents'})
    const result = await notifyIncident(options(memoryEffects().runner, {configuredChannel: '#sec-incidents'}))
    expect(result).toMatchObject({channel: 'sec-incidents', channelId: configured.id, created: false, posted: true})
    expect(callsTo(slack, 'conversations.create')).toHaveLength(0)
    expect(configured.members.has(slack.botUserId)).toBe(true)
  })

  it('invites people (ids and emails), posts a notice in contact channels, and reports who could not be reached', async () => {
    // Given users, a team channel, and contacts of every kind
    slack.users.push(
      {id: 'UALICE0001', email: 'alice@example.com', name: 'alice'},
      {id: 'UBOB000001', email: 'bob@example.com', name: 'bob'},
    )
    const team = addChannel(slack, {name: 'payments-oncall', members: [slack.botUserId]})
    const {runner} = memoryEffects()
    const contacts = ['UALICE0001', 'bob@example.com', '#payments-oncall', 'nobody@example.com', '@carol', 'UALICE0001']
    // When Slack is notified
    const result = await notifyIncident(options(runner, {contacts}))
    // Then alice and bob are in the channel, the team channel got a notice linking it, the rest are reported
    expect(result.invited).toEqual(['UALICE0001', 'UBOB000001'])
    expect(result.noticed).toEqual(['#payments-oncall'])
    expect(result.unresolved).toEqual([
      {contact: 'nobody@example.com', reason: 'no Slack user has this email'},
      {contact: '@carol', reason: 'not a Slack user id (U…), an email or a channel (#name)'},
    ])
    expect(messagesIn(slack, team.id)).toMatchObject([{text: `follow <#${result.channelId}>`}])
    // And again: nobody is invited twice and the notice is not repeated
    await notifyIncident(options(runner, {contacts}))
    expect(callsTo(slack, 'conversations.invite')).toHaveLength(2)
    expect(messagesIn(slack, team.id)).toHaveLength(1)
  })

  it('after a crash between a team-channel notice and its record, finds the notice again instead of posting twice', async () => {
    // Given a public team channel the bot is not in, an app that may post there without joining
    // (chat:write.public) and a run that died right after Slack accepted the notice
    slack.scopes.push('chat:write.public')
    const team = addChannel(slack, {name: 'payments-oncall'})
    const {ledger, runner} = memoryEffects('2026-11-29-abc:slack:notice:#payments-oncall')
    await expect(notifyIncident(options(runner, {contacts: ['#payments-oncall']}))).rejects.toBeInstanceOf(SimulatedCrash)
    expect(ledger.status('2026-11-29-abc:slack:notice:#payments-oncall')).toBe('intent')
    // When the incident is resumed (unattended: an effect nobody can settle would be repeated)
    const result = await notifyIncident(options(runner, {contacts: ['#payments-oncall']}))
    // Then the bot joined before posting, so the history showed the notice: one notice, not two
    expect(result.noticed).toEqual(['#payments-oncall'])
    expect(messagesIn(slack, team.id)).toHaveLength(1)
    expect(team.members.has(slack.botUserId)).toBe(true)
    expect(callsTo(slack, 'chat.postMessage').filter((call) => call.params.channel === '#payments-oncall')).toHaveLength(1)
  })

  it('posts a notice where the app may not join (no channels:join) but may post, as before', async () => {
    slack.scopes = [...slack.scopes.filter((scope) => scope !== 'channels:join'), 'chat:write.public']
    const team = addChannel(slack, {name: 'payments-oncall'})
    const result = await notifyIncident(options(memoryEffects().runner, {contacts: ['#payments-oncall']}))
    expect(result.noticed).toEqual(['#payments-oncall'])
    expect(messagesIn(slack, team.id)).toHaveLength(1)
  })

  it('a refused token stops it: ERR_SLACK_AUTH is not swallowed as an unreachable contact', async () => {
    const {runner} = memoryEffects()
    slack.failures['users.lookupByEmail'] = 'invalid_auth'
    const error = await notifyIncident(options(runner, {contacts: ['alice@example.com']})).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(JwkrError)
    expect((error as JwkrError).code).toBe('ERR_SLACK_AUTH')
  })
})
