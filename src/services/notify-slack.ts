// The Slack notify service: one place in Slack that always says where the incident stands (the
// incident channel, the status message, the affected teams' contacts). Behind the notify.slack step,
// the slack-status observer and `jwkr notify slack` (notifySlackFromJournal: the same work on an
// incident outside a run, under its lock).
import {readFile} from 'node:fs/promises'

import {createSlackClient, slackSettingsFromEnv, type SlackClient} from '../adapters/slack/client.js'
import {SLACK_BOT_SCOPES} from '../adapters/slack/errors.js'
import {incidentChannelName} from '../adapters/slack/incident-channel.js'
import {
  notifyIncident,
  type EffectRunner,
  type NotifyIncidentResult,
  type SlackStatusRef,
} from '../adapters/slack/notify-incident.js'
import {buildContactNotice, buildSlackStatus, slackStatusFacts} from '../core/notify/slack-status.js'
import {foldIncident, type IncidentState} from '../core/journal/state.js'
import type {SecretRegistry} from '../core/secrets.js'
import {commandEffects, withIncidentJournal, type UnknownEffectAnswer} from '../incident/incident-journal.js'
import {loadInventory} from './inventory.js'

// What the notify.slack step reads of the Slack adapters (its plan names the calls), so steps import no adapter.
export {normaliseApiUrl, slackSettingsFromEnv} from '../adapters/slack/client.js'
export {DEFAULT_CHANNEL_PATTERN, isChannelId} from '../adapters/slack/incident-channel.js'
export type {NotifyIncidentResult} from '../adapters/slack/notify-incident.js'

/** The journal event that says where the status message is; the observer and later runs read it. */
export const SLACK_STATUS_EVENT = 'slack.status'

/** The scopes jwkr's Slack bot token needs (for help texts). */
export const NOTIFY_SLACK_SCOPES: readonly string[] = SLACK_BOT_SCOPES

/** The Slack client, from SLACK_TOKEN and SLACK_API_URL in `env` (default the process's); the token registered first. */
export function slackClient(options: {
  env?: NodeJS.ProcessEnv
  secrets: SecretRegistry
  log?: (message: string) => void
}): SlackClient {
  return createSlackClient({...slackSettingsFromEnv(options.env), secrets: options.secrets, log: options.log})
}

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
  /** An effect interrupted before its result was journaled, that the remote cannot settle: --yes, or a prompt. Default: refused. */
  unknownEffects?: UnknownEffectAnswer
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
      effect: commandEffects(journal, COMMAND_STEP, options.unknownEffects ?? {yes: false}, {lookFirst: true}),
    })
    await journal.append(SLACK_STATUS_EVENT, {step: COMMAND_STEP, ...statusRecord(result)})
    return {incident: location.id, ...result}
  })
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

export async function notifySlackFor(
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
export function channelNameFor(state: IncidentState, input: {channelName?: string}, now: Date): string {
  return incidentChannelName({
    pattern: input.channelName,
    date: state.openedAt ? new Date(state.openedAt) : now,
    thumbprint: state.thumbprint,
    incident: state.id,
  })
}

/** notify.slack.channel from the run's inventory, when there is one. */
export async function inventoryChannel(context: {
  inventoryPath: string | null
  secrets: SecretRegistry
}): Promise<string | undefined> {
  if (context.inventoryPath === null) return undefined
  const inventory = await loadInventory(context.inventoryPath, {secrets: context.secrets})
  return inventory.notify?.slack?.channel
}

export function statusRecord(result: SlackStatusRef): SlackStatusRef {
  return {channel: result.channel, channelId: result.channelId, ts: result.ts}
}
