// The drill's Slack: a real HTTP server on loopback speaking the subset of the Web API that jwkr's
// Slack adapter calls (src/adapters/slack), the way Slack does — POST <root>/api/<method> with a form
// or JSON body, the bot token as a Bearer header, HTTP 200 `{ok: false, error}` for every refusal
// (not_authed, invalid_auth, invalid_arguments, channel_not_found, not_in_channel, name_taken…) and
// HTTP 429 + Retry-After for rate limits. jwkr reaches it through SLACK_API_URL=<origin>/api/.
// Everything asked is recorded (in memory and as JSON lines); scripted faults stand in for a bad day.
import type {IncomingMessage, ServerResponse} from 'node:http'

import {createFaultScript, type FaultRule, type InjectedFault} from './fault-script.js'
import {parseFields, parseJson, pathOf, readBody, sendJson, startLoopbackServer} from './loopback-server.js'
import {createRecordLog} from './record-log.js'

export const FAKE_SLACK_METHODS = [
  'auth.test',
  'conversations.create',
  'conversations.join',
  'conversations.invite',
  'conversations.info',
  'conversations.list',
  'conversations.history',
  'chat.postMessage',
  'chat.update',
  'users.lookupByEmail',
] as const

export type FakeSlackMethod = (typeof FAKE_SLACK_METHODS)[number]

export interface FakeSlackChannel {
  id: string
  name: string
  isPrivate: boolean
  members: Set<string>
}

export interface FakeSlackUser {
  id: string
  name: string
  email: string
}

export interface FakeSlackMessage {
  channel: string
  ts: string
  user: string
  text: string
  blocks: unknown[] | undefined
  threadTs: string | undefined
  metadata: {event_type: string; event_payload: Record<string, unknown>} | undefined
  edited: boolean
}

/** One request as the fake saw it. The token is never kept. */
export interface FakeSlackRecord {
  at: string
  method: string
  status: number
  ok: boolean
  error: string | null
  /** The fields as sent (objects such as blocks arrive JSON-encoded), without `token`. */
  params: Record<string, string>
  /** The answer was a scripted fault. */
  fault: boolean
}

export interface FakeSlackOptions {
  /** The bot token it accepts (`xoxb-…`). */
  token: string
  /** Channels that exist before the drill; the bot is a member only when `botMember` says so. */
  channels?: Array<{name: string; isPrivate?: boolean; botMember?: boolean}>
  /** People in the workspace, found by users.lookupByEmail. */
  users?: Array<{name: string; email: string}>
  faults?: readonly FaultRule[]
  /** JSON lines of every request (mode 0600); null or absent: memory only. */
  logFile?: string | null
  now?: () => number
}

export interface FakeSlack {
  origin: string
  /** What SLACK_API_URL must be: `<origin>/api/`. */
  apiUrl: string
  readonly channels: readonly FakeSlackChannel[]
  readonly users: readonly FakeSlackUser[]
  readonly messages: readonly FakeSlackMessage[]
  readonly records: readonly FakeSlackRecord[]
  readonly faults: readonly InjectedFault[]
  channelNamed(name: string): FakeSlackChannel | undefined
  /** Top-level messages of a channel, oldest first. */
  messagesIn(channelId: string): FakeSlackMessage[]
  close(): Promise<void>
}

export const FAKE_SLACK_BOT = {id: 'UDRILLBOT1', name: 'jwkr-drill-bot', teamId: 'TDRILL0001', team: 'jwkr drill'}

type Params = Record<string, string>
type Answer = Record<string, unknown>

interface State {
  channels: FakeSlackChannel[]
  users: FakeSlackUser[]
  messages: FakeSlackMessage[]
  serial: number
  now: () => number
}

/** Fields a method cannot do without; Slack answers invalid_arguments naming the first one missing. */
const REQUIRED: Partial<Record<FakeSlackMethod, string[]>> = {
  'conversations.join': ['channel'],
  'conversations.invite': ['channel', 'users'],
  'conversations.info': ['channel'],
  'conversations.history': ['channel'],
  'chat.postMessage': ['channel'],
  'chat.update': ['channel', 'ts'],
  'users.lookupByEmail': ['email'],
}

