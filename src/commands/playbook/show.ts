import {Args} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import type {Style} from '../../cli/style.js'
import {registerPlaybookSecrets, resolvePlaybook, type Playbook, type PlaybookInput} from '../../playbook/load-playbook.js'
import {createRegistry, type StepRegistry} from '../../playbook/registry.js'
import {builtinSteps} from '../../playbook/steps/index.js'
import {prose} from '../../core/prose.js'

export interface ShownStep {
  id: string
  uses: string
  title: string
  description: string
  sideEffects: boolean
  with: Record<string, unknown>
  if: string | null
  /** The question asked before the step, or false when the playbook says not to ask. */
  confirm: string | boolean | null
  onFailure: string
  retry: {attempts: number; backoff: string | null} | null
  timeout: string | null
}

export interface PlaybookShowResult {
  name: string
  description: string
  file: string
  digest: string
  inputs: Record<string, PlaybookInput>
  steps: ShownStep[]
}

export default class PlaybookShow extends JwkrCommand {
  static override summary = 'Show the steps of a playbook.'
  static override description = prose`
    Prints what a playbook will do, step by step: the registered step each one uses, why it exists, and its
    condition, confirmation question, retries and timeout. Checks the whole playbook first.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> leaked-signing-key',
    '<%= config.bin %> <%= command.id %> ./my-playbook.yaml',
    '<%= config.bin %> <%= command.id %> inspect-only --json',
  ]
  static override args = {playbook: Args.string({required: true, description: 'A built-in playbook name or a playbook file.'})}

  async run(): Promise<PlaybookShowResult> {
    const {args} = await this.parse(PlaybookShow)
    const registry = createRegistry(builtinSteps())
    const playbook = await resolvePlaybook(args.playbook, registry)
    registerPlaybookSecrets({inputs: playbook.inputs, steps: playbook.steps}, this.secrets)
    const result = describePlaybook(playbook, registry)
    if (!this.jsonEnabled()) this.log(renderPlaybook(result, this.style))
    return result
  }
}

function describePlaybook(playbook: Playbook, registry: StepRegistry): PlaybookShowResult {
  return {
    name: playbook.name,
    description: playbook.description,
    file: playbook.file,
    digest: playbook.digest,
    inputs: playbook.inputs,
    steps: playbook.steps.map((step) => {
      const definition = registry.get(step.uses)
      return {
        id: step.id,
        uses: step.uses,
        title: step.title ?? definition.title,
        description: step.description ?? definition.description,
        sideEffects: definition.sideEffects,
        with: step.with,
        if: step.if ?? null,
        confirm: step.confirm ?? null,
        onFailure: step.onFailure,
        retry: step.retry ? {attempts: step.retry.attempts, backoff: step.retry.backoff ?? null} : null,
        timeout: step.timeout ?? null,
      }
    }),
  }
}

function renderPlaybook(playbook: PlaybookShowResult, style: Style): string {
  const lines = [`${style.bold(playbook.name)} — ${playbook.description}`, style.dim(playbook.file), '']
  const inputs = Object.entries(playbook.inputs)
  if (inputs.length > 0) {
    lines.push('Inputs:')
    for (const [name, input] of inputs) {
      const traits = [input.type, input.required ? 'required' : 'optional']
      if (input.default !== undefined) traits.push(`default ${JSON.stringify(input.default)}`)
      lines.push(`  ${name} (${traits.join(', ')})${input.description ? ` — ${input.description}` : ''}`)
    }
    lines.push('')
  }
  lines.push('Steps:')
  playbook.steps.forEach((step, index) => {
    const effects = step.sideEffects ? style.yellow(' [changes things]') : ''
    lines.push(`  ${index + 1}. ${style.bold(step.id)}  ${step.uses} — ${step.title}${effects}`)
    lines.push(`     ${step.description}`)
    if (step.if !== null) lines.push(`     if: ${step.if}`)
    if (step.confirm !== null)
      lines.push(`     confirm: ${step.confirm === false ? 'no (runs without asking)' : String(step.confirm)}`)
    const run = [`on failure: ${step.onFailure}`]
    if (step.retry) run.push(`${step.retry.attempts} attempts${step.retry.backoff ? `, ${step.retry.backoff} apart` : ''}`)
    if (step.timeout) run.push(`timeout ${step.timeout}`)
    lines.push(style.dim(`     ${run.join(' · ')}`))
  })
  return lines.join('\n')
}
