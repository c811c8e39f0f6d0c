// The incident's Slack channel: named `inc-jwk-<date>-<short thumbprint>` and created private with
// conversations.create (a leaked-key incident is not for the whole workspace; public on request), or
// the channel the inventory names (notify.slack.channel). Both are resume-safe: a name Slack says is
// taken is looked up and reused. A channel is joined only when it is public and the bot is not in it:
// Slack lets no app join a private channel (method_not_supported_for_channel_type), even one it is in.
// Also the contacts of affected teams: user ids invited as they are, emails looked up first,
// channels named as contacts told in a notice instead (they cannot be invited).
import {isJwkrError, JwkrError} from '../../core/errors.js'
import type {SlackClient} from './client.js'

export interface SlackChannelRef {
  id: string
  name: string
}

export interface SlackChannelInfo extends SlackChannelRef {
  isMember: boolean
  isPrivate: boolean
}

export const DEFAULT_CHANNEL_PATTERN = 'inc-jwk-{date}-{thumbprint}'
/** Slack's limit on channel names (conversations.create, "Naming"). */
export const MAX_CHANNEL_NAME = 80
const SHORT_THUMBPRINT = 8
/** Pages of conversations.list read when looking for a channel by name (200 channels a page). */
const MAX_LIST_PAGES = 50

/**
 * The incident channel's name from a pattern with `{date}` (YYYY-MM-DD), `{thumbprint}` (its first 8
 * characters) and `{incident}`: lower-cased, anything Slack does not allow in a name (it allows
 * a-z, 0-9, `-` and `_`) turned into `-`, cut to 80 characters.
 *
 * @example incidentChannelName({date: new Date('2026-11-29T03:12:00Z'), thumbprint: 'NzbLsXh8uDCc', incident: '2026-11-29-nzblsx'})
 * // 'inc-jwk-2026-11-29-nzblsxh8'
 */
export function incidentChannelName(options: {
  pattern?: string
  date: Date
  thumbprint: string | null
  incident: string
}): string {
  const values: Record<string, string> = {
    date: options.date.toISOString().slice(0, 10),
    thumbprint: options.thumbprint?.slice(0, SHORT_THUMBPRINT) ?? 'nokey',
    incident: options.incident,
  }
  const pattern = options.pattern ?? DEFAULT_CHANNEL_PATTERN
  const unknown = [...pattern.matchAll(/\{([^}]*)\}/g)].map((match) => match[1] ?? '').filter((name) => !(name in values))
  if (unknown.length > 0) {
    throw new JwkrError(
      'ERR_SLACK_CHANNEL_NAME_INVALID',
      `The channel name pattern ${JSON.stringify(pattern)} uses {${unknown[0]}}.`,
      {
        hint: 'A pattern may use {date}, {thumbprint} and {incident}, e.g. inc-jwk-{date}-{thumbprint}.',
      },
    )
  }
  const name = pattern
    .replace(/\{(date|thumbprint|incident)\}/g, (_, key: string) => values[key] ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, MAX_CHANNEL_NAME)
    .replace(/^-+|-+$/g, '')
  if (!/[a-z0-9]/.test(name)) {
    throw new JwkrError(
      'ERR_SLACK_CHANNEL_NAME_INVALID',
      `The channel name pattern ${JSON.stringify(pattern)} gives no usable name.`,
      {
        hint: 'Use letters and digits, e.g. inc-jwk-{date}-{thumbprint}.',
      },
    )
  }
  return name
}

/** A channel by name (with or without `#`) among those the bot can see, or undefined. */
export async function findChannel(client: SlackClient, name: string): Promise<SlackChannelInfo | undefined> {
  const wanted = name.replace(/^#/, '').toLowerCase()
  let cursor: string | undefined
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const result = await client.conversations.list({
      types: 'public_channel,private_channel',
      exclude_archived: true,
      limit: 200,
      ...(cursor ? {cursor} : {}),
    })
    const found = result.channels?.find((channel) => channel.name === wanted)
    if (found?.id && found.name) {
      return {id: found.id, name: found.name, isMember: found.is_member === true, isPrivate: found.is_private === true}
    }
    cursor = result.response_metadata?.next_cursor || undefined
    if (!cursor) return undefined
  }
  return undefined
}

