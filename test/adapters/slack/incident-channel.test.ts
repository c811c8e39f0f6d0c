import {beforeEach, describe, expect, it} from 'vitest'

import {createSlackClient, type SlackClient} from '../../../src/adapters/slack/client.js'
import {
  findChannel,
  incidentChannelName,
  inviteUsers,
  openIncidentChannel,
  parseContact,
  resolveUser,
  useConfiguredChannel,
} from '../../../src/adapters/slack/incident-channel.js'
import {SLACK_BOT_SCOPES, SLACK_TOKEN_HINT} from '../../../src/adapters/slack/errors.js'
import {JwkrError} from '../../../src/core/errors.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {server} from '../../helpers/msw.js'
import {
  addChannel,
  ALL_SCOPES,
  callsTo,
  channelNamed,
  createSlackState,
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

async function failure(promise: Promise<unknown>): Promise<JwkrError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(JwkrError)
  return error as JwkrError
}

describe('incidentChannelName', () => {
  const date = new Date('2026-11-29T03:12:00Z')

  it('is inc-jwk-<date>-<first 8 of the thumbprint>, lower-cased', () => {
    expect(incidentChannelName({date, thumbprint: 'NzbLsXh8uDCcd-6MNwXF4W', incident: '2026-11-29-nzblsx'})).toBe(
      'inc-jwk-2026-11-29-nzblsxh8',
    )
  })

  it('follows a configured pattern and keeps to what Slack allows: a-z 0-9 - _, at most 80', () => {
    expect(incidentChannelName({pattern: 'SEC Incident {incident}!', date, thumbprint: null, incident: '2026-11-29-nokey'})).toBe(
      'sec-incident-2026-11-29-nokey',
    )
    const long = incidentChannelName({pattern: `x-${'a'.repeat(100)}-{thumbprint}`, date, thumbprint: 'Ab_c-9', incident: 'i'})
    expect(long).toHaveLength(80)
    expect(long).toMatch(/^[a-z0-9_-]+$/)
    expect(incidentChannelName({date, thumbprint: '_-ABCdef', incident: 'i'})).toBe('inc-jwk-2026-11-29-_-abcdef')
  })

  it('refuses an unknown placeholder or a pattern with nothing usable', () => {
    expect(() => incidentChannelName({pattern: 'inc-{kid}', date, thumbprint: 'x', incident: 'i'})).toThrow(/uses \{kid\}/)
    expect(() => incidentChannelName({pattern: '!!!', date, thumbprint: 'x', incident: 'i'})).toThrow(/no usable name/)
  })
})

describe('openIncidentChannel', () => {
  it('creates the channel with conversations.create', async () => {
    const {channel, created} = await openIncidentChannel(client, 'inc-jwk-2026-11-29-abc')
    expect(created).toBe(true)
    expect(channel).toEqual({id: channelNamed(slack, 'inc-jwk-2026-11-29-abc')?.id, name: 'inc-jwk-2026-11-29-abc'})
    expect(slack.requests.map((request) => request.method)).toEqual(['conversations.create'])
  })

  it('reuses the channel when the name is taken (an earlier run, a faster teammate) and joins it', async () => {
    // Given a teammate already made the channel, without the bot
    const existing = addChannel(slack, {name: 'inc-jwk-2026-11-29-abc', members: ['UALICE0001']})
    // When jwkr opens it
    const {channel, created} = await openIncidentChannel(client, 'inc-jwk-2026-11-29-abc')
    // Then Slack said name_taken, jwkr found the channel and joined it
    expect(created).toBe(false)
    expect(channel.id).toBe(existing.id)
    expect(slack.requests.map((request) => request.method)).toEqual([
      'conversations.create',
      'conversations.list',
      'conversations.join',
    ])
    expect(existing.members.has(slack.botUserId)).toBe(true)
  })

  it('says so when the taken name belongs to a channel the bot cannot see', async () => {
    addChannel(slack, {name: 'inc-jwk-2026-11-29-abc', isPrivate: true})
    const error = await failure(openIncidentChannel(client, 'inc-jwk-2026-11-29-abc'))
    expect(error.code).toBe('ERR_SLACK_FAILED')
    expect(error.hint).toContain('archived or private')
  })

  it('passes Slack’s refusal of a bad name on as ERR_SLACK_CHANNEL_NAME_INVALID', async () => {
    const error = await failure(openIncidentChannel(client, 'Bad Name'))
    expect(error).toMatchObject({code: 'ERR_SLACK_CHANNEL_NAME_INVALID', details: {slackError: 'invalid_name_specials'}})
  })
})

