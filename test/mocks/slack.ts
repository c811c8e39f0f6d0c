// The Slack simulator (src/drill/slack-simulator.ts) as msw handlers for the tests, with the test
// suite's names for its state and helpers: createSlackState() holds the channels, members, messages,
// every request, and the fault switches a test flips (rateLimit, failures, dropAnswers, scopes).
// The drill serves the same simulator over node:http (src/drill/fake-slack.ts).
import type {HttpHandler} from 'msw'

import {
  answerSlack,
  createSlackState as createSimulatorState,
  type SlackChannel,
  type SlackMessage,
  type SlackRecord,
  type SlackState,
  type SlackUser,
} from '../../src/drill/slack-simulator.js'
import {parseJson} from '../../src/drill/loopback-server.js'
import {simulatorHandler} from './simulator.js'

export {addChannel, ALL_SCOPES, channelNamed, messagesIn} from '../../src/drill/slack-simulator.js'

export type SlackMockChannel = SlackChannel
export type SlackMockUser = SlackUser
export type SlackMockMessage = SlackMessage
export type RecordedSlackRequest = SlackRecord

export interface SlackMockState extends SlackState {
  /** Web API root, ending with /api/. */
  baseUrl: string
}

export const SLACK_TEST_TOKEN = 'xoxb-1111111111-2222222222-TestTokenValue0000000000'

export function createSlackState(init: Partial<SlackMockState> = {}): SlackMockState {
  const {baseUrl = 'https://slack.com/api/', ...rest} = init
  return {baseUrl, ...createSimulatorState({tokens: [SLACK_TEST_TOKEN], ...rest})}
}

export function slackHandlers(state: SlackMockState): HttpHandler[] {
  return [simulatorHandler(state.baseUrl, (request) => answerSlack(state, request).reply)]
}

/** Replies in the thread of a message, oldest first. */
export function repliesTo(state: SlackMockState, ts: string): SlackMockMessage[] {
  return state.messages.filter((message) => message.threadTs === ts)
}

/** Requests to one method, in order. */
export function callsTo(state: SlackMockState, method: string): RecordedSlackRequest[] {
  return state.requests.filter((request) => request.method === method)
}

/** Values that Slack would act on or format if they reached a mrkdwn text unescaped. */
export const HOSTILE_VALUES = ['<!channel>', '<https://evil|click>', '*bold*', '&lt;'] as const

/** Every mrkdwn text of a message: the fallback `text`, section texts and fields, context elements. */
export function mrkdwnTexts(message: {text?: string; blocks?: unknown}): string[] {
  const texts = typeof message.text === 'string' ? [message.text] : []
  for (const block of Array.isArray(message.blocks) ? (message.blocks as Array<Record<string, unknown>>) : []) {
    const objects = [block.text, ...((block.fields as unknown[]) ?? []), ...((block.elements as unknown[]) ?? [])]
    for (const object of objects as Array<{type?: string; text?: string} | undefined>) {
      if (object?.type === 'mrkdwn' && typeof object.text === 'string') texts.push(object.text)
    }
  }
  return texts
}

/** The mrkdwn texts of a recorded chat.postMessage / chat.update request. */
export function requestTexts(request: RecordedSlackRequest): string[] {
  return mrkdwnTexts({text: request.params.text, blocks: parseJson(request.params.blocks ?? '[]')})
}

/**
 * Problems with how hostile values appear in a mrkdwn text: a raw control sequence (`<!channel>`,
 * `<https://evil|click>`), an unescaped entity (`&lt;` that Slack would show as `<`), or `*bold*`
 * outside a code span (Slack would format it). Links jwkr writes itself (`<#C…>`) are allowed.
 */
export function injectionProblems(text: string): string[] {
  const problems: string[] = []
  const withoutOwnLinks = text.replace(/<#[CG][A-Z0-9]+>/g, '')
  if (/[<>]/.test(withoutOwnLinks)) problems.push(`raw < or > in ${JSON.stringify(text)}`)
  if (/&lt;(?!!channel|https:\/\/evil)/.test(text.replace(/&amp;lt;/g, '')))
    problems.push(`unescaped &lt; in ${JSON.stringify(text)}`)
  const spans = [...text.matchAll(/```[\s\S]*?```|`[^`]*`/g)].map(
    (match) => [match.index, match.index + match[0].length] as const,
  )
  for (let at = text.indexOf('*bold*'); at !== -1; at = text.indexOf('*bold*', at + 1)) {
    const start = at
    if (!spans.some(([from, to]) => start > from && start + 6 < to))
      problems.push(`*bold* outside code in ${JSON.stringify(text)}`)
  }
  return problems
}