/**
 * A channel given as an id or a name, with the bot's membership; undefined when the bot cannot see
 * it (Slack answers channel_not_found for a private channel the bot is not in).
 */
export async function lookupChannel(client: SlackClient, reference: string): Promise<SlackChannelInfo | undefined> {
  const trimmed = reference.trim()
  if (!isChannelId(trimmed)) return findChannel(client, trimmed)
  try {
    const {channel} = await client.conversations.info({channel: trimmed})
    if (!channel?.id) throw unexpected('conversations.info', 'no channel')
    return {
      id: channel.id,
      name: channel.name ?? trimmed,
      isMember: channel.is_member === true,
      isPrivate: channel.is_private === true,
    }
  } catch (error) {
    if (slackErrorOf(error) === 'channel_not_found') return undefined
    throw error
  }
}

/** The id of a channel given as an id or a name; undefined when the bot cannot see it. */
export async function channelIdOf(client: SlackClient, reference: string): Promise<string | undefined> {
  const trimmed = reference.trim()
  return isChannelId(trimmed) ? trimmed : (await findChannel(client, trimmed))?.id
}

/**
 * Creates the incident channel, private unless `isPrivate: false`; when Slack says the name is taken
 * (an earlier run, or a teammate was faster), finds that channel and joins it. `created` says which
 * happened.
 */
export async function openIncidentChannel(
  client: SlackClient,
  name: string,
  options: {isPrivate?: boolean} = {},
): Promise<{channel: SlackChannelRef; created: boolean}> {
  try {
    const result = await client.conversations.create({name, is_private: options.isPrivate ?? true})
    if (!result.channel?.id) throw unexpected('conversations.create', 'no channel id')
    return {channel: {id: result.channel.id, name: result.channel.name ?? name}, created: true}
  } catch (error) {
    if (slackErrorOf(error) !== 'name_taken') throw error
  }
  const existing = await findChannel(client, name)
  if (!existing) {
    throw new JwkrError('ERR_SLACK_FAILED', `The Slack channel name #${name} is taken, but not by a channel the bot can see.`, {
      hint: 'It may be archived or private: unarchive it or invite the bot, or choose another name (the step input channelName).',
    })
  }
  return {channel: await ensureMember(client, existing), created: false}
}

/**
 * The channel named in the inventory (notify.slack.channel) or on the command line: `#name`, `name`
 * or a channel id (C…/G…), looked up first (conversations.info or .list). Joined when it is public
 * and the bot is not yet a member; never created.
 */
export async function useConfiguredChannel(client: SlackClient, reference: string): Promise<SlackChannelRef> {
  const trimmed = reference.trim()
  const found = await lookupChannel(client, trimmed)
  if (!found) {
    throw new JwkrError('ERR_SLACK_CHANNEL_NOT_FOUND', `The Slack channel ${trimmed} was not found, or the bot cannot see it.`, {
      hint:
        'Check notify.slack.channel in the inventory (or --channel). A private channel is invisible to the bot until ' +
        'someone invites it (/invite @your-app).',
      details: {channel: trimmed},
    })
  }
  return ensureMember(client, found)
}

/** A contact as the inventory names it: a user id, an email to look up, or a channel to post to. */
export type SlackContact = {kind: 'user'; id: string} | {kind: 'email'; email: string} | {kind: 'channel'; channel: string}

/** Reads `contacts.slack` / `contacts.email` values; a display name like `@alice` cannot be resolved by the API. */
export function parseContact(value: string): SlackContact | undefined {
  const text = value.trim()
  if (/^[UW][A-Z0-9]{6,}$/.test(text)) return {kind: 'user', id: text}
  if (text.startsWith('#') || isChannelId(text)) return {kind: 'channel', channel: text}
  if (/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(text)) return {kind: 'email', email: text}
  return undefined
}

