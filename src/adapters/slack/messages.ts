// Posting, updating and finding jwkr's messages. Each message jwkr posts carries Slack message
// metadata naming the incident, so that after a crash between "posted" and "journaled" the message
// can be found again in the channel's history instead of being posted twice.
import type {ChatUpdateArguments} from '@slack/web-api'

import {setTimeout as sleep} from 'node:timers/promises'

import {JwkrError} from '../../core/errors.js'
import type {SlackMessage} from '../../core/notify/slack-status.js'
import type {SlackClient} from './client.js'

/** Metadata event types (Slack: `event_type`, a-z0-9 and underscores). */
export const STATUS_EVENT_TYPE = 'jwkr_incident_status'
export const NOTICE_EVENT_TYPE = 'jwkr_incident_notice'

/** Messages of history read when looking for one of ours (newest first, 200 a page). */
const HISTORY_PAGES = 3

export interface PostedMessage {
  channelId: string
  ts: string
}

export interface PostOptions {
  channel: string
  message: SlackMessage
  /** The parent message's ts: posts a reply in its thread. */
  threadTs?: string
  /** Marks the message as jwkr's for an incident (found again by `findMessage`). */
  metadata?: {eventType: string; incident: string}
}

/** Tries of a post that carries metadata, and the base of the waits between them when Slack fails. */
const POST_TRIES = 4
const POST_BACKOFF_MS = 1000

/**
 * chat.postMessage; returns where the message went (the channel id, even when posted by name) and its
 * ts. A post with metadata is never resent blind: after a 5xx or no answer it is first looked for in
 * the channel's history (it may have been made); after a rate limit it waits as Slack asks.
 */
export async function postMessage(
  client: SlackClient,
  options: PostOptions,
  backoffMs = POST_BACKOFF_MS,
): Promise<PostedMessage> {
  const {metadata} = options
  if (metadata === undefined) return postOnce(client, options)
  for (let attempt = 1; ; attempt++) {
    try {
      return await postOnce(client, options)
    } catch (error) {
      if (!(error instanceof JwkrError) || attempt >= POST_TRIES) throw error
      const retryAfter = error.code === 'ERR_SLACK_RATE_LIMITED' ? Number(error.details?.retryAfter) : Number.NaN
      if (Number.isFinite(retryAfter)) {
        await sleep(retryAfter * 1000)
        continue
      }
      if (error.code !== 'ERR_SLACK_UNAVAILABLE' || !/^[CGD][A-Z0-9]+$/.test(options.channel)) throw error
      await sleep(attempt ** 2 * backoffMs)
      const ts = await findMessage(client, {
        channelId: options.channel,
        eventType: metadata.eventType,
        incident: metadata.incident,
      })
      if (ts !== undefined) return {channelId: options.channel, ts}
    }
  }
}

async function postOnce(client: SlackClient, options: PostOptions): Promise<PostedMessage> {
  const result = await client.chat.postMessage({
    channel: options.channel,
    text: options.message.text,
    blocks: asBlocks(options.message),
    unfurl_links: false,
    unfurl_media: false,
    ...(options.threadTs ? {thread_ts: options.threadTs} : {}),
    ...(options.metadata
      ? {metadata: {event_type: options.metadata.eventType, event_payload: {incident: options.metadata.incident}}}
      : {}),
  })
  return {channelId: result.channel ?? options.channel, ts: requireTs(result.ts)}
}

/** chat.update of a message jwkr posted, in place (same ts). */
export async function updateMessage(
  client: SlackClient,
  options: {channelId: string; ts: string; message: SlackMessage},
): Promise<void> {
  await client.chat.update({
    channel: options.channelId,
    ts: options.ts,
    text: options.message.text,
    blocks: asBlocks(options.message),
  })
}

/**
 * The ts of jwkr's message of this kind for this incident in a channel's recent history, or
 * undefined. Needs the channels:history scope (groups:history for a private channel).
 */
export async function findMessage(
  client: SlackClient,
  options: {channelId: string; eventType: string; incident: string},
): Promise<string | undefined> {
  let cursor: string | undefined
  for (let page = 0; page < HISTORY_PAGES; page++) {
    const result = await client.conversations.history({
      channel: options.channelId,
      include_all_metadata: true,
      limit: 200,
      ...(cursor ? {cursor} : {}),
    })
    const found = result.messages?.find(
      (message) =>
        message.metadata?.event_type === options.eventType &&
        (message.metadata.event_payload as Record<string, unknown> | undefined)?.incident === options.incident,
    )
    if (found?.ts) return found.ts
    cursor = result.response_metadata?.next_cursor || undefined
    if (!cursor) return undefined
  }
  return undefined
}

function requireTs(ts: string | undefined): string {
  if (!ts) {
    throw new JwkrError('ERR_SLACK_FAILED', 'Slack answered chat.postMessage without the message ts.', {
      hint: 'Check SLACK_API_URL: it must point at the Slack Web API (or a faithful fake of it).',
    })
  }
  return ts
}

/** Core's Block Kit blocks are the SDK's shapes (core/notify/slack-status.ts, SlackBlock). */
function asBlocks(message: SlackMessage): Extract<ChatUpdateArguments, {blocks: unknown}>['blocks'] {
  return message.blocks
}
