// msw handlers for the Slack Web API methods jwkr uses, answering as Slack does: every method is a
// POST to <base>/<method> with a form (or JSON) body, the token in `Authorization: Bearer xoxb-…`,
// and HTTP 200 `{ok: false, error}` for every failure (not_authed, invalid_auth, missing_scope with
// needed/provided, channel_not_found, not_in_channel, name_taken, message_not_found…), except rate
// limits: HTTP 429 with Retry-After when switched on. Scopes are checked per conversation type, as
// Slack does: public channels need channels:*, private ones groups:* (conversations.list needs the
// scope of every type it is asked for), and users:read.email is granted only with users:read. Private
// channels are invisible unless the bot is in them (channel_not_found), and never joinable
// (method_not_supported_for_channel_type). State (channels, members, messages by ts) is kept, and
// every request recorded. New methods: add an entry to METHODS.
import {http, HttpResponse, type HttpHandler} from 'msw'

export interface SlackMockChannel {
  id: string
  name: string
  isPrivate: boolean
  isArchived: boolean
  members: Set<string>
}

export interface SlackMockUser {
  id: string
  email: string
  name: string
}

export interface SlackMockMessage {
  channel: string
  ts: string
  user: string
  text: string
  blocks: unknown[] | undefined
  threadTs: string | undefined
  metadata: {event_type: string; event_payload: Record<string, unknown>} | undefined
  edited: boolean
}

export interface RecordedSlackRequest {
  method: string
  headers: Record<string, string>
  /** The form (or JSON) fields as sent: objects such as blocks arrive JSON-encoded. */
  params: Record<string, string>
  /** The raw request body. */
  body: string
}

export interface SlackMockState {
  /** Web API root, ending with /api/. */
  baseUrl: string
  /** Bot tokens the API accepts. */
  tokens: string[]
  botUserId: string
  /** Scopes the token was granted. */
  scopes: string[]
  channels: SlackMockChannel[]
  users: SlackMockUser[]
  messages: SlackMockMessage[]
  requests: RecordedSlackRequest[]
  /** The next `times` requests get HTTP 429 with this Retry-After (seconds). */
  rateLimit: {times: number; retryAfter: number} | null
  /** Methods that answer `{ok: false, error}` with this error, whatever they are sent. */
  failures: Record<string, string>
  /** The next N answers of a method are lost after Slack acted on the call (the connection drops). */
  dropAnswers: Record<string, number>
  /** Counter behind channel ids and message ts. */
  serial: number
}

export const SLACK_TEST_TOKEN = 'xoxb-1111111111-2222222222-TestTokenValue0000000000'

/** What a bot token installed with every scope jwkr's calls could need holds (public, then private channels). */
export const ALL_SCOPES = [
  ...['channels:manage', 'channels:join', 'channels:read', 'channels:history'],
  ...['groups:write', 'groups:read', 'groups:history'],
  ...['chat:write', 'users:read', 'users:read.email'],
]

export function createSlackState(init: Partial<SlackMockState> = {}): SlackMockState {
  return {
    baseUrl: 'https://slack.com/api/',
    tokens: [SLACK_TEST_TOKEN],
    botUserId: 'UBOT000001',
    scopes: [...ALL_SCOPES],
    channels: [],
    users: [],
    messages: [],
    requests: [],
    rateLimit: null,
    failures: {},
    dropAnswers: {},
    serial: 0,
    ...init,
  }
}

/** Adds a channel as if someone had created it in Slack (the bot is a member only when `members` says so). */
export function addChannel(
  state: SlackMockState,
  options: {name: string; isPrivate?: boolean; isArchived?: boolean; members?: string[]},
): SlackMockChannel {
  const channel: SlackMockChannel = {
    id: `${options.isPrivate ? 'G' : 'C'}${nextSerial(state).toString().padStart(9, '0')}`,
    name: options.name,
    isPrivate: options.isPrivate ?? false,
    isArchived: options.isArchived ?? false,
    members: new Set(options.members ?? []),
  }
  state.channels.push(channel)
  return channel
}

export function channelNamed(state: SlackMockState, name: string): SlackMockChannel | undefined {
  return state.channels.find((channel) => channel.name === name)
}

/** Top-level messages of a channel, oldest first. */
export function messagesIn(state: SlackMockState, channelId: string): SlackMockMessage[] {
  return state.messages.filter((message) => message.channel === channelId && message.threadTs === undefined)
}

