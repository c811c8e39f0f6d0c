// The Slack status message of an incident, as Block Kit JSON: one message that always says where
// things stand (severity, thumbprint, phase, contained services n/m, next step), and one thread reply
// per finished step. Pure: the facts come from the folded journal, every value that jwkr did not
// write itself is escaped (mrkdwn.ts). These bodies can move to templates/ once the Handlebars
// environment lands; the facts (`slackStatusFacts`) stay the input either way.
import {basename, isAbsolute} from 'node:path'

import {mrkdwnCode, mrkdwnCodeBlock, mrkdwnText} from './mrkdwn.js'

/** The parts of an incident's folded state the message reads (src/incident's IncidentState fits). */
export interface IncidentView {
  id: string
  thumbprint: string | null
  kid: string | null
  drill: boolean
  status: string
  steps: Record<string, StepView>
  /** Playbook order. */
  stepOrder: string[]
}

export interface StepView {
  status: string
  uses: string | undefined
  title: string | undefined
  outputs: Record<string, unknown> | undefined
  error: {code: string; message: string} | undefined
  reason: string | undefined
  finishedAt: string | undefined
}

export type IncidentPhase = 'triage' | 'identify' | 'locate' | 'contain' | 'prove' | 'report' | 'closed'

export interface SlackStatusFacts {
  incident: string
  drill: boolean
  /** From key.inspect (`critical` for private material), null before it ran. */
  severity: string | null
  thumbprint: string | null
  kid: string | null
  /** The kids services.locate saw the key published under (what relying parties match on); [] before it ran. */
  publishedKids: string[]
  phase: IncidentPhase
  /** The incident's status: open, running, completed, failed, waiting, aborted, paused, closed. */
  status: string
  /**
   * Services proven to reject the leaked key (containment.verify), of those that depend on it
   * (services.locate: 0 of them until the proof); null before either ran.
   */
  contained: {done: number; total: number} | null
  /** The step running now, or the next one to run; null when none is left. */
  nextStep: string | null
  failedSteps: string[]
  updatedAt: string
}

/** A Block Kit text object. */
export type SlackText = {type: 'mrkdwn'; text: string} | {type: 'plain_text'; text: string; emoji?: boolean}

/**
 * The Block Kit blocks jwkr posts. Core knows no SDK, so they are declared here; they are the shapes
 * of @slack/web-api's HeaderBlock, SectionBlock and ContextBlock, which the adapter passes them as.
 */
export type SlackBlock =
  | {type: 'header'; text: {type: 'plain_text'; text: string; emoji?: boolean}}
  | {type: 'section'; text: SlackText}
  | {type: 'section'; fields: SlackText[]}
  | {type: 'context'; elements: SlackText[]}

/** A message body for chat.postMessage / chat.update: `text` is the notification fallback. */
export interface SlackMessage {
  text: string
  blocks: SlackBlock[]
}

/** Which part of the response a step belongs to, by its `uses`; unlisted steps (core.*, notify.*) change nothing. */
const PHASES: ReadonlyArray<[RegExp, IncidentPhase]> = [
  [/^key\.inspect$/, 'identify'],
  [/^(services|code)\./, 'locate'],
  [/^(key\.(rotate|revoke|remove|publish)|tokens\.invalidate|denylist\.|cache\.|sessions\.|idp\.)/, 'contain'],
  [/^(containment\.|tokens\.scan|proof\.)/, 'prove'],
  [/^report\./, 'report'],
]

const PHASE_LABEL: Record<IncidentPhase, string> = {
  triage: 'Triage',
  identify: 'Identify the key',
  locate: 'Locate',
  contain: 'Contain',
  prove: 'Prove containment',
  report: 'Report',
  closed: 'Closed',
}

const STATUS_MARK: Record<string, string> = {succeeded: '✅', failed: '❌', skipped: '⏭️', running: '⏳', pending: '•'}

/**
 * The facts the status message shows, folded from the incident's state.
 *
 * @example slackStatusFacts(foldIncident(journal.events()), new Date())
 */
