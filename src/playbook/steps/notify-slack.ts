// notify.slack: one place in Slack that always says where the incident stands. Creates (or joins)
// the incident channel, posts the status message once, and brings in the contacts of the affected
// teams; from then on the `slack-status` observer keeps the message current as steps finish. The same
// work outside a run (`jwkr notify slack`) is `notifySlackFromJournal`, below.
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {createSlackClient, normaliseApiUrl, slackSettingsFromEnv, type SlackClient} from '../../adapters/slack/client.js'
import {DEFAULT_CHANNEL_PATTERN, incidentChannelName, isChannelId} from '../../adapters/slack/incident-channel.js'
import {
  notifyIncident,
  type EffectRunner,
  type NotifyIncidentResult,
  type SlackStatusRef,
} from '../../adapters/slack/notify-incident.js'
import {loadInventory} from '../../core/inventory/load-inventory.js'
import {buildContactNotice, buildSlackStatus, slackStatusFacts} from '../../core/notify/slack-status.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {readIncidentEvents} from '../../incident/read-incident.js'
import {foldIncident, type IncidentState} from '../../incident/state.js'
import {JOURNAL_FILE} from '../../incident/workspace.js'
import {defineStep} from '../define-step.js'
import {Nullable, Type, type Static} from '../step-schema.js'
import type {PlannedCall, StepContext} from '../types.js'
import {journalEffects, withIncidentJournal} from '../../incident/incident-journal.js'

const NotifySlackInput = Type.Object(
  {
    /** An existing channel to use (`#name` or an id) instead of creating one; overrides notify.slack.channel. */
    channel: Type.Optional(
      Type.String({minLength: 1, description: 'An existing channel (#name or id) to use instead of creating one.'}),
    ),
    /** The name of a new incident channel, with {date}, {thumbprint} and {incident}. */
    channelName: Type.Optional(
      Type.String({
        minLength: 1,
        description: `Name of a new incident channel; placeholders {date}, {thumbprint}, {incident} (default ${DEFAULT_CHANNEL_PATTERN}).`,
      }),
    ),
    /** Create the incident channel public (default false: private, with the bot and the invited contacts in it). */
    publicChannel: Type.Optional(
      Type.Boolean({
        description:
          'Create the incident channel public (default false: private, so only the invited contacts see the incident).',
      }),
    ),
    /** Invite the Slack contacts of the affected services (default true). */
    invite: Type.Optional(Type.Boolean({description: 'Invite the Slack contacts of the affected services (default true).'})),
  },
  {additionalProperties: false},
)
const names = Type.Array(Type.String())
const nullableString = Nullable(Type.String())
const NotifySlackOutput = Type.Object(
  {
    /** Always true: without SLACK_TOKEN the step ends skipped ("SLACK_TOKEN not set"). Kept for older journals' readers. */
    notified: Type.Boolean(),
    reason: nullableString,
    channel: nullableString,
    channelId: nullableString,
    ts: nullableString,
    created: Type.Boolean(),
    posted: Type.Boolean(),
    invited: names,
    noticed: names,
    /** `contact: why` for every contact that could not be reached. */
    unresolved: names,
  },
  {additionalProperties: false},
)
export type NotifySlackInput = Static<typeof NotifySlackInput>
export type NotifySlackOutput = Static<typeof NotifySlackOutput>

/** The journal event that says where the status message is; the observer and later runs read it. */
export const SLACK_STATUS_EVENT = 'slack.status'
const NOT_CONFIGURED = 'SLACK_TOKEN not set: Slack was not notified'
/** Why the step was skipped, and how to notify Slack afterwards (a resumed run does not run it again). */
const notConfigured = (incident: string) =>
  `${NOT_CONFIGURED}. Set it (and SLACK_API_URL for a drill), then run jwkr notify slack --incident ${incident}.`

