// The drill's Slack: the Slack simulator (slack-simulator.ts) served over node:http on loopback, at
// `<origin>/api/<method>` — jwkr reaches it through SLACK_API_URL=<origin>/api/. Its bot holds every
// scope jwkr asks for, and chat:write.public. Everything asked is recorded (in memory and as JSON
// lines, without the token); a scenario's scripted faults stand in for a bad day.
import type {FaultRule, InjectedFault} from './fault-script.js'
import {createFaultScript} from './fault-script.js'
import {createRecordLog} from './record-log.js'
import {serveSimulator} from './simulator.js'
import {
  addChannel,
  addUser,
  ALL_SCOPES,
  answerSlack,
  channelNamed,
  createSlackState,
  messagesIn,
  SLACK_METHODS,
  type SlackChannel,
  type SlackMessage,
  type SlackMethod,
  type SlackUser,
} from './slack-simulator.js'

export const FAKE_SLACK_METHODS = SLACK_METHODS
export type FakeSlackMethod = SlackMethod
export type FakeSlackChannel = SlackChannel
export type FakeSlackUser = SlackUser
export type FakeSlackMessage = SlackMessage

/** One request as the fake saw it. The token is never kept. */
export interface FakeSlackRecord {
  at: string
  method: string
  /** HTTP status, or 0 when the connection was dropped. */
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

/**
 * @example const slack = await startFakeSlack({token: 'xoxb-drill-…', channels: [{name: 'sec-incidents'}]})
 *   // SLACK_API_URL=${slack.apiUrl} SLACK_TOKEN=xoxb-drill-…
 */
export async function startFakeSlack(options: FakeSlackOptions): Promise<FakeSlack> {
  const now = options.now ?? Date.now
  const state = createSlackState({
    tokens: [options.token],
    botUserId: FAKE_SLACK_BOT.id,
    botName: FAKE_SLACK_BOT.name,
    team: {id: FAKE_SLACK_BOT.teamId, name: FAKE_SLACK_BOT.team},
    scopes: [...ALL_SCOPES, 'chat:write.public'],
    faults: createFaultScript(options.faults ?? [], now),
    now,
  })
  for (const user of options.users ?? []) addUser(state, user)
  for (const channel of options.channels ?? []) {
    addChannel(state, {name: channel.name, isPrivate: channel.isPrivate, members: channel.botMember ? [state.botUserId] : []})
  }
  const log = createRecordLog<FakeSlackRecord>(options.logFile ?? null)
  const server = await serveSimulator(
    '/api',
    (request) => {
      const {reply, record} = answerSlack(state, request)
      const {status = 0, ok = false, error = null, fault = false} = record.answer ?? {}
      log.append({
        at: record.at,
        method: record.method,
        status: status === 'drop' ? 0 : status,
        ok,
        error,
        params: record.params,
        fault,
      })
      return reply
    },
    () => ({status: 404, json: {ok: false, error: 'not_found'}}),
  )
  return {
    origin: server.origin,
    apiUrl: `${server.origin}/api/`,
    channels: state.channels,
    users: state.users,
    messages: state.messages,
    records: log.records,
    faults: state.faults.injected,
    channelNamed: (name) => channelNamed(state, name),
    messagesIn: (channelId) => messagesIn(state, channelId),
    close: async () => {
      await server.close()
      await log.flush()
    },
  }
}
