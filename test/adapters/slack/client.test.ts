import {http, HttpResponse} from 'msw'
import {beforeEach, describe, expect, it} from 'vitest'

import {
  createSlackClient,
  DEFAULT_SLACK_API_URL,
  normaliseApiUrl,
  slackSettingsFromEnv,
} from '../../../src/adapters/slack/client.js'
import {JwkrError} from '../../../src/core/errors.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {server} from '../../helpers/msw.js'
import {addChannel, callsTo, createSlackState, SLACK_TEST_TOKEN, slackHandlers, type SlackMockState} from '../../mocks/slack.js'

let slack: SlackMockState
let secrets: SecretRegistry

beforeEach(() => {
  slack = createSlackState()
  server.use(...slackHandlers(slack))
  secrets = new SecretRegistry()
})

function client(options: Partial<Parameters<typeof createSlackClient>[0]> = {}) {
  return createSlackClient({token: SLACK_TEST_TOKEN, retryConfig: {retries: 0}, secrets, ...options})
}

async function failure(promise: Promise<unknown>): Promise<JwkrError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(JwkrError)
  return error as JwkrError
}

describe('slackSettingsFromEnv', () => {
  it('reads SLACK_TOKEN, SLACK_API_URL and JWKR_SLACK_RETRIES, defaulting to slack.com', () => {
    expect(slackSettingsFromEnv({})).toEqual({token: undefined, apiUrl: DEFAULT_SLACK_API_URL})
    expect(
      slackSettingsFromEnv({SLACK_TOKEN: ' xoxb-1 ', SLACK_API_URL: 'http://127.0.0.1:9/api/', JWKR_SLACK_RETRIES: '0'}),
    ).toEqual({
      token: 'xoxb-1',
      apiUrl: 'http://127.0.0.1:9/api/',
      retryConfig: {retries: 0},
    })
    expect(slackSettingsFromEnv({SLACK_TOKEN: '  '}).token).toBeUndefined()
  })
})

