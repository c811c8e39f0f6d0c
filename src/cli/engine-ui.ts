// The run view: how the engine meets the responder, on stderr (stdout stays free for the closing
// block or the --json document). A header when the run starts or resumes (incident, inventory, what
// will be skipped and why); one line per step saying what it did in words (counts, URLs, what
// changed) or why it was skipped; a live status line while a step runs (a countdown to containment's
// next check), printed as a heartbeat without a terminal. Questions only where a person decides:
// steps with side effects (proceed / skip / stop), decisions (yes / no), failures (retry / skip /
// abort, naming the command that redoes the step later). A prompt closed by Ctrl-C interrupts the run.
import {confirm, select} from '@inquirer/prompts'
import wrapAnsi from 'wrap-ansi'

import {formatDuration} from '../core/duration.js'
import type {SecretRegistry} from '../core/secrets.js'
import {CONDITION_FALSE} from '../playbook/describe-condition.js'
import type {EngineUi, FailureAnswer, GateAnswer, RunHeader, StepOutcome} from '../playbook/engine.js'
import type {PlaybookStep} from '../playbook/load-playbook.js'
import {needsAttention, summarizeStep} from '../playbook/step-summary.js'
import type {PlannedCall, StepProgress} from '../playbook/types.js'
import {listenForInterrupt, type Interruption} from './interrupt.js'
import {redoCommand} from './next-commands.js'
import {createStatusLine, nextCheckIn} from './status-line.js'
import {createStyle, forTerminal, type Style} from './style.js'

export interface UiStreams {
  input: NodeJS.ReadableStream
  output: NodeJS.WritableStream & {isTTY?: boolean}
}

export interface UiOptions {
  secrets: SecretRegistry
  /** Ask questions (a terminal on stdin and stderr, and not --yes). */
  interactive: boolean
  /** Print nothing but errors (--json). */
  quiet: boolean
  streams?: UiStreams
  /** The command's Ctrl-C handler: a prompt closed by Ctrl-C interrupts the run through it. */
  interruption?: Interruption
  /** Without a terminal: how often a running step's status is printed (default 20 s). */
  heartbeatMs?: number
  /** Told the run's header when the run starts (the closing block names the next command from it). */
  onHeader?: (header: RunHeader) => void
}

/** Step ids are padded to this width so results line up (longer ids just push their line). */
const ID_WIDTH = 13

