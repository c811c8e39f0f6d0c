// Posting, updating and finding jwkr's messages. Each message jwkr posts carries Slack message
// metadata naming the incident, so that after a crash between "posted" and "journaled" the message
// can be found again in the channel's history instead of being posted twice.
import type {ChatUpdateArguments} from '@slack/web-api'

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

/** chat.postMessage; returns where the message went (the channel id, even when posted by name) and its ts. */
export async function postMessage(client: SlackClient, options: PostOptions): Promise<PostedMessage> {
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

/** Core builds Block Kit as plain JSON (it knows no SDK); the SDK's block types are the same shapes. */
function asBlocks(message: SlackMessage): Extract<ChatUpdateArguments, {blocks: unknown}>['blocks'] {
  return message.blocks as unknown as Extract<ChatUpdateArguments, {blocks: unknown}>['blocks']
}
