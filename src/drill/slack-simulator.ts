// The Slack simulator: one state machine for the subset of the Web API jwkr's Slack adapter calls
// (src/adapters/slack), answering as Slack does — a POST to <root>/<method> with a form or JSON body,
// the bot token as a Bearer header (or a `token` field), HTTP 200 `{ok: false, error}` for every
// refusal (not_authed, invalid_auth, unknown_method, invalid_arguments, missing_scope with
// needed/provided, channel_not_found, not_in_channel, name_taken, message_not_found…), HTTP 429 with
// Retry-After for rate limits. Scopes are checked per conversation type, as Slack does: public
// channels need channels:*, private ones groups:* (conversations.list needs the scope of every type it
// is asked for). Private channels are invisible unless the bot is in them (channel_not_found) and never
// joinable (method_not_supported_for_channel_type). Every request is recorded (without the token in
// its fields). Faults: scripted rules per method (drill scenarios, fault-script.ts) and switches the
// tests flip (rateLimit, failures, dropAnswers). Transports: src/drill/fake-slack.ts (node:http, the
// drill) and test/mocks/slack.ts (msw). New methods: add them to SLACK_METHODS and METHODS.
import {createFaultScript, type FaultScript} from './fault-script.js'
import {parseFields, parseJson} from './loopback-server.js'
import {take, type SimReply, type SimRequest} from './simulator.js'