export function createEngineUi(options: UiOptions): EngineUi {
  const streams = options.streams ?? {input: process.stdin, output: process.stderr}
  const style = createStyle(streams.output)
  /** Redacted, then made fit for the terminal: step titles and progress may quote untrusted text. */
  const safe = (text: string): string => forTerminal(options.secrets.redact(text), streams.output)
  const write = (text: string): void => {
    if (!options.quiet) streams.output.write(`${safe(text)}\n`)
  }
  /** A prefix, then a body wrapped to the terminal with its continuation lines under the body (no wrap in a log). */
  const hang: Hang = (prefix, width, body) => {
    const columns = streams.output.isTTY === true ? (streams.output as {columns?: number}).columns : undefined
    if (!columns || columns - width < 20) return `${prefix}${body}`
    return `${prefix}${wrapAnsi(body, columns - width - 1, {hard: true}).replace(/\n/g, `\n${' '.repeat(width)}`)}`
  }
  const interruption = options.interruption ?? listenForInterrupt()
  const context = (signal: AbortSignal) => ({input: streams.input, output: streams.output, clearPromptOnDone: false, signal})
  const status = createStatusLine({stream: streams.output, format: safe, heartbeatMs: options.heartbeatMs})
  const started = new Map<string, number>()
  /** Each started step's title (its own, else its definition's): the line of a step waited for shows it. */
  const titles = new Map<string, string>()
  let header: RunHeader | undefined
  /** Each step's latest progress: a step running beside the run reports while another one shows. */
  const latest = new Map<string, StepProgress>()
  /** The live line for a step: its id, seconds since it started, its latest progress or its title. */
  let shown: {step: PlaybookStep; title: string} | undefined
  const showLine = (step: PlaybookStep, title: string): void => {
    shown = {step, title}
    const since = started.get(step.id) ?? Date.now()
    // Plain text (no colour): the line is cut to the terminal's width.
    status.show(() => {
      const seconds = Math.floor((Date.now() - since) / 1000)
      const update = latest.get(step.id)
      const parts = [`${step.id}${seconds > 0 ? ` ${formatDuration(seconds * 1000)}` : ''}`]
      parts.push(update?.message ?? title)
      const next = nextCheckIn(update?.nextAt, new Date())
      if (next) parts.push(next)
      return parts.join(' · ')
    })
  }

  const line = (outcome: StepOutcome, step: PlaybookStep): string => {
    const took = started.has(outcome.id) ? ` ${style.dim(formatDuration(Date.now() - (started.get(outcome.id) ?? 0)))}` : ''
    const id = outcome.id.padEnd(ID_WIDTH)
    // Files in the incident's artifacts are named from there (the header and the closing block name the folder).
    const said = header ? result(outcome, step, style).replaceAll(header.artifacts, 'artifacts') : result(outcome, step, style)
    return hang(`${mark(outcome, step, style)} ${id} `, id.length + 3, `${said}${took}`)
  }

  return {
    interactive: options.interactive,
    runStarting(opening) {
      header = opening
      options.onHeader?.(opening)
      if (!options.quiet) write(renderHeader(opening, style, hang))
    },
    stepStarting(step, definition) {
      started.set(step.id, Date.now())
      titles.set(step.id, step.title ?? definition.title)
      latest.delete(step.id)
      if (!options.quiet) showLine(step, step.title ?? definition.title)
    },
    progress(step, update) {
      latest.set(step.id, update)
    },
    waitingFor(step) {
      if (!options.quiet) showLine(step, `${titles.get(step.id) ?? step.title ?? step.uses} (the run is waiting for it)`)
    },
    notice(message) {
      status.clear()
      write(`${style.yellow('!')} ${message}`)
    },
    stepFinished(outcome, step) {
      status.clear()
      write(line(outcome, step))
      // A step beside the run finished under another one's live line: that line comes back.
      if (shown && shown.step.id !== step.id && !options.quiet) showLine(shown.step, shown.title)
      else shown = undefined
    },
    async confirmStep(step, definition, plan, question): Promise<GateAnswer> {
      write(`\n${hang('', 2, `${style.bold(step.title ?? definition.title)} ${style.dim(`${step.id} · ${step.uses}`)}`)}`)
      write(hang('  ', 2, step.description ?? definition.description))
      write(renderPlan(plan, style, hang))
      const resume = header ? ` (resume later with jwkr incident resume ${header.incident})` : ''
      return interruption.ask((signal) =>
        select<GateAnswer>(
          {
            message: safe(question),
            choices: [
              {name: 'Proceed', value: 'proceed'},
              {name: 'Skip this step', value: 'skip'},
              {name: `Stop the run here${resume}`, value: 'abort'},
            ],
          },
          context(signal),
        ),
      )
    },
    async decide(step, definition, question): Promise<boolean> {
      write(`\n${hang('', 2, `${style.bold('Decision')} ${style.dim(`${step.id} · ${step.uses}`)}`)}`)
      write(hang('  ', 2, step.description ?? definition.description))
      return interruption.ask((signal) =>
        select<boolean>(
          {
            message: safe(question),
            choices: [
              {name: 'Yes, go on', value: true},
              {name: 'No, stop the run here (nothing after this step runs)', value: false},
            ],
          },
          context(signal),
        ),
      )
    },
    async onFailure(step, error): Promise<FailureAnswer> {
      status.clear()
      if (error.hint) write(`  ${style.dim('→')} ${error.hint}`)
      const incident = header?.incident ?? 'ID'
      const later = redoCommand(step.uses, {incident, key: header?.key ?? null})
      write(`  ${style.dim(`To redo it later: ${later}`)}`)
      return interruption.ask((signal) =>
        select<FailureAnswer>(
          {
            message: `${step.id} failed. What now?`,
            choices: [
              {name: 'Retry the step now', value: 'retry'},
              {name: 'Skip it and go on', value: 'skip'},
              {name: `Abort the run (resume later with jwkr incident resume ${incident})`, value: 'abort'},
            ],
          },
          context(signal),
        ),
      )
    },
    async askPerson(step, title, lines) {
      status.clear()
      write(`\n${style.bold(title)} ${style.dim(`(${step.id})`)}`)
      for (const [index, text] of lines.entries()) write(`  ${index + 1}. ${text}`)
      return interruption.ask((signal) => confirm({message: 'Done?', default: false}, context(signal)))
    },
    async confirmRepeat(step, description) {
      status.clear()
      write(
        `${style.yellow('!')} ${step.id}: jwkr cannot tell whether this already happened before the interruption: ${description}`,
      )
      return interruption.ask((signal) => confirm({message: 'Do it (again)?', default: false}, context(signal)))
    },
  }
}