describe('the incident channel is private unless asked otherwise', () => {
  it('creates it private (is_private), which needs groups:write', async () => {
    // When the incident channel is opened
    const {channel} = await openIncidentChannel(client, 'inc-jwk-2026-11-29-abc')
    // Then Slack was asked for a private channel, and made one with the bot in it
    expect(callsTo(slack, 'conversations.create')[0]?.params).toMatchObject({name: 'inc-jwk-2026-11-29-abc', is_private: 'true'})
    expect(channelNamed(slack, channel.name)).toMatchObject({isPrivate: true})
    // And a token without groups:write is told which scope to add
    slack.scopes = slack.scopes.filter((scope) => scope !== 'groups:write')
    const error = await failure(openIncidentChannel(client, 'inc-jwk-2026-11-29-def'))
    expect(error).toMatchObject({code: 'ERR_SLACK_MISSING_SCOPE', details: {needed: 'groups:write'}})
  })

  it('creates it public when asked', async () => {
    const {channel} = await openIncidentChannel(client, 'inc-jwk-2026-11-29-abc', {isPrivate: false})
    expect(callsTo(slack, 'conversations.create')[0]?.params).toMatchObject({is_private: 'false'})
    expect(channelNamed(slack, channel.name)).toMatchObject({isPrivate: false})
  })

  it('finds its own private channel again when the name is taken (a resumed run), without joining it', async () => {
    // Given an earlier run created the private channel
    const existing = addChannel(slack, {name: 'inc-jwk-2026-11-29-abc', isPrivate: true, members: [slack.botUserId]})
    // When the channel is opened again
    const {channel, created} = await openIncidentChannel(client, 'inc-jwk-2026-11-29-abc')
    // Then it is that channel, and no join was tried (Slack refuses joins of private channels)
    expect({id: channel.id, created}).toEqual({id: existing.id, created: false})
    expect(callsTo(slack, 'conversations.join')).toHaveLength(0)
  })
})

describe('a configured channel given by id', () => {
  it('a private channel the bot is in: looked up and used, never joined', async () => {
    // Given a private channel the bot was invited to
    const room = addChannel(slack, {name: 'sec-private', isPrivate: true, members: [slack.botUserId]})
    // When it is named by id
    const channel = await useConfiguredChannel(client, room.id)
    // Then conversations.info said the bot is a member, and nothing was joined
    expect(channel).toEqual({id: room.id, name: 'sec-private'})
    expect(slack.requests.map((request) => request.method)).toEqual(['conversations.info'])
  })

  it('a public channel the bot is not in: joined', async () => {
    const room = addChannel(slack, {name: 'sec-incidents'})
    await useConfiguredChannel(client, room.id)
    expect(slack.requests.map((request) => request.method)).toEqual(['conversations.info', 'conversations.join'])
    expect(room.members.has(slack.botUserId)).toBe(true)
  })

  it('a private channel the bot is not in: not found, with the way to invite the bot', async () => {
    const room = addChannel(slack, {name: 'secret-room', isPrivate: true})
    const error = await failure(useConfiguredChannel(client, room.id))
    expect(error.code).toBe('ERR_SLACK_CHANNEL_NOT_FOUND')
    expect(error.hint).toContain('/invite @your-app')
    expect(callsTo(slack, 'conversations.join')).toHaveLength(0)
  })

  it('a join Slack refuses for the kind of channel is not fatal: posting decides', async () => {
    // Given a channel Slack lists as public but will not let apps join
    const room = addChannel(slack, {name: 'shared-room'})
    slack.failures['conversations.join'] = 'method_not_supported_for_channel_type'
    // When it is used, it is taken as it is
    expect(await useConfiguredChannel(client, room.id)).toEqual({id: room.id, name: 'shared-room'})
  })

  it('reading a private channel needs groups:read, as Slack checks it', async () => {
    const room = addChannel(slack, {name: 'sec-private', isPrivate: true, members: [slack.botUserId]})
    slack.scopes = slack.scopes.filter((scope) => scope !== 'groups:read')
    const error = await failure(useConfiguredChannel(client, room.id))
    expect(error).toMatchObject({code: 'ERR_SLACK_MISSING_SCOPE', details: {needed: 'groups:read'}})
    expect(error.hint).toContain('groups:read')
  })
})

describe('the scopes jwkr asks for', () => {
  it('name every scope its calls need, private channels and users:read included', () => {
    for (const scope of ['chat:write', 'channels:manage', 'groups:write', 'channels:join', 'channels:read', 'groups:read']) {
      expect(SLACK_TOKEN_HINT).toContain(scope)
    }
    for (const scope of ['channels:history', 'groups:history', 'users:read,', 'users:read.email']) {
      expect(SLACK_TOKEN_HINT).toContain(scope)
    }
    // And they are exactly the scopes the Slack double checks jwkr's calls against
    expect([...SLACK_BOT_SCOPES].sort()).toEqual([...ALL_SCOPES].sort())
  })
})