export const notifySlack = defineStep({
  id: 'notify.slack',
  title: 'Open the incident in Slack',
  description:
    'Creates the incident channel (inc-jwk-<date>-<thumbprint>, private unless publicChannel) or uses notify.slack.channel, posts one status ' +
    'message (severity, thumbprint, phase, contained services, next step) that is then updated as steps finish, with ' +
    'details of each step in its thread, and invites the Slack contacts of the affected teams. People need one place ' +
    'that always says where things stand. Needs SLACK_TOKEN; without it the step is skipped ("SLACK_TOKEN not set").',
  inputSchema: NotifySlackInput,
  outputSchema: NotifySlackOutput,
  sideEffects: true,
  async plan(input, context) {
    const settings = slackSettingsFromEnv(context.env)
    if (!settings.token) return [{kind: 'none', target: 'Slack', description: `${NOT_CONFIGURED}: the step will be skipped.`}]
    let api: string
    try {
      api = normaliseApiUrl(settings.apiUrl)
    } catch (error) {
      return [{kind: 'none', target: 'SLACK_API_URL', description: `Cannot plan: ${(error as Error).message}`}]
    }
    const state = await readIncidentState(context.incident).catch(() => undefined)
    const configured = input.channel ?? (await inventoryChannel(context).catch(() => undefined))
    const call = (method: string, description: string): PlannedCall => ({
      kind: 'message',
      target: `POST ${api}${method}`,
      description,
    })
    let name: string
    try {
      name = state ? channelNameFor(state, input, context.now()) : (input.channelName ?? DEFAULT_CHANNEL_PATTERN)
    } catch (error) {
      return [{kind: 'none', target: 'channelName', description: `Cannot plan: ${(error as Error).message}`}]
    }
    return [
      ...(configured
        ? [
            call(isChannelId(configured.trim()) ? 'conversations.info' : 'conversations.list', `Find the channel ${configured}`),
            call(
              'conversations.join',
              `Join ${configured} if it is public and the bot is not in it (a private channel needs /invite @your-app)`,
            ),
          ]
        : [
            call(
              'conversations.create',
              `Create #${name} as a ${input.publicChannel ? 'public' : 'private'} channel; if the name is taken, find it (conversations.list) and join it`,
            ),
          ]),
      call(
        'chat.postMessage',
        'Post the status message (severity, thumbprint, phase, contained services n/m, next step) once; chat.update when it exists',
      ),
      ...(input.invite === false
        ? []
        : [
            call(
              'conversations.invite',
              'Invite the Slack contacts of the affected services (emails looked up with users.lookupByEmail; contact ' +
                'channels get a notice by chat.postMessage). Known once services.locate has run; the observer invites them then.',
            ),
          ]),
    ]
  },
  async run(input, context) {
    const settings = slackSettingsFromEnv(context.env)
    if (!settings.token) return context.skip(notConfigured(context.incident.id))
    const client = createSlackClient({...settings, secrets: context.secrets, log: (message) => context.progress({message})})
    const state = await readIncidentState(context.incident)
    context.progress({message: 'Opening the incident channel and posting the status message'})
    const result = await notifySlackFor(state, {
      client,
      channel: input.channel ?? (await inventoryChannel(context)),
      channelName: input.channelName,
      publicChannel: input.publicChannel === true,
      invite: input.invite !== false,
      now: context.now(),
      effect: context.effect,
    })
    await context.record(SLACK_STATUS_EVENT, statusRecord(result))
    return outputOf(result)
  },
})

export interface NotifySlackCommandOptions {
  client: SlackClient
  secrets: SecretRegistry
  /** Use this channel (when the incident has none yet). */
  channel?: string
  /** Create the incident channel public (default private). */
  publicChannel?: boolean
  /** The inventory (for notify.slack.channel); undefined: the one the incident was opened with. */
  inventoryPath?: string | null
  now?: () => Date
}

export interface NotifySlackCommandResult extends NotifyIncidentResult {
  incident: string
}

/**
 * `jwkr notify slack`: the step's work on an incident outside a run, under the incident's lock. The
 * effects and the `slack.status` event are journaled as the step journals them, so a later run (or
 * the observer of a resumed run) updates the same message instead of posting another.
 */
export async function notifySlackFromJournal(
  home: string,
  id: string,
  options: NotifySlackCommandOptions,
): Promise<NotifySlackCommandResult> {
  const now = options.now ?? (() => new Date())
  return withIncidentJournal(home, id, {secrets: options.secrets, now}, async (journal, location) => {
    const state = foldIncident(journal.events())
    const opened = journal.events().find((event) => event.type === 'incident.opened')?.data.inventory
    const inventoryPath = options.inventoryPath !== undefined ? options.inventoryPath : typeof opened === 'string' ? opened : null
    const result = await notifySlackFor(state, {
      client: options.client,
      channel: options.channel ?? (await inventoryChannel({inventoryPath, secrets: options.secrets})),
      publicChannel: options.publicChannel === true,
      invite: true,
      now: now(),
      effect: journalEffects(journal, COMMAND_STEP),
    })
    await journal.append(SLACK_STATUS_EVENT, {step: COMMAND_STEP, ...statusRecord(result)})
    return {incident: location.id, ...result}
  })
}