describe('createSlackClient', () => {
  it('refuses to start without a token, saying which variable to set', () => {
    const error = (() => {
      try {
        createSlackClient({token: undefined, secrets})
      } catch (caught) {
        return caught as JwkrError
      }
      return undefined
    })()
    expect(error?.code).toBe('ERR_SLACK_TOKEN_MISSING')
    expect(error?.hint).toContain('SLACK_TOKEN=xoxb-')
  })

  it('sends the token as a Bearer header only, registered as a secret and never in a body', async () => {
    // When a client posts a message
    const channel = addChannel(slack, {name: 'general', members: [slack.botUserId]})
    await client().chat.postMessage({channel: channel.id, text: 'hello'})
    // Then Slack saw the Bearer header, the body holds no token, and the registry hides it
    const [request] = callsTo(slack, 'chat.postMessage')
    expect(request?.headers.authorization).toBe(`Bearer ${SLACK_TEST_TOKEN}`)
    expect(request?.body).not.toContain(SLACK_TEST_TOKEN)
    expect(secrets.redact(`token ${SLACK_TEST_TOKEN}`)).toBe('token [REDACTED]')
  })

  it('redacts every registered secret from what it sends', async () => {
    // Given a private value the run has seen
    secrets.add('c2VjcmV0LXByaXZhdGUtdmFsdWU')
    const channel = addChannel(slack, {name: 'general', members: [slack.botUserId]})
    // When a message would carry it
    await client().chat.postMessage({channel: channel.id, text: 'leaked d=c2VjcmV0LXByaXZhdGUtdmFsdWU'})
    // Then Slack receives it redacted
    expect(callsTo(slack, 'chat.postMessage')[0]?.params.text).toBe('leaked d=[REDACTED]')
  })

  it('talks to the API root SLACK_API_URL names (a drill server on loopback)', async () => {
    const drill = createSlackState({baseUrl: 'http://127.0.0.2:4444/api/'})
    server.use(...slackHandlers(drill))
    addChannel(drill, {name: 'drill', members: [drill.botUserId]})
    const result = await client({apiUrl: 'http://127.0.0.2:4444/api'}).conversations.list({})
    expect(result.channels?.map((channel) => channel.name)).toEqual(['drill'])
    expect(slack.requests).toHaveLength(0)
  })

  it('refuses an API URL that is not an http(s) root ending with /api/, without echoing credentials', () => {
    expect(normaliseApiUrl('http://127.0.0.1:3000/api')).toBe('http://127.0.0.1:3000/api/')
    for (const bad of ['ftp://x/api/', 'http://x/v1/', 'not a url', 'http://x/api/?q=1']) {
      expect(() => normaliseApiUrl(bad), bad).toThrow(/SLACK_API_URL is not an http\(s\) URL ending with \/api\//)
    }
    expect(() => normaliseApiUrl('http://user:hunter22@x/v1/')).toThrow(/must not carry credentials/)
    try {
      normaliseApiUrl('http://user:hunter22@x/v1/')
    } catch (error) {
      expect(JSON.stringify(error) + (error as Error).message).not.toContain('hunter22')
    }
  })
})

describe('errors, translated at the boundary', () => {
  it('invalid_auth (HTTP 200, ok:false) → ERR_SLACK_AUTH: check SLACK_TOKEN', async () => {
    const error = await failure(
      createSlackClient({token: 'xoxb-wrong-token', retryConfig: {retries: 0}, secrets}).conversations.list({}),
    )
    expect(error).toMatchObject({code: 'ERR_SLACK_AUTH', details: {method: 'conversations.list', slackError: 'invalid_auth'}})
    expect(error.message).toBe('Slack refused the token (invalid_auth) for conversations.list.')
    expect(error.hint).toContain('Check SLACK_TOKEN')
    expect(`${error.message} ${error.hint}`).not.toContain('xoxb-wrong-token')
  })

  it('missing_scope → ERR_SLACK_MISSING_SCOPE naming the scope to add', async () => {
    slack.scopes = ['chat:write']
    const error = await failure(client().conversations.create({name: 'inc-x'}))
    expect(error.code).toBe('ERR_SLACK_MISSING_SCOPE')
    expect(error.message).toBe('The Slack token lacks the scope channels:manage for conversations.create (it has: chat:write).')
    expect(error.hint).toContain('Add the scope channels:manage')
  })

  it('channel_not_found → ERR_SLACK_CHANNEL_NOT_FOUND: invite the bot or check notify.slack.channel', async () => {
    const error = await failure(client().chat.postMessage({channel: 'C0NOTHERE', text: 'x'}))
    expect(error.code).toBe('ERR_SLACK_CHANNEL_NOT_FOUND')
    expect(error.message).toContain('C0NOTHERE')
    expect(error.hint).toMatch(/Invite the bot.*notify\.slack\.channel/s)
  })

  it('not_in_channel → ERR_SLACK_NOT_IN_CHANNEL', async () => {
    const channel = addChannel(slack, {name: 'elsewhere'})
    const error = await failure(client().chat.postMessage({channel: channel.id, text: 'x'}))
    expect(error.code).toBe('ERR_SLACK_NOT_IN_CHANNEL')
    expect(error.hint).toContain('/invite')
  })

  it('a 429 with retries off fails at once with ERR_SLACK_RATE_LIMITED and when to retry', async () => {
    // Given Slack rate-limits the next call for 30 s
    slack.rateLimit = {times: 1, retryAfter: 30}
    const logged: string[] = []
    // When a client without retries calls it (it does not wait the 30 s)
    const error = await failure(client({log: (line) => logged.push(line)}).conversations.list({}))
    // Then the error says how long to wait, and the rate_limited event was reported
    expect(error).toMatchObject({code: 'ERR_SLACK_RATE_LIMITED', details: {retryAfter: 30}})
    expect(error.hint).toContain('Wait 30 s')
    expect(logged).toEqual(['Slack rate-limited conversations.list (Retry-After: 30 s): not retried.'])
    expect(callsTo(slack, 'conversations.list')).toHaveLength(1)
  })

  it('a 429 with retries on is waited out (Retry-After) and retried by the SDK', async () => {
    // Given Slack rate-limits the next call for 1 s
    slack.rateLimit = {times: 1, retryAfter: 1}
    addChannel(slack, {name: 'general'})
    const logged: string[] = []
    // When a client with retries calls it
    const result = await client({
      retryConfig: {retries: 2, minTimeout: 10, maxTimeout: 10},
      log: (line) => logged.push(line),
    }).conversations.list({})
    // Then the second attempt succeeded
    expect(result.channels?.map((channel) => channel.name)).toEqual(['general'])
    expect(callsTo(slack, 'conversations.list')).toHaveLength(2)
    expect(logged).toContain('Slack rate-limited conversations.list (Retry-After: 1 s): retrying in 1 s.')
  })

  it('a 429 that outlasts the retries → ERR_SLACK_RATE_LIMITED', async () => {
    slack.rateLimit = {times: 5, retryAfter: 0}
    const error = await failure(client({retryConfig: {retries: 1, minTimeout: 1, maxTimeout: 1}}).conversations.list({}))
    expect(error).toMatchObject({code: 'ERR_SLACK_RATE_LIMITED', details: {retryAfter: 0}})
    expect(callsTo(slack, 'conversations.list')).toHaveLength(2)
  })

  it('HTTP 503 and a dropped connection → ERR_SLACK_UNAVAILABLE; 5xx are retried when retries are on', async () => {
    let calls = 0
    server.use(
      http.post(`${slack.baseUrl}auth.test`, () => {
        calls += 1
        return calls === 1
          ? new HttpResponse('upstream down', {status: 503, statusText: 'Service Unavailable'})
          : HttpResponse.json({ok: true})
      }),
      http.post(`${slack.baseUrl}api.test`, () => HttpResponse.error()),
    )
    expect(await client({retryConfig: {retries: 1, minTimeout: 1, maxTimeout: 1}}).auth.test()).toMatchObject({ok: true})
    calls = 0
    const http503 = await failure(client().auth.test())
    expect(http503.code).toBe('ERR_SLACK_UNAVAILABLE')
    expect(http503.message).toBe('Slack answered HTTP 503 Service Unavailable to auth.test.')
    const dropped = await failure(client().api.test())
    expect(dropped.code).toBe('ERR_SLACK_UNAVAILABLE')
    expect(dropped.message).toMatch(/^Slack did not answer api\.test: /)
  })
})
