// The questions of `jwkr inventory init` on a terminal: the issuer, its JWKS URL, a first service
// (its probe and cache lifetime) and the incident channel. Each answer is checked as it is typed (a
// URL, an id, a duration), so the file written always validates; an empty answer where one is
// optional leaves that part as a commented example.
import {input} from '@inquirer/prompts'

import {parseDuration} from '../core/duration.js'
import {INVENTORY_ID_PATTERN} from '../core/inventory/inventory-schema.js'
import type {InventoryAnswers} from '../core/inventory/inventory-skeleton.js'
import type {Interruption} from './interrupt.js'

export interface PromptStreams {
  input: NodeJS.ReadableStream
  output: NodeJS.WritableStream
}

/** Asks the questions; Ctrl-C at any of them is the interruption's (exit 130, nothing written). */
export async function askInventory(interruption: Interruption, streams: PromptStreams): Promise<InventoryAnswers> {
  const ask = (message: string, options: {default?: string; validate?: (value: string) => true | string} = {}) =>
    interruption.ask(async (signal) =>
      (
        await input(
          {message, ...(options.default === undefined ? {} : {default: options.default}), validate: options.validate},
          {input: streams.input, output: streams.output, signal, clearPromptOnDone: false},
        )
      ).trim(),
    )
  const issuer = await ask('Issuer: the iss claim of its tokens (https://…)', {validate: httpUrl})
  const jwksUri = await ask("The issuer's JWKS URL", {
    default: `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
    validate: httpUrl,
  })
  const issuerId = await ask('An id for this issuer (services name it in trusts)', {
    default: idFrom(issuer),
    validate: inventoryId,
  })
  const serviceId = await ask('A first service that trusts it: its id (empty: none yet)', {validate: optional(inventoryId)})
  let service: InventoryAnswers['service'] = null
  if (serviceId !== '') {
    const team = await ask('The team that owns it', {validate: required})
    const slack = await ask("The team's Slack channel (empty: none)", {default: `#${idFrom(team)}-oncall`})
    const probe = await ask('A URL it answers 401 to a bad token, to prove containment (empty: none)', {
      validate: optional(httpUrl),
    })
    const cache = await ask('How long it may keep a removed key in its JWKS cache (a duration)', {
      default: '10m',
      validate: duration,
    })
    service = {id: serviceId, team, slack: slack === '' ? null : channelOf(slack), probe: probe === '' ? null : probe, cache}
  }
  const channel = await ask('The Slack channel where the incident is announced (empty: none)', {default: '#sec-incidents'})
  return {issuerId, issuer, jwksUri, service, channel: channel === '' ? null : channelOf(channel)}
}

/** `#name` (a channel written without its #), a handle `@name` or a channel id as given. */
function channelOf(text: string): string {
  return /^[#@]/.test(text) || /^[CG][A-Z0-9]{8,}$/.test(text) ? text : `#${text}`
}

/** `auth` from https://auth.example.com; an id made of the text's letters otherwise. */
function idFrom(text: string): string {
  let base = text
  try {
    base = new URL(text).hostname.split('.')[0] ?? text
  } catch {
    // not a URL: the text itself
  }
  return (
    base
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+|-+$/g, '') || 'issuer'
  )
}

function required(value: string): true | string {
  return value.trim() === '' ? 'An answer is needed here.' : true
}

function optional(check: (value: string) => true | string): (value: string) => true | string {
  return (value) => (value.trim() === '' ? true : check(value))
}

function httpUrl(value: string): true | string {
  try {
    const url = new URL(value.trim())
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Give an http:// or https:// URL.'
    if (url.username !== '' || url.password !== '') return 'No credentials in the URL: jwkr reads them from the environment.'
    return true
  } catch {
    return 'Give a URL, like https://auth.example.com.'
  }
}

function inventoryId(value: string): true | string {
  return new RegExp(INVENTORY_ID_PATTERN).test(value.trim())
    ? true
    : 'Use letters, digits, ".", "_" and "-", starting with a letter or digit.'
}

function duration(value: string): true | string {
  try {
    parseDuration(value.trim())
    return true
  } catch {
    return 'Give a duration, like 600s, 10m or 1h.'
  }
}