/** Replies in the thread of a message, oldest first. */
export function repliesTo(state: SlackMockState, ts: string): SlackMockMessage[] {
  return state.messages.filter((message) => message.threadTs === ts)
}

/** Requests to one method, in order. */
export function callsTo(state: SlackMockState, method: string): RecordedSlackRequest[] {
  return state.requests.filter((request) => request.method === method)
}

type Params = Record<string, string>
type Answer = Record<string, unknown>
/** The scopes a call needs, all of them (Slack names the first one missing). */
type Scopes = (state: SlackMockState, params: Params) => string[]
type Method = {scopes: Scopes; run: (state: SlackMockState, params: Params) => Answer}

const always =
  (...scopes: string[]): Scopes =>
  () =>
    scopes
/** channels:<x> for a public channel, groups:<x> for a private one (the channel named by `channel`). */
const byType =
  (publicScope: string, privateScope: string): Scopes =>
  (state, params) => [state.channels.find((item) => item.id === params.channel)?.isPrivate ? privateScope : publicScope]

const METHODS: Record<string, Method> = {
  'conversations.create': {
    scopes: (_state, params) => [params.is_private === 'true' ? 'groups:write' : 'channels:manage'],
    run: conversationsCreate,
  },
  'conversations.join': {scopes: always('channels:join'), run: conversationsJoin},
  'conversations.invite': {scopes: byType('channels:manage', 'groups:write'), run: conversationsInvite},
  'conversations.info': {scopes: byType('channels:read', 'groups:read'), run: conversationsInfo},
  'conversations.list': {
    scopes: (_state, params) =>
      (params.types ?? 'public_channel').split(',').map((type) => (type === 'private_channel' ? 'groups:read' : 'channels:read')),
    run: conversationsList,
  },
  'conversations.history': {scopes: byType('channels:history', 'groups:history'), run: conversationsHistory},
  'chat.postMessage': {scopes: always('chat:write'), run: chatPostMessage},
  'chat.update': {scopes: always('chat:write'), run: chatUpdate},
  'users.lookupByEmail': {scopes: always('users:read', 'users:read.email'), run: usersLookupByEmail},
}

export function slackHandlers(state: SlackMockState): HttpHandler[] {
  return [
    http.all(`${state.baseUrl}:method`, async ({request, params: route}) => {
      const method = String(route.method)
      const body = await request.clone().text()
      const params = parseBody(body, request.headers.get('content-type'))
      state.requests.push({method, headers: Object.fromEntries(request.headers), params, body})
      if (state.rateLimit && state.rateLimit.times > 0) {
        state.rateLimit.times -= 1
        return HttpResponse.json(
          {ok: false, error: 'ratelimited'},
          {status: 429, headers: {'Retry-After': String(state.rateLimit.retryAfter)}},
        )
      }
      const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1] ?? params.token
      if (bearer === undefined) return slack({ok: false, error: 'not_authed'})
      if (!state.tokens.includes(bearer)) return slack({ok: false, error: 'invalid_auth'})
      const definition = METHODS[method]
      if (!definition) return slack({ok: false, error: 'unknown_method', req_method: method})
      const needed = definition.scopes(state, params)
      const missing = needed.find((scope) => !state.scopes.includes(scope))
      if (missing !== undefined) {
        return slack({ok: false, error: 'missing_scope', needed: missing, provided: state.scopes.join(',')}, state, needed)
      }
      const forced = state.failures[method]
      if (forced) return slack({ok: false, error: forced}, state, needed)
      const answer = slack(definition.run(state, params), state, needed)
      if ((state.dropAnswers[method] ?? 0) > 0) {
        state.dropAnswers[method] = (state.dropAnswers[method] ?? 0) - 1
        return HttpResponse.error()
      }
      return answer
    }),
  ]
}

function slack(answer: Answer, state?: SlackMockState, needed?: string[]): Response {
  const headers: Record<string, string> = {}
  if (state && needed) {
    headers['x-oauth-scopes'] = state.scopes.join(',')
    headers['x-accepted-oauth-scopes'] = needed.join(',')
  }
  return HttpResponse.json(answer, {status: 200, headers})
}

function conversationsCreate(state: SlackMockState, params: Params): Answer {
  const name = params.name ?? ''
  if (name === '') return {ok: false, error: 'invalid_name_required'}
  if ([...name].length > 80) return {ok: false, error: 'invalid_name_maxlength'}
  if (/[^a-z0-9_-]/.test(name)) return {ok: false, error: 'invalid_name_specials'}
  if (!/[a-z0-9]/.test(name)) return {ok: false, error: 'invalid_name_punctuation'}
  if (channelNamed(state, name)) return {ok: false, error: 'name_taken'}
  const channel = addChannel(state, {name, isPrivate: params.is_private === 'true', members: [state.botUserId]})
  return {ok: true, channel: channelObject(state, channel)}
}

