import {generateKeyPairSync} from 'node:crypto'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {createSlackClient} from '../../src/adapters/slack/client.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {withIncidentJournal} from '../../src/incident/incident-journal.js'
import {startRun} from '../../src/playbook/respond.js'
import {notifySlackFromJournal} from '../../src/services/notify-slack.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../helpers/engine-harness.js'
import {server} from '../helpers/msw.js'
import {exitCodeOf, run} from '../helpers/run.js'
import {
  addChannel,
  callsTo,
  createSlackState,
  HOSTILE_VALUES,
  injectionProblems,
  messagesIn,
  requestTexts,
  SLACK_TEST_TOKEN,
  slackHandlers,
  type SlackMockState,
} from '../mocks/slack.js'

const SLACK_ENV = ['SLACK_TOKEN', 'SLACK_API_URL', 'JWKR_SLACK_RETRIES', 'JWKR_HOME', 'JWKR_INVENTORY'] as const

let slack: SlackMockState
let home: string
let privateJwk: Record<string, unknown>
let saved: Record<string, string | undefined>

beforeEach(async () => {
  saved = Object.fromEntries(SLACK_ENV.map((name) => [name, process.env[name]]))
  for (const name of SLACK_ENV) delete process.env[name]
  process.env.SLACK_TOKEN = SLACK_TEST_TOKEN
  process.env.JWKR_SLACK_RETRIES = '0'
  slack = createSlackState()
  server.use(...slackHandlers(slack))
  home = await tempHome()
  const pair = generateKeyPairSync('ec', {namedCurve: 'prime256v1'})
  privateJwk = {...pair.privateKey.export({format: 'jwk'}), kid: HOSTILE_VALUES.join(' ')}
})

afterEach(() => {
  for (const name of SLACK_ENV) {
    if (saved[name] === undefined) delete process.env[name]
    else process.env[name] = saved[name]
  }
})

/** An incident in the workspace: the key identified, one step done (no Slack involved). */
async function incident(options: {drill?: boolean; inventoryPath?: string} = {}): Promise<string> {
  const keyFile = join(home, 'leaked.json')
  await writeFile(keyFile, JSON.stringify(privateJwk))
  const file = await writePlaybook(
    home,
    `inputs:
  key: {type: string, required: true}
steps:
  - id: inspect
    uses: key.inspect
    with: {key: "\${{ inputs.key }}"}
  - id: next
    uses: test.echo
`,
  )
  const result = await startRun({
    ...baseOptions(home),
    playbook: file,
    inputs: {key: keyFile},
    registry: registryWith(),
    ui: scriptedUi({}, false),
    inventoryPath: options.inventoryPath ?? null,
    drill: options.drill ?? false,
    observers: [],
  })
  return result.incident
}

