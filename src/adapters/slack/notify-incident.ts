// What `jwkr notify slack` and the `notify.slack` step both do: find or create the incident channel,
// post the status message once (or update it when it exists), and bring in the contacts of affected
// teams. Every remote change runs through an effect runner (StepContext.effect in a playbook run), with
// a check that asks Slack whether it already happened, so a resumed run never posts twice.
import type {RunEffect} from '../../core/effect.js'
import {isJwkrError, type JwkrError} from '../../core/errors.js'
import type {SlackMessage} from '../../core/notify/slack-status.js'
import type {SlackClient} from './client.js'
import {
  channelIdOf,
  inviteUsers,
  joinToPost,
  lookupChannel,
  openIncidentChannel,
  parseContact,
  resolveUser,
  slackErrorOf,
  useConfiguredChannel,
} from './incident-channel.js'
import {findMessage, NOTICE_EVENT_TYPE, postMessage, STATUS_EVENT_TYPE, updateMessage} from './messages.js'

/** StepContext.effect's shape: run `apply` once per key; `check` says whether it already happened. */
export type EffectRunner = RunEffect

/** Where the status message is: what the journal's `slack.status` event (and effect ref) holds. */
export interface SlackStatusRef extends Record<string, unknown> {
  /** The channel's name, without `#`. */
  channel: string
  channelId: string
  ts: string
}

export interface NotifyIncidentOptions {
  client: SlackClient
  incident: string
  /** The status message as it should read now. */
  status: SlackMessage
  /** The name for a new incident channel (incidentChannelName). */
  channelName: string
  /** A channel to use instead (--channel, the step's `channel`, or notify.slack.channel): joined, never created. */
  configuredChannel?: string
  /** Create the incident channel public (default private: a leaked-key incident is not for the whole workspace). */
  publicChannel?: boolean
  /** contacts.slack / contacts.email of the affected services. */
  contacts: string[]
  /** The notice for a contact that is a channel, given the incident channel. */
  notice: (channel: {id: string; name: string}) => SlackMessage
  effect: EffectRunner
}

export interface ContactsOutcome {
  /** User ids invited now (or earlier in this incident). */
  invited: string[]
  alreadyMember: string[]
  /** Channels named as contacts that got a notice. */
  noticed: string[]
  /** Contacts that could not be reached, and why. */
  unresolved: Array<{contact: string; reason: string}>
}

export interface NotifyIncidentResult extends SlackStatusRef, ContactsOutcome {
  /** True when this call created the channel (false: it existed, or an earlier run created it). */
  created: boolean
  /** True when the status message was posted by this call (false: an existing one was updated). */
  posted: boolean
}

/**
 * An effect runner for work outside the engine that keeps no journal (the observer): asks Slack
 * first, and makes the change only when the check does not find it.
 */
export const checkFirst: EffectRunner = async (_key, _description, apply, check) => {
  const found = check ? await check() : undefined
  return found !== undefined && found !== 'unknown' ? found : apply()
}

/** Errors that are about Slack as a whole, not one contact: they stop the notification. */
const FATAL = new Set(['ERR_SLACK_AUTH', 'ERR_SLACK_RATE_LIMITED', 'ERR_SLACK_UNAVAILABLE', 'ERR_SLACK_TOKEN_MISSING'])

/**
 * Brings Slack up to date for an incident.
 *
 * @example await notifyIncident({client, incident: id, status: buildSlackStatus(facts), channelName, contacts, notice, effect})
 */
export async function notifyIncident(options: NotifyIncidentOptions): Promise<NotifyIncidentResult> {
  const {client} = options
  const channel = await incidentChannel(options)
  let posted = false
  const status = await options.effect<SlackStatusRef>(
    `${options.incident}:slack:status`,
    `Post the incident's status message in #${channel.channel} (chat.postMessage)`,
    async () => {
      const message = await postMessage(client, {
        channel: channel.channelId,
        message: options.status,
        metadata: {eventType: STATUS_EVENT_TYPE, incident: options.incident},
      })
      posted = true
      return {channel: channel.channel, channelId: message.channelId, ts: message.ts}
    },
    async () => {
      const ts = await findMessage(client, {
        channelId: channel.channelId,
        eventType: STATUS_EVENT_TYPE,
        incident: options.incident,
      }).catch(() => 'unknown' as const)
      return ts === undefined || ts === 'unknown' ? ts : {channel: channel.channel, channelId: channel.channelId, ts}
    },
  )
  // Posted in an earlier run (or found again after a crash): bring it up to date instead.
  if (!posted) await updateMessage(client, {channelId: status.channelId, ts: status.ts, message: options.status})
  const contacts = await reachContacts(options, {id: status.channelId, name: status.channel})
  return {...status, created: channel.created, posted, ...contacts}
}