const METHODS: Record<FakeSlackMethod, (state: State, params: Params) => Answer> = {
  'auth.test': () => ({
    ok: true,
    url: 'https://jwkr-drill.slack.com/',
    team: FAKE_SLACK_BOT.team,
    user: FAKE_SLACK_BOT.name,
    team_id: FAKE_SLACK_BOT.teamId,
    user_id: FAKE_SLACK_BOT.id,
    bot_id: 'BDRILLBOT1',
  }),
  'conversations.create': conversationsCreate,
  'conversations.join': conversationsJoin,
  'conversations.invite': conversationsInvite,
  'conversations.info': (state, params) => {
    const channel = visibleChannel(state, params.channel)
    return channel ? {ok: true, channel: channelObject(channel)} : {ok: false, error: 'channel_not_found'}
  },
  'conversations.list': conversationsList,
  'conversations.history': conversationsHistory,
  'chat.postMessage': chatPostMessage,
  'chat.update': chatUpdate,
  'users.lookupByEmail': (state, params) => {
    const user = state.users.find((item) => item.email.toLowerCase() === (params.email ?? '').toLowerCase())
    return user
      ? {ok: true, user: {id: user.id, name: user.name, profile: {email: user.email}}}
      : {ok: false, error: 'users_not_found'}
  },
}

/**
 * @example const slack = await startFakeSlack({token: 'xoxb-drill-…', channels: [{name: 'sec-incidents'}]})
 *   // SLACK_API_URL=${slack.apiUrl} SLACK_TOKEN=xoxb-drill-…
 */