export function slackStatusFacts(state: IncidentView, now: Date): SlackStatusFacts {
  const steps = state.stepOrder.flatMap((id) => (state.steps[id] ? [{id, ...state.steps[id]}] : []))
  const outputsOf = (pattern: RegExp) =>
    steps.filter((step) => step.status === 'succeeded' && pattern.test(step.uses ?? '')).at(-1)?.outputs
  const inspect = outputsOf(/^key\.inspect$/)
  const locate = outputsOf(/^services\.locate$/)
  const dependents = stringList(locate?.dependents)
  const proof = containedOf(outputsOf(/^containment\.verify$/))
  const next = steps.find((step) => step.status === 'running') ?? steps.find((step) => step.status === 'pending')
  return {
    incident: state.id,
    drill: state.drill,
    severity: typeof inspect?.severity === 'string' ? inspect.severity : null,
    thumbprint: state.thumbprint,
    kid: state.kid,
    publishedKids: stringList(locate?.publishedKids) ?? [],
    phase: phaseOf(state, steps),
    status: state.status,
    contained: proof ?? (dependents === undefined ? null : {done: 0, total: dependents.length}),
    nextStep: next ? (next.title ?? next.id) : null,
    failedSteps: steps.filter((step) => step.status === 'failed').map((step) => step.title ?? step.id),
    updatedAt: now.toISOString(),
  }
}

/** The status message: an optional DRILL banner, the facts as fields, and a context line. */
export function buildSlackStatus(facts: SlackStatusFacts): SlackMessage {
  const contained = facts.contained ? `${facts.contained.done}/${facts.contained.total}` : 'not located yet'
  const next = facts.nextStep === null ? 'none: the run is over' : mrkdwnText(facts.nextStep)
  const blocks: SlackBlock[] = []
  if (facts.drill) {
    blocks.push({
      type: 'header',
      text: {type: 'plain_text', text: '🧪 DRILL: this is an exercise, not a real incident', emoji: true},
    })
  }
  blocks.push(
    {
      type: 'section',
      text: {type: 'mrkdwn', text: `*Leaked signing key* · incident ${mrkdwnCode(facts.incident)} · ${statusWord(facts.status)}`},
    },
    {
      type: 'section',
      fields: [
        field('Severity', facts.severity === null ? 'not assessed yet' : mrkdwnText(facts.severity.toUpperCase())),
        field('Phase', PHASE_LABEL[facts.phase]),
        field('Thumbprint (RFC 7638)', mrkdwnCode(facts.thumbprint)),
        field(facts.publishedKids.length > 0 ? 'kid as published' : 'kid (a hint, not an identity)', kidsText(facts)),
        field('Contained services', contained),
        field('Next step', next),
      ],
    },
  )
  if (facts.failedSteps.length > 0) {
    blocks.push({
      type: 'section',
      text: {type: 'mrkdwn', text: `*Failed steps:* ${facts.failedSteps.map((name) => mrkdwnText(name)).join(', ')}`},
    })
  }
  blocks.push({
    type: 'context',
    elements: [{type: 'mrkdwn', text: `Updated ${facts.updatedAt} by jwkr · details of each step in the thread`}],
  })
  const text =
    `${facts.drill ? '[DRILL] ' : ''}Leaked signing key ${mrkdwnCode(facts.thumbprint)}: ${PHASE_LABEL[facts.phase]}, ` +
    `${contained} services contained, next: ${next}`
  return {text, blocks}
}