describe('jwkr notify slack', () => {
  it('creates the incident channel, posts the status message and journals where it is', async () => {
    const id = await incident()
    // When the responder notifies Slack
    const {stdout, error} = await run(['notify', 'slack', '--incident', id, '--home', home, '--json'])
    // Then a channel was created with the status message in it
    expect(error).toBeUndefined()
    const result = JSON.parse(stdout)
    expect(result).toMatchObject({incident: id, created: true, posted: true, invited: [], unresolved: []})
    // (The short thumbprint is 8 characters before runs of "-" and "_" are folded, so at most 8.)
    expect(result.channel).toMatch(/^inc-jwk-\d{4}-\d{2}-\d{2}-[a-z0-9_-]{1,8}$/)
    expect(messagesIn(slack, result.channelId)).toMatchObject([{ts: result.ts}])
    // And the journal records the effects and the slack.status event
    const journal = await readJournal(home, id)
    const types = journal.map((event) => event.type)
    expect(types.slice(-5)).toEqual(['effect.intent', 'effect.done', 'effect.intent', 'effect.done', 'slack.status'])
    expect(journal.at(-1)?.data).toEqual({
      step: 'jwkr notify slack',
      channel: result.channel,
      channelId: result.channelId,
      ts: result.ts,
    })
  })

  it('creates the channel private, or public with --public-channel', async () => {
    // Given two incidents
    const first = await incident()
    const second = await incident()
    // When Slack is notified of the first as is
    const plain = JSON.parse((await run(['notify', 'slack', '--incident', first, '--home', home, '--json'])).stdout)
    // Then its channel is private
    expect(slack.channels.find((channel) => channel.id === plain.channelId)?.isPrivate).toBe(true)
    // And when that channel is gone (both incidents are of the same key and day: the same name) and
    // Slack is notified of the second with --public-channel, the new channel is public
    slack.channels.length = 0
    const open = await run(['notify', 'slack', '--incident', second, '--home', home, '--public-channel', '--json'])
    expect(open.error).toBeUndefined()
    expect(slack.channels.find((channel) => channel.id === JSON.parse(open.stdout).channelId)?.isPrivate).toBe(false)
  })

  it('--channel with the id of a private channel the bot is in: posts there without trying to join', async () => {
    const id = await incident()
    const channel = addChannel(slack, {name: 'sec-private', isPrivate: true, members: [slack.botUserId]})
    const {stdout, error} = await run(['notify', 'slack', '--incident', id, '--home', home, '--channel', channel.id, '--json'])
    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({channel: 'sec-private', channelId: channel.id, created: false, posted: true})
    expect(callsTo(slack, 'conversations.join')).toHaveLength(0)
  })

  it('a second run updates the same message instead of posting again', async () => {
    const id = await incident()
    const first = JSON.parse((await run(['notify', 'slack', '--incident', id, '--home', home, '--json'])).stdout)
    const {stdout, error} = await run(['notify', 'slack', '--incident', id, '--home', home])
    expect(error).toBeUndefined()
    expect(stdout).toContain(`Updated the status message of incident ${id} in #${first.channel}`)
    expect(callsTo(slack, 'chat.postMessage')).toHaveLength(1)
    expect(callsTo(slack, 'conversations.create')).toHaveLength(1)
    expect(callsTo(slack, 'chat.update').map((call) => call.params.ts)).toEqual([first.ts])
    expect(messagesIn(slack, first.channelId)).toHaveLength(1)
  })

  it('--channel posts in an existing channel, joining it', async () => {
    const id = await incident()
    const channel = addChannel(slack, {name: 'sec-incidents'})
    const {stdout, error} = await run([
      'notify',
      'slack',
      '--incident',
      id,
      '--home',
      home,
      '--channel',
      '#sec-incidents',
      '--json',
    ])
    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({channel: 'sec-incidents', channelId: channel.id, created: false})
    expect(channel.members.has(slack.botUserId)).toBe(true)
  })

  it('uses notify.slack.channel from the inventory the incident was opened with', async () => {
    const channel = addChannel(slack, {name: 'sec-incidents'})
    const inventory = join(home, 'jwkr.inventory.yaml')
    await writeFile(inventory, 'version: 1\nissuers: []\nservices: []\nnotify:\n  slack: {channel: "#sec-incidents"}\n')
    const id = await incident({inventoryPath: inventory})
    const {stdout, error} = await run(['notify', 'slack', '--incident', id, '--home', home, '--json'])
    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({channelId: channel.id})
  })

  it('shows a DRILL banner for a drill', async () => {
    const id = await incident({drill: true})
    const {stdout} = await run(['notify', 'slack', '--incident', id, '--home', home, '--json'])
    const [message] = messagesIn(slack, JSON.parse(stdout).channelId)
    expect(message?.blocks?.[0]).toMatchObject({type: 'header', text: {text: expect.stringContaining('DRILL')}})
  })

  it('without SLACK_TOKEN fails with what to set, before calling anything', async () => {
    const id = await incident()
    delete process.env.SLACK_TOKEN
    const {stderr, error} = await run(['notify', 'slack', '--incident', id, '--home', home])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain('No Slack token: SLACK_TOKEN is not set.')
    expect(stderr).toContain('export SLACK_TOKEN=xoxb-')
    expect(slack.requests).toEqual([])
  })

  it('a refused token: exit 1, ERR_SLACK_AUTH with the hint, and the token is never printed', async () => {
    const id = await incident()
    process.env.SLACK_TOKEN = 'xoxb-revoked-1234567890'
    const {stdout, stderr, error} = await run(['notify', 'slack', '--incident', id, '--home', home, '--json'])
    expect(exitCodeOf(error)).toBe(1)
    const output = JSON.parse(stdout)
    expect(output.error).toMatchObject({code: 'ERR_SLACK_AUTH', hint: expect.stringContaining('Check SLACK_TOKEN')})
    expect(stdout + stderr).not.toContain('xoxb-revoked-1234567890')
  })

  it('a --channel that does not exist: exit 1, ERR_SLACK_CHANNEL_NOT_FOUND, nothing posted', async () => {
    const id = await incident()
    const {stderr, error} = await run(['notify', 'slack', '--incident', id, '--home', home, '--channel', '#nowhere'])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain('The Slack channel #nowhere was not found')
    expect(stderr).toContain('notify.slack.channel')
    expect(callsTo(slack, 'chat.postMessage')).toHaveLength(0)
  })

  it('escapes the hostile kid, and no private value or the token reaches Slack, the output or the journal', async () => {
    const id = await incident()
    const {stdout, stderr} = await run(['notify', 'slack', '--incident', id, '--home', home, '--json'])
    for (const request of callsTo(slack, 'chat.postMessage')) {
      for (const text of requestTexts(request)) expect(injectionProblems(text)).toEqual([])
    }
    const journal = await readFile(join(home, 'incidents', id, 'journal.jsonl'), 'utf8')
    const everything = [stdout, stderr, journal, ...slack.requests.map((request) => request.body)].join('\n')
    const needles = [...['d'].map((member) => String(privateJwk[member])), SLACK_TEST_TOKEN]
    for (const needle of needles) {
      expect(everything).not.toContain(needle)
      expect(everything).not.toContain(encodeURIComponent(needle))
    }
  })
})