/**
 * Invites the contacts that are people (user ids, or emails looked up) and posts the notice in
 * those that are channels. A contact that cannot be reached is reported, not fatal.
 */
export async function reachContacts(
  options: Pick<NotifyIncidentOptions, 'client' | 'incident' | 'contacts' | 'notice' | 'effect'>,
  channel: {id: string; name: string},
): Promise<ContactsOutcome> {
  const {client, incident, effect} = options
  const outcome: ContactsOutcome = {invited: [], alreadyMember: [], noticed: [], unresolved: []}
  for (const value of [...new Set(options.contacts.map((contact) => contact.trim()).filter(Boolean))]) {
    const contact = parseContact(value)
    try {
      if (!contact) {
        outcome.unresolved.push({contact: value, reason: 'not a Slack user id (U…), an email or a channel (#name)'})
      } else if (contact.kind === 'channel') {
        await effect(
          `${incident}:slack:notice:${contact.channel}`,
          `Tell ${contact.channel} that the incident is followed in #${channel.name}`,
          async () => {
            await joinToPost(client, contact.channel)
            const message = await postMessage(client, {
              channel: contact.channel,
              message: options.notice(channel),
              metadata: {eventType: NOTICE_EVENT_TYPE, incident},
            })
            return {...message}
          },
          async () => {
            try {
              const channelId = await channelIdOf(client, contact.channel)
              if (channelId === undefined) return 'unknown'
              const ts = await findMessage(client, {channelId, eventType: NOTICE_EVENT_TYPE, incident})
              return ts === undefined ? undefined : {channelId, ts}
            } catch {
              return 'unknown'
            }
          },
        )
        outcome.noticed.push(contact.channel)
      } else {
        const user = await resolveUser(client, contact)
        if (!user) {
          outcome.unresolved.push({contact: value, reason: 'Slack knows no user by it'})
          continue
        }
        const result = await effect(
          `${incident}:slack:invite:${user}`,
          `Invite ${value} to #${channel.name} (conversations.invite)`,
          async () => {
            const invite = await inviteUsers(client, channel.id, [user])
            return {user, alreadyMember: invite.alreadyMember.includes(user), error: invite.failed[0]?.error ?? null}
          },
          // Inviting again is harmless: Slack answers already_in_channel.
          async () => undefined,
        )
        if (typeof result.error === 'string')
          outcome.unresolved.push({contact: value, reason: `Slack refused the invitation: ${result.error}`})
        else if (result.alreadyMember) outcome.alreadyMember.push(user)
        else outcome.invited.push(user)
      }
    } catch (error) {
      if (!isJwkrError(error) || FATAL.has(error.code)) throw error
      outcome.unresolved.push({contact: value, reason: reasonOf(error)})
    }
  }
  return outcome
}

async function incidentChannel(options: NotifyIncidentOptions): Promise<{channel: string; channelId: string; created: boolean}> {
  const {client, configuredChannel} = options
  const name = configuredChannel ?? `#${options.channelName}`
  let createdNow = false
  const ref = await options.effect(
    `${options.incident}:slack:channel`,
    configuredChannel
      ? `Use the Slack channel ${configuredChannel} (joined if it is public and the bot is not in it)`
      : `Create the ${options.publicChannel ? 'public' : 'private'} Slack channel #${options.channelName} (conversations.create), or reuse it if it exists`,
    async () => {
      if (configuredChannel) {
        const channel = await useConfiguredChannel(client, configuredChannel)
        return {channel: channel.name, channelId: channel.id, created: false}
      }
      const {channel, created} = await openIncidentChannel(client, options.channelName, {isPrivate: !options.publicChannel})
      createdNow = created
      return {channel: channel.name, channelId: channel.id, created}
    },
    async () => {
      const found = await lookupChannel(client, name).catch(() => 'unknown' as const)
      if (found === 'unknown') return 'unknown'
      return found?.isMember ? {channel: found.name, channelId: found.id, created: false} : undefined
    },
  )
  return {channel: ref.channel, channelId: ref.channelId, created: createdNow}
}

function reasonOf(error: JwkrError): string {
  const code = slackErrorOf(error)
  if (code === 'users_not_found') return 'no Slack user has this email'
  return error.message
}
