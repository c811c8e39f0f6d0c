import {mkdtemp, readFile, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {createSlackClient} from '../../src/adapters/slack/client.js'
import {openIncidentChannel, useConfiguredChannel} from '../../src/adapters/slack/incident-channel.js'
import {findMessage, postMessage, updateMessage} from '../../src/adapters/slack/messages.js'
import {JwkrError} from '../../src/core/errors.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {startFakeSlack, type FakeSlack} from '../../src/drill/fake-slack.js'
import {rejection} from './helpers.js'
import type {SlackMessage} from '../../src/core/notify/slack-status.js'

const TOKEN = 'xoxb-drill-0123456789abcdef01234567'
const message: SlackMessage = {
  text: 'Key contained',
  blocks: [{type: 'section', text: {type: 'mrkdwn', text: '*Key contained*'}}],
}

describe('the fake Slack', () => {
  let dir: string
  let slack: FakeSlack | undefined
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jwkr-fake-slack-'))
  })
  afterEach(async () => {
    await slack?.close()
    slack = undefined
    await rm(dir, {recursive: true, force: true})
  })

  const call = async (method: string, fields: Record<string, string>, token: string | null = TOKEN) => {
    const response = await fetch(`${slack?.apiUrl}${method}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(token === null ? {} : {authorization: `Bearer ${token}`}),
      },
      body: new URLSearchParams(fields).toString(),
    })
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as Record<string, unknown>,
    }
  }

  it("answers a missing or wrong token and missing fields with Slack's error shapes", async () => {
    // Given a fake Slack with one channel
    slack = await startFakeSlack({token: TOKEN, channels: [{name: 'sec-incidents'}]})

    // When jwkr's calls come without a token, with a wrong one, and without required fields
    const none = await call('auth.test', {}, null)
    const wrong = await call('auth.test', {}, 'xoxb-wrong')
    const noChannel = await call('chat.postMessage', {text: 'hello'})
    const noText = await call('chat.postMessage', {channel: 'sec-incidents'})
    const noName = await call('conversations.create', {})
    const unknown = await call('chat.delete', {channel: 'C1', ts: '1'})

    // Then each is refused the way Slack refuses it: HTTP 200 with ok false and the error code
    expect(none).toMatchObject({status: 200, body: {ok: false, error: 'not_authed'}})
    expect(wrong).toMatchObject({status: 200, body: {ok: false, error: 'invalid_auth'}})
    expect(noChannel.body).toEqual({
      ok: false,
      error: 'invalid_arguments',
      response_metadata: {messages: ['[ERROR] missing required field: channel']},
    })
    expect(noText.body).toEqual({ok: false, error: 'no_text'})
    expect(noName.body).toEqual({ok: false, error: 'invalid_name_required'})
    expect(unknown.body).toEqual({ok: false, error: 'unknown_method', req_method: 'chat.delete'})
    expect(slack.messages).toEqual([])
  })

  it("serves jwkr's Slack adapter: channel, status message, update, and finds it again by its metadata", async () => {
    // Given a fake Slack and jwkr's own client pointed at it
    const logFile = join(dir, 'slack.log.jsonl')
    slack = await startFakeSlack({
      token: TOKEN,
      channels: [{name: 'sec-incidents'}],
      users: [{name: 'alice', email: 'alice@example.com'}],
      logFile,
    })
    const client = createSlackClient({
      token: TOKEN,
      apiUrl: slack.apiUrl,
      secrets: new SecretRegistry(),
      retryConfig: {retries: 0},
    })

    // When it opens an incident channel, joins the configured one, posts, updates and looks the message up
    const opened = await openIncidentChannel(client, 'inc-jwk-2026-11-29-abcdef12')
    const again = await openIncidentChannel(client, 'inc-jwk-2026-11-29-abcdef12')
    const configured = await useConfiguredChannel(client, '#sec-incidents')
    const posted = await postMessage(client, {
      channel: configured.id,
      message,
      metadata: {eventType: 'jwkr_incident_status', incident: 'inc-1'},
    })
    await updateMessage(client, {
      channelId: posted.channelId,
      ts: posted.ts,
      message: {text: 'Key contained, proven', blocks: []},
    })
    const found = await findMessage(client, {channelId: configured.id, eventType: 'jwkr_incident_status', incident: 'inc-1'})
    const lookup = await client.users.lookupByEmail({email: 'alice@example.com'})
    await slack.close()

    // Then Slack's state is what a real workspace would hold, and every call is on record without the token
    expect(opened.created).toBe(true)
    expect(again).toEqual({channel: opened.channel, created: false})
    expect(slack.channelNamed('sec-incidents')?.members.has('UDRILLBOT1')).toBe(true)
    expect(found).toBe(posted.ts)
    expect(lookup.user?.name).toBe('alice')
    expect(slack.messagesIn(configured.id)).toMatchObject([{text: 'Key contained, proven', edited: true}])
    expect(slack.records.map((record) => record.method)).toEqual([
      'conversations.create',
      'conversations.create',
      'conversations.list',
      'conversations.list',
      'conversations.join',
      'chat.postMessage',
      'chat.update',
      'conversations.history',
      'users.lookupByEmail',
    ])
    const text = await readFile(logFile, 'utf8')
    expect(
      text
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as {method: string}).method),
    ).toEqual(slack.records.map((record) => record.method))
    expect(text).toContain('Key contained')
    expect(text).not.toContain(TOKEN)
    expect((await stat(logFile)).mode & 0o777).toBe(0o600)
  })

  it('keeps private channels as Slack does: invisible without the bot, never joinable, used by id when the bot is in', async () => {
    // Given a private channel the bot was invited to, and one it was not
    slack = await startFakeSlack({
      token: TOKEN,
      channels: [
        {name: 'sec-private', isPrivate: true, botMember: true},
        {name: 'hr-private', isPrivate: true},
      ],
    })
    const client = createSlackClient({
      token: TOKEN,
      apiUrl: slack.apiUrl,
      secrets: new SecretRegistry(),
      retryConfig: {retries: 0},
    })
    const member = slack.channelNamed('sec-private')?.id ?? ''
    const outsider = slack.channelNamed('hr-private')?.id ?? ''
    // When jwkr uses the first by id, and asks Slack about both
    const used = await useConfiguredChannel(client, member)
    const joinMember = await call('conversations.join', {channel: member})
    const infoOutsider = await call('conversations.info', {channel: outsider})
    const joinOutsider = await call('conversations.join', {channel: outsider})
    const listed = await call('conversations.list', {types: 'public_channel,private_channel'})
    const opened = await openIncidentChannel(client, 'inc-jwk-2026-11-29-abcdef12')
    // Then the member channel was used as it is (no join), and joining it is refused as Slack refuses it
    expect(used).toEqual({id: member, name: 'sec-private'})
    expect(joinMember.body).toEqual({ok: false, error: 'method_not_supported_for_channel_type'})
    // And the other private channel does not exist for the bot
    expect(infoOutsider.body).toEqual({ok: false, error: 'channel_not_found'})
    expect(joinOutsider.body).toEqual({ok: false, error: 'channel_not_found'})
    expect((listed.body.channels as Array<{name: string}>).map((channel) => channel.name)).toEqual(['sec-private'])
    // And the incident channel jwkr opened is private, with the bot in it
    expect(slack.channelNamed(opened.channel.name)).toMatchObject({isPrivate: true})
    expect(opened.channel.id).toMatch(/^G/)
    expect(slack.records.filter((record) => record.method === 'conversations.join' && record.fault === false)).toHaveLength(2)
  })

  it('plays a flaky Slack: 429 with Retry-After 1, then a 500 once, then the post goes through (once)', async () => {
    // Given the flaky-slack fault on chat.postMessage, and jwkr's client with retries on
    slack = await startFakeSlack({
      token: TOKEN,
      channels: [{name: 'sec-incidents', botMember: true}],
      faults: [{match: 'chat.postMessage', replies: [{status: 429, retryAfter: 1}, {status: 500}]}],
    })
    const channel = slack.channelNamed('sec-incidents')?.id ?? ''
    const warnings: string[] = []
    const client = createSlackClient({
      token: TOKEN,
      apiUrl: slack.apiUrl,
      secrets: new SecretRegistry(),
      retryConfig: {retries: 3, minTimeout: 10, maxTimeout: 20},
      log: (line) => warnings.push(line),
    })

    // When the status message is posted
    const posted = await postMessage(client, {channel, message})

    // Then the faults were answered in order, the client waited the Retry-After out, and one message exists
    expect(slack.faults.map(({status, retryAfter}) => ({status, retryAfter}))).toEqual([
      {status: 429, retryAfter: 1},
      {status: 500, retryAfter: undefined},
    ])
    expect(slack.faults[1]!.at - slack.faults[0]!.at).toBeGreaterThanOrEqual(1000)
    expect(slack.records.map((record) => [record.status, record.fault])).toEqual([
      [429, true],
      [500, true],
      [200, false],
    ])
    expect(slack.messagesIn(channel)).toMatchObject([{ts: posted.ts, text: 'Key contained'}])
    expect(warnings.join('\n')).toContain('Retry-After: 1 s')
  })

  it('fails a call whose retries run out with the error jwkr reports', async () => {
    // Given Slack rate-limiting chat.postMessage and a client that does not wait
    slack = await startFakeSlack({
      token: TOKEN,
      channels: [{name: 'sec-incidents', botMember: true}],
      faults: [{match: 'chat.postMessage', replies: [{status: 429, retryAfter: 30}], repeat: true}],
    })
    const client = createSlackClient({
      token: TOKEN,
      apiUrl: slack.apiUrl,
      secrets: new SecretRegistry(),
      rejectRateLimitedCalls: true,
    })

    // When a message is posted
    const error = await rejection(postMessage(client, {channel: slack.channelNamed('sec-incidents')?.id ?? '', message}))

    // Then it is jwkr's rate-limit error with the wait, and nothing was posted
    expect(error).toBeInstanceOf(JwkrError)
    expect(error.code).toBe('ERR_SLACK_RATE_LIMITED')
    expect(error.details?.retryAfter).toBe(30)
    expect(slack.messages).toEqual([])
  })
})