/** The header of a run: the incident, its inventory, what is done already and what will be skipped. */
export function renderHeader(header: RunHeader, style: Style, hang: Hang = unwrapped): string {
  // A dry run's incident is a scratch one, gone when it ends: it is not named.
  const title = header.dryRun
    ? `Dry run${header.drill ? ' of a drill' : ''} (no change is made)`
    : `${style.bold(`${header.resumed ? 'Resuming incident' : 'Incident'} ${header.incident}`)}${header.drill ? ' (drill)' : ''}`
  const lines = [
    hang('', 2, `${header.dryRun ? style.bold(title) : title} · playbook ${header.playbook}`),
    `  Inventory: ${header.inventoryPath ?? 'none — the steps that need one are skipped'}`,
    `  Artifacts: ${header.dryRun ? 'none kept (a dry run keeps no incident)' : header.artifacts}`,
    ...(header.notes ?? []).map((note) => hang('  ', 2, note)),
  ]
  if (header.done.length > 0) lines.push(hang('  Done before: ', 15, `${header.done.join(', ')} (not run again)`))
  if (header.skippedBefore?.length)
    lines.push(hang('  Skipped before: ', 18, `${header.skippedBefore.join(', ')} (not run again)`))
  // Steps skipped for the same reason share a line: `locate, rotate, … — no inventory (…)`.
  const byReason = new Map<string, string[]>()
  for (const skip of header.willSkip) byReason.set(inWords(skip.reason), [...(byReason.get(inWords(skip.reason)) ?? []), skip.id])
  for (const [index, [reason, ids]] of [...byReason].entries()) {
    lines.push(hang(`  ${index === 0 ? 'Will skip:' : '          '} `, 13, `${ids.join(', ')} — ${reason}`))
  }
  return `${lines.join('\n')}\n`
}

/** A prefix, then a body whose continuation lines start under it (`width` columns in). */
export type Hang = (prefix: string, width: number, body: string) => string

const unwrapped: Hang = (prefix, _width, body) => `${prefix}${body}`

export function renderPlan(plan: PlannedCall[], style: Style, hang: Hang = unwrapped): string {
  if (plan.length === 0) return `  ${style.dim('(no calls)')}`
  return plan
    .map(
      (call) =>
        `${hang(`  ${style.cyan(call.kind.padEnd(7))} `, 10, call.target)}\n${hang(' '.repeat(10), 10, style.dim(call.description))}`,
    )
    .join('\n')
}

/** A skip reason as the view shows it: `the input scanPaths was not given`, not the engine's preamble. */
function inWords(reason: string): string {
  return reason.startsWith(`${CONDITION_FALSE}: `) ? reason.slice(CONDITION_FALSE.length + 2) : reason
}

function result(outcome: StepOutcome, step: PlaybookStep, style: Style): string {
  switch (outcome.status) {
    case 'succeeded':
      return summarizeStep(outcome.uses, outcome.outputs, step.with) ?? 'done'
    case 'failed':
      return style.red(`failed: ${outcome.error?.message ?? 'no reason recorded'}`)
    case 'skipped':
      return style.dim(`skipped: ${inWords(outcome.reason ?? 'no reason recorded')}`)
    case 'planned':
      return `would make ${outcome.plan?.length ?? 0} call(s)`
    default:
      return outcome.status
  }
}

function mark(outcome: StepOutcome, step: PlaybookStep, style: Style): string {
  switch (outcome.status) {
    case 'succeeded':
      // The step did its work, but what it found is not good: a ✓ would say it is.
      return needsAttention(outcome.uses, outcome.outputs, step.with) ? style.yellow('!') : style.green('✓')
    case 'failed':
      return style.red('✗')
    case 'skipped':
      return style.yellow('↷')
    case 'planned':
      return style.cyan('○')
    default:
      return style.dim('·')
  }
}