/** The thread reply for one finished step: what it was, how it ended, and its scalar outputs. */
export function buildStepReply(id: string, step: StepView): SlackMessage {
  const headline = `${STATUS_MARK[step.status] ?? '•'} Step ${mrkdwnText(step.title ?? id)} (${mrkdwnCode(id)}) ${mrkdwnText(step.status)}`
  const blocks: SlackBlock[] = [{type: 'section', text: {type: 'mrkdwn', text: headline}}]
  if (step.status === 'failed' && step.error) {
    blocks.push({
      type: 'section',
      text: {type: 'mrkdwn', text: `${mrkdwnCode(step.error.code)}\n${mrkdwnCodeBlock(step.error.message)}`},
    })
  }
  if (step.status === 'skipped' && step.reason) {
    blocks.push({type: 'section', text: {type: 'mrkdwn', text: `Skipped: ${mrkdwnCodeBlock(step.reason)}`}})
  }
  const outputs = scalarOutputs(step.outputs)
  if (outputs.length > 0)
    blocks.push({type: 'section', fields: outputs.map(([key, value]) => field(mrkdwnText(key), mrkdwnCode(value)))})
  return {text: headline, blocks}
}

/**
 * The notice posted in a team's channel named as a contact (channels cannot be invited): which key,
 * and where the incident is followed.
 */
export function buildContactNotice(facts: SlackStatusFacts, incidentChannel: {id: string; name: string}): SlackMessage {
  // `<#C…>` is a link jwkr writes itself, and only around an id Slack gave it.
  const where = /^[CG][A-Z0-9]+$/.test(incidentChannel.id) ? `<#${incidentChannel.id}>` : mrkdwnCode(`#${incidentChannel.name}`)
  const text =
    `${facts.drill ? '[DRILL] ' : ''}:rotating_light: A leaked signing key (${mrkdwnCode(facts.thumbprint)}, kid ` +
    `${kidsText(facts)}) affects services of your team. Incident ${mrkdwnCode(facts.incident)} is followed in ${where}.`
  return {text, blocks: [{type: 'section', text: {type: 'mrkdwn', text}}]}
}

/** The kids relying parties see (as published), else the key file's own; a dash when neither is known. */
function kidsText(facts: SlackStatusFacts): string {
  return facts.publishedKids.length > 0 ? facts.publishedKids.map((kid) => mrkdwnCode(kid)).join(', ') : mrkdwnCode(facts.kid)
}

function phaseOf(state: IncidentView, steps: Array<StepView & {id: string}>): IncidentPhase {
  if (state.status === 'closed') return 'closed'
  let phase: IncidentPhase = 'triage'
  for (const step of steps) {
    if (step.status === 'pending') continue
    const found = PHASES.find(([pattern]) => pattern.test(step.uses ?? ''))
    if (found) phase = found[1]
  }
  return phase
}

function statusWord(status: string): string {
  const words: Record<string, string> = {
    open: 'opened',
    running: 'in progress',
    completed: 'playbook completed',
    failed: 'playbook finished with failed steps',
    waiting: 'waiting for a responder',
    aborted: 'stopped by the responder',
    paused: 'paused (interrupted; it resumes)',
    closed: 'closed',
  }
  return words[status] ?? mrkdwnText(status)
}

/** A Block Kit field (at most 10 per section, 2,000 characters each: the values are cut before). */
function field(label: string, value: string): SlackText {
  return {type: 'mrkdwn', text: `*${label}*\n${value}`}
}

/**
 * Up to 8 string, number or boolean outputs (Block Kit allows 10 fields a section). A file the step
 * wrote is named by its name: a path on the responder's machine means nothing in a channel.
 */
function scalarOutputs(outputs: Record<string, unknown> | undefined): Array<[string, string]> {
  return Object.entries(outputs ?? {})
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .slice(0, 8)
    .map(([key, value]) => [key, typeof value === 'string' && isAbsolute(value) ? basename(value) : String(value)])
}

/** containment.verify's `services: {contained, exposed, unknown}` counts. */
function containedOf(outputs: Record<string, unknown> | undefined): {done: number; total: number} | undefined {
  const counts = outputs?.services as Record<string, unknown> | undefined
  const count = (name: string) => (typeof counts?.[name] === 'number' ? (counts[name] as number) : 0)
  if (!counts || typeof counts.contained !== 'number') return undefined
  return {done: count('contained'), total: count('contained') + count('exposed') + count('unknown')}
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined
}