export async function startFakeSlack(options: FakeSlackOptions): Promise<FakeSlack> {
  const now = options.now ?? Date.now
  const state: State = {channels: [], users: [], messages: [], serial: 0, now}
  for (const user of options.users ?? []) state.users.push({id: `U${serialId(state)}`, name: user.name, email: user.email})
  for (const channel of options.channels ?? []) {
    state.channels.push({
      id: `${channel.isPrivate ? 'G' : 'C'}${serialId(state)}`,
      name: channel.name.replace(/^#/, ''),
      isPrivate: channel.isPrivate ?? false,
      members: new Set(channel.botMember ? [FAKE_SLACK_BOT.id] : []),
    })
  }
  const faults = createFaultScript(options.faults ?? [], now)
  const log = createRecordLog<FakeSlackRecord>(options.logFile ?? null)

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = pathOf(request)
    const method = /^\/api\/([A-Za-z0-9_.]+)$/.exec(path)?.[1]
    if (method === undefined) {
      sendJson(response, 404, {ok: false, error: 'not_found'})
      return
    }
    const query = Object.fromEntries(new URL(request.url ?? '/', 'http://fake').searchParams)
    const {token: bodyToken, ...params} = {...query, ...parseFields(await readBody(request), request.headers['content-type'])}
    const reply = (status: number, answer: Answer, fault: boolean, headers: Record<string, string> = {}) => {
      log.append({
        at: new Date(now()).toISOString(),
        method,
        status,
        ok: answer.ok === true,
        error: typeof answer.error === 'string' ? answer.error : null,
        params,
        fault,
      })
      sendJson(response, status, answer, headers)
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? bodyToken
    if (bearer === undefined || bearer === '') return reply(200, {ok: false, error: 'not_authed'}, false)
    if (bearer !== options.token) return reply(200, {ok: false, error: 'invalid_auth'}, false)
    if (!isMethod(method)) return reply(200, {ok: false, error: 'unknown_method', req_method: method}, false)
    // Slack limits per token and method, so a fault hits only calls that got this far.
    const fault = faults.next(method)
    if (fault) {
      const error = fault.status === 429 ? 'ratelimited' : 'fatal_error'
      return reply(
        fault.status,
        {ok: false, error},
        true,
        fault.retryAfter === undefined ? {} : {'retry-after': String(fault.retryAfter)},
      )
    }
    const missing = (REQUIRED[method] ?? []).find((field) => (params[field] ?? '') === '')
    if (missing !== undefined) {
      return reply(
        200,
        {ok: false, error: 'invalid_arguments', response_metadata: {messages: [`[ERROR] missing required field: ${missing}`]}},
        false,
      )
    }
    reply(200, METHODS[method](state, params), false)
  }

  const server = await startLoopbackServer(handle)
  return {
    origin: server.origin,
    apiUrl: `${server.origin}/api/`,
    channels: state.channels,
    users: state.users,
    messages: state.messages,
    records: log.records,
    faults: faults.injected,
    channelNamed: (name) => state.channels.find((channel) => channel.name === name.replace(/^#/, '')),
    messagesIn: (channelId) =>
      state.messages.filter((message) => message.channel === channelId && message.threadTs === undefined),
    close: async () => {
      await server.close()
      await log.flush()
    },
  }
}

function isMethod(method: string): method is FakeSlackMethod {
  return (FAKE_SLACK_METHODS as readonly string[]).includes(method)
}

function conversationsCreate(state: State, params: Params): Answer {
  const name = params.name ?? ''
  if (name === '') return {ok: false, error: 'invalid_name_required'}
  if ([...name].length > 80) return {ok: false, error: 'invalid_name_maxlength'}
  if (/[^a-z0-9_-]/.test(name)) return {ok: false, error: 'invalid_name_specials'}
  if (state.channels.some((channel) => channel.name === name)) return {ok: false, error: 'name_taken'}
  const isPrivate = params.is_private === 'true'
  const channel: FakeSlackChannel = {
    id: `${isPrivate ? 'G' : 'C'}${serialId(state)}`,
    name,
    isPrivate,
    members: new Set([FAKE_SLACK_BOT.id]),
  }
  state.channels.push(channel)
  return {ok: true, channel: channelObject(channel)}
}

function conversationsJoin(state: State, params: Params): Answer {
  const channel = visibleChannel(state, params.channel)
  if (!channel) return {ok: false, error: 'channel_not_found'}
  if (channel.isPrivate) return {ok: false, error: 'method_not_supported_for_channel_type'}
  if (channel.members.has(FAKE_SLACK_BOT.id)) {
    return {
      ok: true,
      channel: channelObject(channel),
      warning: 'already_in_channel',
      response_metadata: {warnings: ['already_in_channel']},
    }
  }
  channel.members.add(FAKE_SLACK_BOT.id)
  return {ok: true, channel: channelObject(channel)}
}

function conversationsInvite(state: State, params: Params): Answer {
  const channel = visibleChannel(state, params.channel)
  if (!channel) return {ok: false, error: 'channel_not_found'}
  if (!channel.members.has(FAKE_SLACK_BOT.id)) return {ok: false, error: 'not_in_channel'}
  const users = (params.users ?? '')
    .split(',')
    .map((user) => user.trim())
    .filter(Boolean)
  const errors: Array<{user: string; ok: false; error: string}> = []
  const valid: string[] = []
  for (const user of users) {
    const error = !state.users.some((item) => item.id === user)
      ? 'user_not_found'
      : channel.members.has(user)
        ? 'already_in_channel'
        : undefined
    if (error) errors.push({user, ok: false, error})
    else valid.push(user)
  }
  if (errors.length > 0 && (params.force !== 'true' || valid.length === 0)) return {ok: false, error: errors[0]?.error, errors}
  for (const user of valid) channel.members.add(user)
  return {ok: true, channel: channelObject(channel), ...(errors.length > 0 ? {errors} : {})}
}

function conversationsList(state: State, params: Params): Answer {
  const types = (params.types ?? 'public_channel').split(',')
  const limit = Math.min(1000, Math.max(1, Number(params.limit ?? 100) || 100))
  const offset = decodeCursor(params.cursor)
  const all = state.channels.filter(
    (channel) => visibleChannel(state, channel.id) && types.includes(channel.isPrivate ? 'private_channel' : 'public_channel'),
  )
  return {
    ok: true,
    channels: all.slice(offset, offset + limit).map(channelObject),
    response_metadata: {next_cursor: offset + limit < all.length ? encodeCursor(offset + limit) : ''},
  }
}

function conversationsHistory(state: State, params: Params): Answer {
  const channel = visibleChannel(state, params.channel)
  if (!channel) return {ok: false, error: 'channel_not_found'}
  if (!channel.members.has(FAKE_SLACK_BOT.id)) return {ok: false, error: 'not_in_channel'}
  const limit = Math.min(999, Math.max(1, Number(params.limit ?? 100) || 100))
  const offset = decodeCursor(params.cursor)
  const all = state.messages.filter((message) => message.channel === channel.id && message.threadTs === undefined).reverse()
  const more = offset + limit < all.length
  return {
    ok: true,
    messages: all.slice(offset, offset + limit).map((message) => messageObject(message, params.include_all_metadata === 'true')),
    has_more: more,
    response_metadata: {next_cursor: more ? encodeCursor(offset + limit) : ''},
  }
}

function chatPostMessage(state: State, params: Params): Answer {
  const reference = params.channel ?? ''
  const channel =
    visibleChannel(state, reference) ??
    state.channels.find((item) => !item.isPrivate && item.name === reference.replace(/^#/, ''))
  if (!channel) return {ok: false, error: 'channel_not_found'}
  // The drill's bot has chat:write.public: it may post in any public channel without joining it.
  if (channel.isPrivate && !channel.members.has(FAKE_SLACK_BOT.id)) return {ok: false, error: 'not_in_channel'}
  const content = messageContent(params)
  if ('error' in content) return {ok: false, error: content.error}
  let metadata: FakeSlackMessage['metadata']
  if (params.metadata !== undefined) {
    const parsed = parseJson(params.metadata) as FakeSlackMessage['metadata']
    if (!parsed || typeof parsed.event_type !== 'string' || typeof parsed.event_payload !== 'object') {
      return {ok: false, error: 'invalid_metadata_format'}
    }
    metadata = parsed
  }
  const message: FakeSlackMessage = {
    channel: channel.id,
    ts: `${Math.floor(state.now() / 1000)}.${String(++state.serial).padStart(6, '0')}`,
    user: FAKE_SLACK_BOT.id,
    text: content.text,
    blocks: content.blocks,
    threadTs: params.thread_ts,
    metadata,
    edited: false,
  }
  state.messages.push(message)
  return {ok: true, channel: channel.id, ts: message.ts, message: messageObject(message, false)}
}

function chatUpdate(state: State, params: Params): Answer {
  const channel = visibleChannel(state, params.channel)
  if (!channel) return {ok: false, error: 'channel_not_found'}
  const message = state.messages.find((item) => item.channel === channel.id && item.ts === params.ts)
  if (!message) return {ok: false, error: 'message_not_found'}
  if (message.user !== FAKE_SLACK_BOT.id) return {ok: false, error: 'cant_update_message'}
  const content = messageContent(params)
  if ('error' in content) return {ok: false, error: content.error}
  Object.assign(message, {text: content.text, blocks: content.blocks, edited: true})
  return {ok: true, channel: channel.id, ts: message.ts, text: message.text, message: messageObject(message, false)}
}

/** text and blocks as chat.postMessage / chat.update check them. */
function messageContent(params: Params): {text: string; blocks: unknown[] | undefined} | {error: string} {
  const text = params.text ?? ''
  let blocks: unknown[] | undefined
  if (params.blocks !== undefined) {
    const parsed = parseJson(params.blocks)
    const valid =
      Array.isArray(parsed) &&
      parsed.length <= 50 &&
      parsed.every((block) => block !== null && typeof block === 'object' && typeof (block as {type?: unknown}).type === 'string')
    if (!valid) return {error: 'invalid_blocks'}
    blocks = parsed
  }
  if (text === '' && !blocks?.length) return {error: 'no_text'}
  if (text.length > 40_000) return {error: 'msg_too_long'}
  return {text, blocks}
}

/** A channel by id that the bot can see: any public one, a private one only as a member. */
function visibleChannel(state: State, id: string | undefined): FakeSlackChannel | undefined {
  const channel = state.channels.find((item) => item.id === id)
  return channel && (!channel.isPrivate || channel.members.has(FAKE_SLACK_BOT.id)) ? channel : undefined
}

function channelObject(channel: FakeSlackChannel): Answer {
  return {
    id: channel.id,
    name: channel.name,
    name_normalized: channel.name,
    is_channel: !channel.isPrivate,
    is_group: channel.isPrivate,
    is_private: channel.isPrivate,
    is_archived: false,
    is_member: channel.members.has(FAKE_SLACK_BOT.id),
    num_members: channel.members.size,
  }
}

function messageObject(message: FakeSlackMessage, withMetadata: boolean): Answer {
  return {
    type: 'message',
    user: message.user,
    text: message.text,
    ts: message.ts,
    ...(message.blocks ? {blocks: message.blocks} : {}),
    ...(message.threadTs ? {thread_ts: message.threadTs} : {}),
    ...(message.edited ? {edited: {user: message.user, ts: message.ts}} : {}),
    ...(withMetadata && message.metadata ? {metadata: message.metadata} : {}),
  }
}

function serialId(state: State): string {
  return `DRILL${String(++state.serial).padStart(5, '0')}`
}

function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64')
}

function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0
  const offset = Number(
    Buffer.from(cursor, 'base64')
      .toString('utf8')
      .replace(/^offset:/, ''),
  )
  return Number.isInteger(offset) && offset >= 0 ? offset : 0
}