/** The incident's state, read from its journal (complete lines only) while the engine appends to it. */
export async function readIncidentState(incident: StepContext['incident']): Promise<IncidentState> {
  return foldIncident(await readIncidentEvents({...incident, journalPath: join(incident.dir, JOURNAL_FILE)}))
}

/** Where the status message is, once a notify.slack step or `jwkr notify slack` posted it. */
export function slackStatusOf(state: IncidentState): SlackStatusRef | undefined {
  return statusRefOf(state.effects[`${state.id}:slack:status`]?.ref)
}

/** A `{channel, channelId, ts}` record (from an effect ref or a slack.status event), checked. */
export function statusRefOf(value: Record<string, unknown> | undefined): SlackStatusRef | undefined {
  const {channel, channelId, ts} = value ?? {}
  return typeof channel === 'string' && typeof channelId === 'string' && typeof ts === 'string'
    ? {channel, channelId, ts}
    : undefined
}

/**
 * The Slack contacts of the services that depend on the leaked key, from the locate document the
 * last services.locate step wrote (`contacts.slack`, else `contacts.email`). Empty before locate.
 */
export async function affectedContacts(state: IncidentState): Promise<string[]> {
  const locate = Object.values(state.steps)
    .filter((step) => step.uses === 'services.locate' && step.status === 'succeeded')
    .at(-1)?.outputs
  if (typeof locate?.artifact !== 'string') return []
  let document: {services?: Array<{contacts?: {slack?: unknown; email?: unknown}}>}
  try {
    document = JSON.parse(await readFile(locate.artifact, 'utf8')) as typeof document
  } catch {
    return []
  }
  const contacts = (document.services ?? []).map((service) => service.contacts?.slack ?? service.contacts?.email)
  return [...new Set(contacts.filter((contact): contact is string => typeof contact === 'string' && contact.trim() !== ''))]
}

const COMMAND_STEP = 'jwkr notify slack'

async function notifySlackFor(
  state: IncidentState,
  options: {
    client: SlackClient
    channel: string | undefined
    channelName?: string
    publicChannel: boolean
    invite: boolean
    now: Date
    effect: EffectRunner
  },
): Promise<NotifyIncidentResult> {
  const facts = slackStatusFacts(state, options.now)
  return notifyIncident({
    client: options.client,
    incident: state.id,
    status: buildSlackStatus(facts),
    channelName: channelNameFor(state, {channelName: options.channelName}, options.now),
    configuredChannel: options.channel,
    publicChannel: options.publicChannel,
    contacts: options.invite ? await affectedContacts(state) : [],
    notice: (channel) => buildContactNotice(facts, channel),
    effect: options.effect,
  })
}

/** Named after the day the incident was opened, so every run of it finds the same channel. */
function channelNameFor(state: IncidentState, input: {channelName?: string}, now: Date): string {
  return incidentChannelName({
    pattern: input.channelName,
    date: state.openedAt ? new Date(state.openedAt) : now,
    thumbprint: state.thumbprint,
    incident: state.id,
  })
}

/** notify.slack.channel from the run's inventory, when there is one. */
async function inventoryChannel(context: {inventoryPath: string | null; secrets: SecretRegistry}): Promise<string | undefined> {
  if (context.inventoryPath === null) return undefined
  const inventory = await loadInventory(context.inventoryPath, {secrets: context.secrets})
  return inventory.notify?.slack?.channel
}

function statusRecord(result: SlackStatusRef): SlackStatusRef {
  return {channel: result.channel, channelId: result.channelId, ts: result.ts}
}

function outputOf(result: NotifyIncidentResult): NotifySlackOutput {
  return {
    notified: true,
    reason: null,
    channel: result.channel,
    channelId: result.channelId,
    ts: result.ts,
    created: result.created,
    posted: result.posted,
    invited: result.invited,
    noticed: result.noticed,
    unresolved: result.unresolved.map(({contact, reason}) => `${contact}: ${reason}`),
  }
}