function conversationsJoin(state: SlackMockState, params: Params): Answer {
  const channel = state.channels.find((item) => item.id === params.channel)
  if (!channel || (channel.isPrivate && !channel.members.has(state.botUserId))) return {ok: false, error: 'channel_not_found'}
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

function conversationsInfo(state: SlackMockState, params: Params): Answer {
  const channel = visibleChannel(state, params.channel)
  return channel ? {ok: true, channel: channelObject(state, channel)} : {ok: false, error: 'channel_not_found'}
}

function conversationsInvite(state: SlackMockState, params: Params): Answer {
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
  const force = params.force === 'true'
  if (errors.length > 0 && (!force || valid.length === 0)) return {ok: false, error: errors[0]?.error, errors}
  for (const user of valid) channel.members.add(user)
  return {ok: true, channel: channelObject(state, channel), ...(errors.length > 0 ? {errors} : {})}
}

function conversationsList(state: SlackMockState, params: Params): Answer {
  const types = (params.types ?? 'public_channel').split(',')
  const limit = Math.min(1000, Math.max(1, Number(params.limit ?? 100) || 100))
  const offset = params.cursor
    ? Number(
        Buffer.from(params.cursor, 'base64')
          .toString('utf8')
          .replace(/^offset:/, ''),
      )
    : 0
  const all = state.channels.filter(
    (channel) =>
      visibleChannel(state, channel.id) &&
      types.includes(channel.isPrivate ? 'private_channel' : 'public_channel') &&
      !(params.exclude_archived === 'true' && channel.isArchived),
  )
  const page = all.slice(offset, offset + limit)
  const next = offset + limit < all.length ? Buffer.from(`offset:${offset + limit}`).toString('base64') : ''
  return {ok: true, channels: page.map((channel) => channelObject(state, channel)), response_metadata: {next_cursor: next}}
}

function conversationsHistory(state: SlackMockState, params: Params): Answer {
  const channel = visibleChannel(state, params.channel)
  if (!channel) return {ok: false, error: 'channel_not_found'}
  if (!channel.members.has(state.botUserId)) return {ok: false, error: 'not_in_channel'}
  const limit = Math.min(999, Math.max(1, Number(params.limit ?? 100) || 100))
  const offset = params.cursor
    ? Number(
        Buffer.from(params.cursor, 'base64')
          .toString('utf8')
          .replace(/^offset:/, ''),
      )
    : 0
  const all = messagesIn(state, channel.id).reverse()
  const page = all.slice(offset, offset + limit)
  const more = offset + limit < all.length
  const withMetadata = params.include_all_metadata === 'true'
  return {
    ok: true,
    messages: page.map((message) => messageObject(message, withMetadata)),
    has_more: more,
    response_metadata: {next_cursor: more ? Buffer.from(`offset:${offset + limit}`).toString('base64') : ''},
  }
}

function chatPostMessage(state: SlackMockState, params: Params): Answer {
  const reference = params.channel ?? ''
  const channel =
    visibleChannel(state, reference) ??
    state.channels.find((item) => item.name === reference.replace(/^#/, '') && visibleChannel(state, item.id))
  if (!channel) return {ok: false, error: 'channel_not_found'}
  if (channel.isArchived) return {ok: false, error: 'is_archived'}
  if (!channel.members.has(state.botUserId) && !(state.scopes.includes('chat:write.public') && !channel.isPrivate)) {
    return {ok: false, error: 'not_in_channel'}
  }
  const content = messageContent(params)
  if ('error' in content) return {ok: false, error: content.error}
  let metadata: SlackMockMessage['metadata']
  if (params.metadata !== undefined) {
    const parsed = parseJson(params.metadata) as SlackMockMessage['metadata']
    if (!parsed || typeof parsed.event_type !== 'string' || typeof parsed.event_payload !== 'object') {
      return {ok: false, error: 'invalid_metadata_format'}
    }
    metadata = parsed
  }
  const message: SlackMockMessage = {
    channel: channel.id,
    ts: `${Math.floor(Date.now() / 1000)}.${nextSerial(state).toString().padStart(6, '0')}`,
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

function chatUpdate(state: SlackMockState, params: Params): Answer {
  // chat.update takes a channel id only, never a name.
  const channel = visibleChannel(state, params.channel)
  if (!channel) return {ok: false, error: 'channel_not_found'}
  const message = state.messages.find((item) => item.channel === channel.id && item.ts === params.ts)
  if (!message) return {ok: false, error: 'message_not_found'}
  if (message.user !== state.botUserId) return {ok: false, error: 'cant_update_message'}
  const content = messageContent(params)
  if ('error' in content) return {ok: false, error: content.error}
  message.text = content.text
  message.blocks = content.blocks
  message.edited = true
  return {ok: true, channel: channel.id, ts: message.ts, text: message.text, message: messageObject(message, false)}
}

function usersLookupByEmail(state: SlackMockState, params: Params): Answer {
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
function visibleChannel(state: SlackMockState, id: string | undefined): SlackMockChannel | undefined {
  const channel = state.channels.find((item) => item.id === id)
  return channel && (!channel.isPrivate || channel.members.has(state.botUserId)) ? channel : undefined
}

function channelObject(state: SlackMockState, channel: SlackMockChannel): Answer {
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

function messageObject(message: SlackMockMessage, withMetadata: boolean): Answer {
  return {
    type: 'message',
    user: message.user,
    text: message.text,
    ts: message.ts,
    ...(message.blocks ? {blocks: message.blocks} : {}),
    ...(message.threadTs ? {thread_ts: message.threadTs} : {}),
    ...(withMetadata && message.metadata ? {metadata: message.metadata} : {}),
  }
}

function parseBody(body: string, contentType: string | null): Params {
  if (contentType?.includes('application/json')) {
    const parsed = parseJson(body)
    if (!parsed || typeof parsed !== 'object') return {}
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).map(([key, value]) => [
        key,
        typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    )
  }
  return Object.fromEntries(new URLSearchParams(body))
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function nextSerial(state: SlackMockState): number {
  state.serial += 1
  return state.serial
}

/** Values that Slack would act on or format if they reached a mrkdwn text unescaped. */
export const HOSTILE_VALUES = ['<!channel>', '<https://evil|click>', '*bold*', '&lt;'] as const

/** Every mrkdwn text of a message: the fallback `text`, section texts and fields, context elements. */
export function mrkdwnTexts(message: {text?: string; blocks?: unknown}): string[] {
  const texts = typeof message.text === 'string' ? [message.text] : []
  for (const block of Array.isArray(message.blocks) ? (message.blocks as Array<Record<string, unknown>>) : []) {
    const objects = [block.text, ...((block.fields as unknown[]) ?? []), ...((block.elements as unknown[]) ?? [])]
    for (const object of objects as Array<{type?: string; text?: string} | undefined>) {
      if (object?.type === 'mrkdwn' && typeof object.text === 'string') texts.push(object.text)
    }
  }
  return texts
}

/** The mrkdwn texts of a recorded chat.postMessage / chat.update request. */
export function requestTexts(request: RecordedSlackRequest): string[] {
  return mrkdwnTexts({text: request.params.text, blocks: parseJson(request.params.blocks ?? '[]')})
}

/**
 * Problems with how hostile values appear in a mrkdwn text: a raw control sequence (`<!channel>`,
 * `<https://evil|click>`), an unescaped entity (`&lt;` that Slack would show as `<`), or `*bold*`
 * outside a code span (Slack would format it). Links jwkr writes itself (`<#C…>`) are allowed.
 */
export function injectionProblems(text: string): string[] {
  const problems: string[] = []
  const withoutOwnLinks = text.replace(/<#[CG][A-Z0-9]+>/g, '')
  if (/[<>]/.test(withoutOwnLinks)) problems.push(`raw < or > in ${JSON.stringify(text)}`)
  if (/&lt;(?!!channel|https:\/\/evil)/.test(text.replace(/&amp;lt;/g, '')))
    problems.push(`unescaped &lt; in ${JSON.stringify(text)}`)
  const spans = [...text.matchAll(/```[\s\S]*?```|`[^`]*`/g)].map(
    (match) => [match.index, match.index + match[0].length] as const,
  )
  for (let at = text.indexOf('*bold*'); at !== -1; at = text.indexOf('*bold*', at + 1)) {
    const start = at
    if (!spans.some(([from, to]) => start > from && start + 6 < to))
      problems.push(`*bold* outside code in ${JSON.stringify(text)}`)
  }
  return problems
}
