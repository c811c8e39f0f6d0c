// How the engine meets the responder: on a terminal, each step's title, reason and plan, then a
// prompt (proceed / skip / abort) and a spinner on stderr; without one, a line per step on stderr
// and never a question. stdout stays free for the summary or the --json document.
import {confirm, select} from '@inquirer/prompts'
import ora, {type Ora} from 'ora'

import {formatDuration} from '../core/duration.js'
import type {SecretRegistry} from '../core/secrets.js'
import type {EngineUi, FailureAnswer, GateAnswer, StepOutcome} from '../playbook/engine.js'
import type {PlannedCall} from '../playbook/types.js'
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
}

export function createEngineUi(options: UiOptions): EngineUi {
  const streams = options.streams ?? {input: process.stdin, output: process.stderr}
  const style = createStyle(streams.output)
  /** Redacted, then made fit for the terminal: step titles and progress may quote untrusted text. */
  const safe = (text: string): string => forTerminal(options.secrets.redact(text), streams.output)
  const write = (text: string): void => {
    if (!options.quiet) streams.output.write(`${safe(text)}\n`)
  }
  const context = {input: streams.input, output: streams.output, clearPromptOnDone: false}
  let spinner: Ora | undefined
  const started = new Map<string, number>()

  return {
    interactive: options.interactive,
    stepStarting(step, definition) {
      started.set(step.id, Date.now())
      if (options.quiet) return
      const text = `${step.title ?? definition.title} ${style.dim(`(${step.id})`)}`
      if (streams.output.isTTY) spinner = ora({text: safe(text), stream: streams.output, discardStdin: false}).start()
      else write(`… ${text}`)
    },
    progress(step, update) {
      if (spinner) spinner.text = safe(`${step.title ?? step.id} — ${update.message}`)
    },
    notice(message) {
      write(`${style.yellow('!')} ${message}`)
    },
    stepFinished(outcome) {
      const took = started.has(outcome.id) ? ` ${style.dim(formatDuration(Date.now() - (started.get(outcome.id) ?? 0)))}` : ''
      const line = `${mark(outcome, style)} ${outcome.id} ${style.dim(outcome.uses)}${took}${detail(outcome)}`
      if (spinner) {
        spinner.stop()
        spinner = undefined
      }
      write(line)
    },
    async confirmStep(step, definition, plan, question): Promise<GateAnswer> {
      write(`\n${style.bold(step.title ?? definition.title)} ${style.dim(`${step.id} · ${step.uses}`)}`)
      write(`  ${step.description ?? definition.description}`)
      write(renderPlan(plan, style))
      return select<GateAnswer>(
        {
          message: safe(question),
          choices: [
            {name: 'Proceed', value: 'proceed'},
            {name: 'Skip this step', value: 'skip'},
            {name: 'Abort the run (resume later with jwkr incident resume)', value: 'abort'},
          ],
        },
        context,
      )
    },
    async onFailure(step, error): Promise<FailureAnswer> {
      write(`${style.red('✗')} ${step.id} failed: ${error.message}`)
      if (error.hint) write(`  ${style.dim('→')} ${error.hint}`)
      return select<FailureAnswer>(
        {
          message: 'What now?',
          choices: [
            {name: 'Retry the step', value: 'retry'},
            {name: 'Skip it and go on', value: 'skip'},
            {name: 'Abort the run', value: 'abort'},
          ],
        },
        context,
      )
    },
    async askPerson(step, title, lines) {
      write(`\n${style.bold(title)} ${style.dim(`(${step.id})`)}`)
      for (const [index, line] of lines.entries()) write(`  ${index + 1}. ${line}`)
      return confirm({message: 'Done?', default: false}, context)
    },
    async confirmRepeat(step, description) {
      write(
        `${style.yellow('!')} ${step.id}: jwkr cannot tell whether this already happened before the interruption: ${description}`,
      )
      return confirm({message: 'Do it (again)?', default: false}, context)
    },
  }
}

export function renderPlan(plan: PlannedCall[], style: Style): string {
  if (plan.length === 0) return `  ${style.dim('(no calls)')}`
  return plan
    .map((call) => `  ${style.cyan(call.kind.padEnd(7))} ${call.target}\n          ${style.dim(call.description)}`)
    .join('\n')
}

function mark(outcome: StepOutcome, style: Style): string {
  switch (outcome.status) {
    case 'succeeded':
      return style.green('✓')
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

function detail(outcome: StepOutcome): string {
  if (outcome.status === 'failed' && outcome.error) return ` — ${outcome.error.message}`
  if (outcome.status === 'skipped' && outcome.reason) return ` — ${outcome.reason}`
  return ''
}