/** The user id of a contact; undefined for one that is not a person. */
export async function resolveUser(client: SlackClient, contact: SlackContact): Promise<string | undefined> {
  if (contact.kind === 'user') return contact.id
  if (contact.kind !== 'email') return undefined
  const result = await client.users.lookupByEmail({email: contact.email})
  return result.user?.id
}

/**
 * Invites users to the channel. Inviting someone already there is not an error (Slack answers
 * already_in_channel); `force` keeps one bad id from blocking the others.
 *
 * @returns the ids invited now and those who were members already
 */
export async function inviteUsers(
  client: SlackClient,
  channelId: string,
  users: string[],
): Promise<{invited: string[]; alreadyMember: string[]; failed: Array<{user: string; error: string}>}> {
  if (users.length === 0) return {invited: [], alreadyMember: [], failed: []}
  let errors: Array<{user?: string; error?: string}>
  try {
    const result = await client.conversations.invite({channel: channelId, users: users.join(','), force: true})
    errors = (result as {errors?: Array<{user?: string; error?: string}>}).errors ?? []
  } catch (error) {
    const code = slackErrorOf(error)
    if (code !== 'already_in_channel' && code !== 'user_not_found' && code !== 'cant_invite') throw error
    const data = isJwkrError(error)
      ? (error.cause as {data?: {errors?: Array<{user?: string; error?: string}>}})?.data
      : undefined
    errors = data?.errors ?? users.map((user) => ({user, error: code}))
  }
  const failedBy = new Map(errors.filter((entry) => entry.user).map((entry) => [entry.user as string, entry.error ?? 'unknown']))
  return {
    invited: users.filter((user) => !failedBy.has(user)),
    alreadyMember: users.filter((user) => failedBy.get(user) === 'already_in_channel'),
    failed: [...failedBy].filter(([, error]) => error !== 'already_in_channel').map(([user, error]) => ({user, error})),
  }
}

/** The Slack error string (`name_taken`, `users_not_found`…) behind a translated error, if any. */
export function slackErrorOf(error: unknown): string | undefined {
  if (!isJwkrError(error)) return undefined
  const code = error.details?.slackError
  return typeof code === 'string' ? code : undefined
}

/**
 * Joins a channel the bot is not in. Slack refuses to let an app join a private channel (or some shared
 * ones): then posting tells whether the bot may write there, so carry on and let it.
 */
async function ensureMember(client: SlackClient, channel: SlackChannelInfo): Promise<SlackChannelRef> {
  const ref = {id: channel.id, name: channel.name}
  if (channel.isMember) return ref
  try {
    await client.conversations.join({channel: channel.id})
  } catch (error) {
    if (slackErrorOf(error) !== 'method_not_supported_for_channel_type') throw error
  }
  return ref
}

/**
 * Joins a channel before posting in it, so that its history can be read later: after a crash between
 * a post and its record, the history is how the post is found again. A bot may post in a public
 * channel it is not in (chat:write.public), but not read it (not_in_channel). A channel the bot cannot
 * see, or whose join the app's scopes do not allow, is left to the post, which says whether it may write.
 */
export async function joinToPost(client: SlackClient, reference: string): Promise<void> {
  const channel = await lookupChannel(client, reference)
  if (!channel) return
  try {
    await ensureMember(client, channel)
  } catch (error) {
    if (slackErrorOf(error) !== 'missing_scope') throw error
  }
}

/** A channel id (C… public, G… private), as opposed to a name. */
export function isChannelId(text: string): boolean {
  return /^[CG][A-Z0-9]{6,}$/.test(text)
}

function unexpected(method: string, what: string): JwkrError {
  return new JwkrError('ERR_SLACK_FAILED', `Slack answered ${method} with ${what}.`, {
    hint: 'Check SLACK_API_URL: it must point at the Slack Web API (or a faithful fake of it).',
  })
}
