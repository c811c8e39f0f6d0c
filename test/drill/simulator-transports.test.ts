// The two transports of the API simulators (src/drill/simulator.ts: node:http for the drill; msw,
// test/mocks/simulator.ts, for the tests) only translate: the same requests to the same simulator
// get the same answers through either, and a dropped or hanging answer stays one.
import {afterEach, describe, expect, it} from 'vitest'

import {createFaultScript} from '../../src/drill/fault-script.js'
import {answerGitHub, createGitHubRepo, createGitHubState, type GitHubState} from '../../src/drill/github-simulator.js'
import type {LoopbackServer} from '../../src/drill/loopback-server.js'
import {serveSimulator, type Simulate} from '../../src/drill/simulator.js'
import {answerSlack, createSlackState} from '../../src/drill/slack-simulator.js'
import {server} from '../helpers/msw.js'
import {simulatorHandler} from '../mocks/simulator.js'

const NOW = Date.parse('2026-11-29T10:00:00Z')
const SLACK_TOKEN = 'xoxb-transport-0000'
const GITHUB_TOKEN = 'ghp_transport0000'

let served: LoopbackServer | undefined
afterEach(async () => {
  await served?.close()
  served = undefined
})

/** The simulator behind msw at `root`, and the same kind of simulator (its own state) on loopback under the same path. */
async function bothTransports(root: string, simulate: () => Simulate): Promise<{msw: string; node: string}> {
  server.use(simulatorHandler(root, simulate()))
  const path = new URL(root).pathname.replace(/\/$/, '')
  served = await serveSimulator(path, simulate(), () => ({status: 404, json: {}}))
  return {msw: root.replace(/\/$/, ''), node: `${served.origin}${path}`}
}

async function exchange(url: string, init: RequestInit) {
  const response = await fetch(url, init)
  return {status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as unknown}
}

describe('the Slack simulator through msw and through node:http', () => {
  it('answers the same requests the same way: refusals, a channel, a message, its update and the history', async () => {
    // Given one Slack simulator state per transport, rate-limiting chat.update once
    const roots = await bothTransports('https://slack.com/api/', () => {
      const faults = createFaultScript([{match: 'chat.update', replies: [{status: 429, retryAfter: 7}]}], () => NOW)
      const state = createSlackState({tokens: [SLACK_TOKEN], now: () => NOW, faults})
      return (request) => answerSlack(state, request).reply
    })
    const calls: Array<[string, Record<string, string>, string | null]> = [
      ['auth.test', {}, null],
      ['auth.test', {}, 'xoxb-wrong'],
      ['conversations.create', {name: 'inc-1'}, SLACK_TOKEN],
      ['chat.postMessage', {channel: '#inc-1', text: 'hello'}, SLACK_TOKEN],
      ['chat.update', {channel: 'C000000001', ts: '1764410400.000002', text: 'hello again'}, SLACK_TOKEN],
      ['conversations.history', {channel: 'C000000001'}, SLACK_TOKEN],
      ['chat.postMessage', {text: 'no channel'}, SLACK_TOKEN],
    ]
    // When each is sent through both transports
    const answers = async (root: string) => {
      const out = []
      for (const [method, fields, token] of calls) {
        out.push(
          await exchange(`${root}/${method}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              ...(token === null ? {} : {authorization: `Bearer ${token}`}),
            },
            body: new URLSearchParams(fields).toString(),
          }),
        )
      }
      return out
    }
    const viaMsw = await answers(roots.msw)
    const viaNode = await answers(roots.node)
    // Then the answers are the same, and are Slack's
    expect(viaNode).toEqual(viaMsw)
    expect(viaMsw.map(({status, body}) => [status, (body as {error?: string}).error ?? 'ok'])).toEqual([
      [200, 'not_authed'],
      [200, 'invalid_auth'],
      [200, 'ok'],
      [200, 'ok'],
      [429, 'ratelimited'],
      [200, 'ok'],
      [200, 'invalid_arguments'],
    ])
    expect(viaMsw[4]?.retryAfter).toBe('7')
  })
})

describe('the GitHub simulator through msw and through node:http', () => {
  const start = (init: Partial<GitHubState>) => () => {
    const state = createGitHubState({
      baseUrl: 'https://github.example.test/api/v3',
      tokens: [GITHUB_TOKEN],
      repos: [createGitHubRepo('o/r', {'a.txt': 'a\n'})],
      now: () => NOW,
      ...structuredClone(init),
    })
    return (request: Parameters<Simulate>[0]) => answerGitHub(state, request).reply
  }
  const post = (token: string) => ({
    method: 'POST',
    headers: {authorization: `token ${token}`, 'content-type': 'application/json'},
    body: JSON.stringify({title: 'Leaked key'}),
  })

  it('answers the same requests the same way: a refused token, an issue, an unknown repository', async () => {
    // Given one GitHub simulator state per transport
    const roots = await bothTransports('https://github.example.test/api/v3', start({}))
    const answers = async (root: string) => [
      await exchange(`${root}/repos/o/r/issues`, post('ghp_wrong')),
      await exchange(`${root}/repos/o/r/issues`, post(GITHUB_TOKEN)),
      await exchange(`${root}/repos/o/nope/issues`, post(GITHUB_TOKEN)),
      await exchange(`${root}/repos/o/r/issues/1`, {headers: {authorization: `token ${GITHUB_TOKEN}`}}),
    ]
    const viaMsw = await answers(roots.msw)
    const viaNode = await answers(roots.node)
    // Then the statuses and bodies agree (URLs aside, which name each transport's root)
    const comparable = (items: typeof viaMsw) =>
      JSON.parse(JSON.stringify(items).replaceAll(roots.node, 'ROOT').replaceAll(roots.msw, 'ROOT')) as unknown
    expect(comparable(viaNode)).toEqual(comparable(viaMsw))
    expect(viaMsw.map((item) => item.status)).toEqual([401, 201, 404, 200])
  })

  it('a write whose answer is lost: the connection drops, through both', async () => {
    // Given a GitHub that makes the next write and then drops the connection
    const roots = await bothTransports(
      'https://github.example.test/api/v3',
      start({failAfterWrite: {times: 1, status: 'network'}}),
    )
    for (const root of [roots.msw, roots.node]) {
      // When an issue is created
      const outcome = await fetch(`${root}/repos/o/r/issues`, post(GITHUB_TOKEN)).then(
        () => 'answered',
        () => 'dropped',
      )
      // Then no answer came
      expect(outcome).toBe('dropped')
    }
  })

  it('a GitHub that never answers: the request is still waiting at its deadline, through both', async () => {
    // Given a GitHub that does not answer the next request
    const roots = await bothTransports('https://github.example.test/api/v3', start({hang: {times: 1}}))
    for (const root of [roots.msw, roots.node]) {
      // When an issue is read with a 300 ms deadline, then the request is still open at it
      const outcome = await fetch(`${root}/repos/o/r/issues/1`, {
        headers: {authorization: `token ${GITHUB_TOKEN}`},
        signal: AbortSignal.timeout(300),
      }).then(
        () => 'answered',
        (error: unknown) => (error as Error).name,
      )
      expect(outcome).toBe('TimeoutError')
    }
  })
})