describe('jwkr notify slack after a post whose outcome is unknown', () => {
  /**
   * An incident whose last `notify slack` died right after Slack was asked for the status message,
   * before the answer was journaled, and a Slack whose history cannot be read (so it cannot tell).
   */
  async function interruptedPost(): Promise<string> {
    const id = await incident()
    await withIncidentJournal(home, id, {secrets: new SecretRegistry()}, async (journal) => {
      await journal.append('effect.intent', {
        step: 'jwkr notify slack',
        key: `${id}:slack:status`,
        description: 'Post the status',
      })
    })
    slack.failures['conversations.history'] = 'internal_error'
    return id
  }

  const repeats = async (id: string) =>
    (await readJournal(home, id)).filter((event) => event.type === 'effect.repeated').map((event) => event.data.reason)

  it('without a terminal and without --yes: refuses (exit 1, ERR_APPROVAL_REQUIRED) and posts nothing', async () => {
    const id = await interruptedPost()
    const {stdout, error} = await run(['notify', 'slack', '--incident', id, '--home', home, '--json'])
    expect(exitCodeOf(error)).toBe(1)
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'ERR_APPROVAL_REQUIRED',
      hint: expect.stringContaining('run jwkr notify slack again with --yes'),
    })
    expect(callsTo(slack, 'chat.postMessage')).toHaveLength(0)
    expect(await repeats(id)).toEqual([])
  })

  it('with --yes: posts it again, and the journal says it was repeated under --yes', async () => {
    const id = await interruptedPost()
    const {error} = await run(['notify', 'slack', '--incident', id, '--home', home, '--yes', '--json'])
    expect(error).toBeUndefined()
    expect(callsTo(slack, 'chat.postMessage')).toHaveLength(1)
    expect(await repeats(id)).toEqual(['repeated under --yes'])
  })

  it('on a terminal: asks, and posts again only when the responder says so', async () => {
    const id = await interruptedPost()
    const client = createSlackClient({token: SLACK_TEST_TOKEN, retryConfig: {retries: 0}, secrets: new SecretRegistry()})
    const asked: string[] = []
    const answer = (yes: boolean) => ({
      yes: false,
      confirmRepeat: async (description: string) => Boolean(asked.push(description)) && yes,
    })
    const refused = await notifySlackFromJournal(home, id, {
      client,
      secrets: new SecretRegistry(),
      unknownEffects: answer(false),
    }).catch((caught: unknown) => caught)
    expect(refused).toMatchObject({code: 'ERR_APPROVAL_REQUIRED'})
    expect(callsTo(slack, 'chat.postMessage')).toHaveLength(0)
    await notifySlackFromJournal(home, id, {client, secrets: new SecretRegistry(), unknownEffects: answer(true)})
    expect(asked).toHaveLength(2)
    expect(callsTo(slack, 'chat.postMessage')).toHaveLength(1)
    expect(await repeats(id)).toEqual(['repeated by the responder'])
  })

  it('when Slack shows the message, records it as found and posts nothing', async () => {
    const id = await interruptedPost()
    delete slack.failures['conversations.history']
    // Given the message posted, and a later post of it interrupted the same way
    await run(['notify', 'slack', '--incident', id, '--home', home, '--yes', '--json'])
    await withIncidentJournal(home, id, {secrets: new SecretRegistry()}, async (journal) => {
      await journal.append('effect.intent', {
        step: 'jwkr notify slack',
        key: `${id}:slack:status`,
        description: 'Post the status',
      })
    })
    const {error} = await run(['notify', 'slack', '--incident', id, '--home', home, '--json'])
    expect(error).toBeUndefined()
    expect(callsTo(slack, 'chat.postMessage')).toHaveLength(1)
    expect((await readJournal(home, id)).at(-2)?.data).toMatchObject({key: `${id}:slack:status`, recovered: true})
  })
})