describe('useConfiguredChannel (notify.slack.channel)', () => {
  it('finds #name across pages of conversations.list and joins it', async () => {
    for (let i = 0; i < 250; i++) addChannel(slack, {name: `team-${i}`})
    const wanted = addChannel(slack, {name: 'sec-incidents'})
    const channel = await useConfiguredChannel(client, '#sec-incidents')
    expect(channel).toEqual({id: wanted.id, name: 'sec-incidents'})
    expect(callsTo(slack, 'conversations.list')).toHaveLength(2)
    expect(callsTo(slack, 'conversations.join')[0]?.params.channel).toBe(wanted.id)
  })

  it('does not join a channel the bot is in already', async () => {
    addChannel(slack, {name: 'sec-incidents', members: [slack.botUserId]})
    await useConfiguredChannel(client, 'sec-incidents')
    expect(callsTo(slack, 'conversations.join')).toHaveLength(0)
  })

  it('takes a channel id as it is', async () => {
    const wanted = addChannel(slack, {name: 'sec-incidents'})
    expect(await useConfiguredChannel(client, wanted.id)).toEqual({id: wanted.id, name: 'sec-incidents'})
    expect(callsTo(slack, 'conversations.list')).toHaveLength(0)
  })

  it('a channel that is not there (or private without the bot) → ERR_SLACK_CHANNEL_NOT_FOUND, never created', async () => {
    addChannel(slack, {name: 'secret-room', isPrivate: true})
    for (const name of ['#nowhere', '#secret-room']) {
      const error = await failure(useConfiguredChannel(client, name))
      expect(error.code).toBe('ERR_SLACK_CHANNEL_NOT_FOUND')
      expect(error.hint).toContain('/invite @your-app')
    }
    expect(callsTo(slack, 'conversations.create')).toHaveLength(0)
  })

  it('an archived channel is not offered', async () => {
    addChannel(slack, {name: 'old', isArchived: true})
    expect(await findChannel(client, 'old')).toBeUndefined()
  })
})

describe('contacts', () => {
  it('reads user ids, emails and channels, and nothing else', () => {
    expect(parseContact('U012AB3CD')).toEqual({kind: 'user', id: 'U012AB3CD'})
    expect(parseContact('W012AB3CD')).toEqual({kind: 'user', id: 'W012AB3CD'})
    expect(parseContact(' alice@example.com ')).toEqual({kind: 'email', email: 'alice@example.com'})
    expect(parseContact('#payments-oncall')).toEqual({kind: 'channel', channel: '#payments-oncall'})
    expect(parseContact('C0123456789')).toEqual({kind: 'channel', channel: 'C0123456789'})
    expect(parseContact('@alice')).toBeUndefined()
    expect(parseContact('<!channel>@x.y')).toBeUndefined()
  })

  it('looks emails up with users.lookupByEmail; an unknown email is Slack’s users_not_found', async () => {
    slack.users.push({id: 'UALICE0001', email: 'alice@example.com', name: 'alice'})
    expect(await resolveUser(client, {kind: 'email', email: 'ALICE@example.com'})).toBe('UALICE0001')
    expect(callsTo(slack, 'users.lookupByEmail')[0]?.params.email).toBe('ALICE@example.com')
    const error = await failure(resolveUser(client, {kind: 'email', email: 'bob@example.com'}))
    expect(error.details).toMatchObject({slackError: 'users_not_found'})
  })

  it('invites users; one already there or unknown does not stop the others', async () => {
    // Given a channel with the bot and bob, and three contacts: bob, carol, and an id Slack does not know
    slack.users.push({id: 'UBOB000001', email: 'bob@x.io', name: 'bob'}, {id: 'UCAROL0001', email: 'carol@x.io', name: 'carol'})
    const channel = addChannel(slack, {name: 'inc', members: [slack.botUserId, 'UBOB000001']})
    // When they are invited
    const result = await inviteUsers(client, channel.id, ['UBOB000001', 'UCAROL0001', 'UGHOST0001'])
    // Then carol is in, bob was already, the ghost is reported
    expect(result).toEqual({
      invited: ['UCAROL0001'],
      alreadyMember: ['UBOB000001'],
      failed: [{user: 'UGHOST0001', error: 'user_not_found'}],
    })
    expect([...channel.members]).toEqual([slack.botUserId, 'UBOB000001', 'UCAROL0001'])
    expect(callsTo(slack, 'conversations.invite')[0]?.params).toMatchObject({
      users: 'UBOB000001,UCAROL0001,UGHOST0001',
      force: 'true',
    })
  })

  it('inviting someone who is already there is not an error', async () => {
    slack.users.push({id: 'UBOB000001', email: 'bob@x.io', name: 'bob'})
    const channel = addChannel(slack, {name: 'inc', members: [slack.botUserId, 'UBOB000001']})
    expect(await inviteUsers(client, channel.id, ['UBOB000001'])).toEqual({
      invited: [],
      alreadyMember: ['UBOB000001'],
      failed: [],
    })
  })
})