export const SLACK_METHODS = [
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

export type SlackMethod = (typeof SLACK_METHODS)[number]

/** What a bot token installed with every scope jwkr's calls could need holds (public, then private channels). */
export const ALL_SCOPES = [
  ...['channels:manage', 'channels:join', 'channels:read', 'channels:history'],
  ...['groups:write', 'groups:read', 'groups:history'],
  ...['chat:write', 'users:read', 'users:read.email'],
]

export interface SlackChannel {
  id: string
  name: string
  isPrivate: boolean
  isArchived: boolean
  members: Set<string>
}

export interface SlackUser {
  id: string
  email: string
  name: string
}

export interface SlackMessage {
  channel: string
  ts: string
  user: string
  text: string
  blocks: unknown[] | undefined
  threadTs: string | undefined
  metadata: {event_type: string; event_payload: Record<string, unknown>} | undefined
  edited: boolean
}

/** One request as the simulator saw it, and (once answered) the answer. */
export interface SlackRecord {
  /** ISO time it arrived. */
  at: string
  method: string
  headers: Record<string, string>
  /** The form (or JSON) fields as sent, without `token`: objects such as blocks arrive JSON-encoded. */
  params: Record<string, string>
  /** The raw request body. */
  body: string
  /** Absent until answered. `fault`: a scripted fault or a switch answered instead of Slack. */
  answer?: {status: number | 'drop'; ok: boolean; error: string | null; fault: boolean}
}

export interface SlackState {
  /** Bot tokens the API accepts. */
  tokens: string[]
  botUserId: string
  botName: string
  team: {id: string; name: string}
  /** Scopes the token was granted. */
  scopes: string[]
  channels: SlackChannel[]
  users: SlackUser[]
  messages: SlackMessage[]
  requests: SlackRecord[]
  /** Scripted faults per method (a drill scenario's). */
  faults: FaultScript
  /** The next `times` requests get HTTP 429 with this Retry-After (seconds). */
  rateLimit: {times: number; retryAfter: number} | null
  /** Methods that answer `{ok: false, error}` with this error, whatever they are sent. */
  failures: Record<string, string>
  /** The next N answers of a method are lost after Slack acted on the call (the connection drops). */
  dropAnswers: Record<string, number>
  /** Counter behind channel and user ids and message ts. */
  serial: number
  now: () => number
}

export function createSlackState(init: Partial<SlackState> = {}): SlackState {
  return {
    tokens: [],
    botUserId: 'UBOT000001',
    botName: 'jwkr-bot',
    team: {id: 'T00000001', name: 'jwkr'},
    scopes: [...ALL_SCOPES],
    channels: [],
    users: [],
    messages: [],
    requests: [],
    faults: createFaultScript([]),
    rateLimit: null,
    failures: {},
    dropAnswers: {},
    serial: 0,
    now: Date.now,
    ...init,
  }
}

/** Adds a channel as if someone had created it in Slack (the bot is a member only when `members` says so). */
export function addChannel(
  state: SlackState,
  options: {name: string; isPrivate?: boolean; isArchived?: boolean; members?: string[]},
): SlackChannel {
  const channel: SlackChannel = {
    id: `${options.isPrivate ? 'G' : 'C'}${serialId(state)}`,
    name: options.name.replace(/^#/, ''),
    isPrivate: options.isPrivate ?? false,
    isArchived: options.isArchived ?? false,
    members: new Set(options.members ?? []),
  }
  state.channels.push(channel)
  return channel
}

/** Adds a person to the workspace. */
export function addUser(state: SlackState, options: {name: string; email: string}): SlackUser {
  const user = {id: `U${serialId(state)}`, ...options}
  state.users.push(user)
  return user
}

export function channelNamed(state: SlackState, name: string): SlackChannel | undefined {
  return state.channels.find((channel) => channel.name === name.replace(/^#/, ''))
}

/** Top-level messages of a channel, oldest first. */
export function messagesIn(state: SlackState, channelId: string): SlackMessage[] {
  return state.messages.filter((message) => message.channel === channelId && message.threadTs === undefined)
}

/** Answers one request to `<root>/<method>` (`request.path` is `/<method>` or `<method>`), and records it. */
export function answerSlack(state: SlackState, request: SimRequest): {reply: SimReply; record: SlackRecord} {
  const method = request.path.replace(/^\//, '')
  const {token: bodyToken, ...params} = {
    ...Object.fromEntries(request.url.searchParams),
    ...parseFields(request.body, request.headers['content-type']),
  }
  const record: SlackRecord = {
    at: new Date(state.now()).toISOString(),
    method,
    headers: request.headers,
    params,
    body: request.body,
  }
  state.requests.push(record)
  const {reply, fault} = answer(
    state,
    method,
    params,
    /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? bodyToken,
  )
  const json = 'json' in reply ? (reply.json as Answer) : {}
  record.answer = {
    status: 'status' in reply ? reply.status : 'drop',
    ok: json.ok === true,
    error: typeof json.error === 'string' ? json.error : null,
    fault,
  }
  return {reply, record}
}

type Params = Record<string, string>
type Answer = Record<string, unknown>
/** The scopes a call needs, all of them (Slack names the first one missing). */
type Scopes = (state: SlackState, params: Params) => string[]
interface Method {
  scopes: Scopes
  /** Fields it cannot do without: Slack answers invalid_arguments naming the first one missing. */
  required?: string[]
  run: (state: SlackState, params: Params) => Answer
}

function answer(state: SlackState, method: string, params: Params, token: string | undefined): {reply: SimReply; fault: boolean} {
  const plain = (json: Answer, headers: Record<string, string> = {}) => ({reply: {status: 200, json, headers}, fault: false})
  if (!/^[A-Za-z0-9_.]+$/.test(method)) return {reply: {status: 404, json: {ok: false, error: 'not_found'}}, fault: false}
  if (token === undefined || token === '') return plain({ok: false, error: 'not_authed'})
  if (!state.tokens.includes(token)) return plain({ok: false, error: 'invalid_auth'})
  const definition = isMethod(method) ? METHODS[method] : undefined
  if (!definition) return plain({ok: false, error: 'unknown_method', req_method: method})
  // Slack limits per token and method, so a fault hits only calls that got this far.
  const scripted = state.faults.next(method)
  const limited = scripted ?? (take(state.rateLimit) ? {status: 429, retryAfter: state.rateLimit?.retryAfter} : undefined)
  if (limited) {
    const headers: Record<string, string> = limited.retryAfter === undefined ? {} : {'retry-after': String(limited.retryAfter)}
    const error = limited.status === 429 ? 'ratelimited' : 'fatal_error'
    return {reply: {status: limited.status, json: {ok: false, error}, headers}, fault: true}
  }
  const needed = definition.scopes(state, params)
  const scopeHeaders = {'x-oauth-scopes': state.scopes.join(','), 'x-accepted-oauth-scopes': needed.join(',')}
  const missingScope = needed.find((scope) => !state.scopes.includes(scope))
  if (missingScope !== undefined) {
    return plain({ok: false, error: 'missing_scope', needed: missingScope, provided: state.scopes.join(',')}, scopeHeaders)
  }
  const missing = (definition.required ?? []).find((field) => (params[field] ?? '') === '')
  if (missing !== undefined) {
    const messages = [`[ERROR] missing required field: ${missing}`]
    return plain({ok: false, error: 'invalid_arguments', response_metadata: {messages}}, scopeHeaders)
  }
  const forced = state.failures[method]
  if (forced) return {reply: {status: 200, json: {ok: false, error: forced}, headers: scopeHeaders}, fault: true}
  const result = plain(definition.run(state, params), scopeHeaders)
  if ((state.dropAnswers[method] ?? 0) > 0) {
    state.dropAnswers[method] = (state.dropAnswers[method] ?? 0) - 1
    return {reply: {network: 'drop'}, fault: true}
  }
  return result
}

function isMethod(method: string): method is SlackMethod {
  return (SLACK_METHODS as readonly string[]).includes(method)
}

const always =
  (...scopes: string[]): Scopes =>
  () =>
    scopes
/** channels:<x> for a public channel, groups:<x> for a private one (the channel named by `channel`). */
const byType =
  (publicScope: string, privateScope: string): Scopes =>
  (state, params) => [state.channels.find((item) => item.id === params.channel)?.isPrivate ? privateScope : publicScope]

const METHODS: Record<SlackMethod, Method> = {
  'auth.test': {
    scopes: always(),
    run: (state) => ({
      ok: true,
      url: `https://${state.team.name.replace(/\W+/g, '-')}.slack.com/`,
      team: state.team.name,
      user: state.botName,
      team_id: state.team.id,
      user_id: state.botUserId,
      bot_id: `B${state.botUserId.slice(1)}`,
    }),
  },
  'conversations.create': {
    scopes: (_state, params) => [params.is_private === 'true' ? 'groups:write' : 'channels:manage'],
    run: conversationsCreate,
  },
  'conversations.join': {scopes: always('channels:join'), required: ['channel'], run: conversationsJoin},
  'conversations.invite': {
    scopes: byType('channels:manage', 'groups:write'),
    required: ['channel', 'users'],
    run: conversationsInvite,
  },
  'conversations.info': {scopes: byType('channels:read', 'groups:read'), required: ['channel'], run: conversationsInfo},
  'conversations.list': {
    scopes: (_state, params) =>
      (params.types ?? 'public_channel').split(',').map((type) => (type === 'private_channel' ? 'groups:read' : 'channels:read')),
    run: conversationsList,
  },
  'conversations.history': {
    scopes: byType('channels:history', 'groups:history'),
    required: ['channel'],
    run: conversationsHistory,
  },
  'chat.postMessage': {scopes: always('chat:write'), required: ['channel'], run: chatPostMessage},
  'chat.update': {scopes: always('chat:write'), required: ['channel', 'ts'], run: chatUpdate},
  'users.lookupByEmail': {scopes: always('users:read', 'users:read.email'), required: ['email'], run: usersLookupByEmail},
}

function conversationsCreate(state: SlackState, params: Params): Answer {
  const name = params.name ?? ''
  if (name === '') return {ok: false, error: 'invalid_name_required'}
  if ([...name].length > 80) return {ok: false, error: 'invalid_name_maxlength'}
  if (/[^a-z0-9_-]/.test(name)) return {ok: false, error: 'invalid_name_specials'}
  if (!/[a-z0-9]/.test(name)) return {ok: false, error: 'invalid_name_punctuation'}
  if (channelNamed(state, name)) return {ok: false, error: 'name_taken'}
  const channel = addChannel(state, {name, isPrivate: params.is_private === 'true', members: [state.botUserId]})
  return {ok: true, channel: channelObject(state, channel)}
}

function conversationsJoin(state: SlackState, params: Params): Answer {
  const channel = visibleChannel(state, params.channel)
  if (!channel) return {ok: false, error: 'channel_not_found'}
  if (channel.isPrivate) return {ok: false, error: 'method_not_supported_for_channel_type'}
  if (channel.isArchived) return {ok: false, error: 'is_archived'}
  if (channel.members.has(state.botUserId)) {
    return {
      ok: true,
      channel: channelObject(state, channel),
      warning: 'already_in_channel',
      response_metadata: {warnings: ['already_in_channel']},
    }
  }
  channel.members.add(state.botUserId)
  return {ok: true, channel: channelObject(state, channel)}
}

function conversationsInfo(state: SlackState, params: Params): Answer {
  const channel = visibleChannel(state, params.channel)
  return channel ? {ok: true, channel: channelObject(state, channel)} : {ok: false, error: 'channel_not_found'}
}

function conversationsInvite(state: SlackState, params: Params): Answer {
  const channel = visibleChannel(state, params.channel)
  if (!channel) return {ok: false, error: 'channel_not_found'}
  if (channel.isArchived) return {ok: false, error: 'is_archived'}
  if (!channel.members.has(state.botUserId)) return {ok: false, error: 'not_in_channel'}
  const users = (params.users ?? '')
    .split(',')
    .map((user) => user.trim())
    .filter(Boolean)
  if (users.length === 0) return {ok: false, error: 'no_user'}
  const errors: Array<{user: string; ok: false; error: string}> = []
  const valid: string[] = []
  for (const user of users) {
    const error = !state.users.some((item) => item.id === user)
      ? 'user_not_found'
      : user === state.botUserId
        ? 'cant_invite_self'
        : channel.members.has(user)
          ? 'already_in_channel'
          : undefined
    if (error) errors.push({user, ok: false, error})
    else valid.push(user)
  }
  if (errors.length > 0 && (params.force !== 'true' || valid.length === 0)) return {ok: false, error: errors[0]?.error, errors}
  for (const user of valid) channel.members.add(user)
  return {ok: true, channel: channelObject(state, channel), ...(errors.length > 0 ? {errors} : {})}
}

function conversationsList(state: SlackState, params: Params): Answer {
  const types = (params.types ?? 'public_channel').split(',')
  const all = state.channels.filter(
    (channel) =>
      visibleChannel(state, channel.id) &&
      types.includes(channel.isPrivate ? 'private_channel' : 'public_channel') &&
      !(params.exclude_archived === 'true' && channel.isArchived),
  )
  const {items, next} = page(all, params, 1000)
  return {ok: true, channels: items.map((channel) => channelObject(state, channel)), response_metadata: {next_cursor: next}}
}

function conversationsHistory(state: SlackState, params: Params): Answer {
  const channel = visibleChannel(state, params.channel)
  if (!channel) return {ok: false, error: 'channel_not_found'}
  if (!channel.members.has(state.botUserId)) return {ok: false, error: 'not_in_channel'}
  const {items, next} = page(messagesIn(state, channel.id).reverse(), params, 999)
  const withMetadata = params.include_all_metadata === 'true'
  return {
    ok: true,
    messages: items.map((message) => messageObject(message, withMetadata)),
    has_more: next !== '',
    response_metadata: {next_cursor: next},
  }
}

/** One page of a cursor-paginated list (`limit`, `cursor`), and the cursor of the next ('' at the end). */
function page<T>(all: T[], params: Params, max: number): {items: T[]; next: string} {
  const limit = Math.min(max, Math.max(1, Number(params.limit ?? 100) || 100))
  const decoded = params.cursor
    ? Number(
        Buffer.from(params.cursor, 'base64')
          .toString('utf8')
          .replace(/^offset:/, ''),
      )
    : 0
  const offset = Number.isInteger(decoded) && decoded >= 0 ? decoded : 0
  const more = offset + limit < all.length
  return {items: all.slice(offset, offset + limit), next: more ? Buffer.from(`offset:${offset + limit}`).toString('base64') : ''}
}

function chatPostMessage(state: SlackState, params: Params): Answer {
  const reference = params.channel ?? ''
  const channel =
    visibleChannel(state, reference) ??
    state.channels.find((item) => item.name === reference.replace(/^#/, '') && visibleChannel(state, item.id))
  if (!channel) return {ok: false, error: 'channel_not_found'}
  if (channel.isArchived) return {ok: false, error: 'is_archived'}
  // With chat:write.public a bot may post in any public channel without joining it.
  if (!channel.members.has(state.botUserId) && !(state.scopes.includes('chat:write.public') && !channel.isPrivate)) {
    return {ok: false, error: 'not_in_channel'}
  }
  const content = messageContent(params)
  if ('error' in content) return {ok: false, error: content.error}
  let metadata: SlackMessage['metadata']
  if (params.metadata !== undefined) {
    const parsed = parseJson(params.metadata) as SlackMessage['metadata']
    if (!parsed || typeof parsed.event_type !== 'string' || typeof parsed.event_payload !== 'object') {
      return {ok: false, error: 'invalid_metadata_format'}
    }
    metadata = parsed
  }
  const message: SlackMessage = {
    channel: channel.id,
    ts: `${Math.floor(state.now() / 1000)}.${String(++state.serial).padStart(6, '0')}`,
    user: state.botUserId,
    text: content.text,
    blocks: content.blocks,
    threadTs: params.thread_ts,
    metadata,
    edited: false,
  }
  state.messages.push(message)
  return {ok: true, channel: channel.id, ts: message.ts, message: messageObject(message, false)}
}

function chatUpdate(state: SlackState, params: Params): Answer {
  // chat.update takes a channel id only, never a name.
  const channel = visibleChannel(state, params.channel)
  if (!channel) return {ok: false, error: 'channel_not_found'}
  const message = state.messages.find((item) => item.channel === channel.id && item.ts === params.ts)
  if (!message) return {ok: false, error: 'message_not_found'}
  if (message.user !== state.botUserId) return {ok: false, error: 'cant_update_message'}
  const content = messageContent(params)
  if ('error' in content) return {ok: false, error: content.error}
  Object.assign(message, {text: content.text, blocks: content.blocks, edited: true})
  return {ok: true, channel: channel.id, ts: message.ts, text: message.text, message: messageObject(message, false)}
}

function usersLookupByEmail(state: SlackState, params: Params): Answer {
  const user = state.users.find((item) => item.email.toLowerCase() === (params.email ?? '').toLowerCase())
  if (!user) return {ok: false, error: 'users_not_found'}
  return {ok: true, user: {id: user.id, name: user.name, profile: {email: user.email}}}
}

/** text and blocks as chat.postMessage / chat.update check them (Block Kit limits included). */
function messageContent(params: Params): {text: string; blocks: unknown[] | undefined} | {error: string} {
  const text = params.text ?? ''
  let blocks: unknown[] | undefined
  if (params.blocks !== undefined) {
    const parsed = parseJson(params.blocks)
    if (!Array.isArray(parsed) || parsed.length > 50 || !parsed.every(validBlock)) return {error: 'invalid_blocks'}
    blocks = parsed
  }
  if (text === '' && !blocks?.length) return {error: 'no_text'}
  if (text.length > 40_000) return {error: 'msg_too_long'}
  return {text, blocks}
}

function validBlock(block: unknown): boolean {
  if (!block || typeof block !== 'object') return false
  const {type, text, fields, elements} = block as Record<string, unknown>
  const textObject = (value: unknown, max: number, kinds = ['plain_text', 'mrkdwn']) => {
    const object = value as {type?: unknown; text?: unknown} | undefined
    return (
      !!object &&
      kinds.includes(String(object.type)) &&
      typeof object.text === 'string' &&
      object.text.length > 0 &&
      object.text.length <= max
    )
  }
  switch (type) {
    case 'header':
      return textObject(text, 150, ['plain_text'])
    case 'section':
      return (
        (text !== undefined || fields !== undefined) &&
        (text === undefined || textObject(text, 3000)) &&
        (fields === undefined ||
          (Array.isArray(fields) && fields.length <= 10 && fields.every((field) => textObject(field, 2000))))
      )
    case 'context':
      return (
        Array.isArray(elements) &&
        elements.length > 0 &&
        elements.length <= 10 &&
        elements.every((element) => textObject(element, 3000))
      )
    case 'divider':
      return true
    default:
      return false
  }
}

/** A channel the bot can see: any public channel, a private one only when it is a member. */
function visibleChannel(state: SlackState, id: string | undefined): SlackChannel | undefined {
  const channel = state.channels.find((item) => item.id === id)
  return channel && (!channel.isPrivate || channel.members.has(state.botUserId)) ? channel : undefined
}

function channelObject(state: SlackState, channel: SlackChannel): Answer {
  return {
    id: channel.id,
    name: channel.name,
    name_normalized: channel.name,
    is_channel: !channel.isPrivate,
    is_group: channel.isPrivate,
    is_private: channel.isPrivate,
    is_archived: channel.isArchived,
    is_member: channel.members.has(state.botUserId),
    num_members: channel.members.size,
  }
}

function messageObject(message: SlackMessage, withMetadata: boolean): Answer {
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

function serialId(state: SlackState): string {
  return String(++state.serial).padStart(9, '0')
}
