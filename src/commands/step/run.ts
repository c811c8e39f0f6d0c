import {Args, Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {resolveInventoryPath, playbookHost, runPlaybookCommand} from '../../cli/run-playbook-command.js'
import {runFlags} from '../../cli/run-flags.js'
import {JwkrError} from '../../core/errors.js'
import type {RunResult} from '../../playbook/engine.js'
import {createRegistry} from '../../playbook/registry.js'
import {startRun} from '../../playbook/respond.js'
import {singleStepPlaybook} from '../../playbook/single-step.js'
import {builtinSteps} from '../../playbook/steps/index.js'
import {prose} from '../../core/prose.js'

export default class StepRun extends JwkrCommand {
  static override summary = 'Run one playbook step alone, in its own incident.'
  static override description = prose`
    Any registered step (jwkr step list) with its input as JSON. It is journaled, gated and resumable like a step of
    a full run: steps with side effects ask first on a terminal and need --yes without one.`
  static override examples = [
    `<%= config.bin %> <%= command.id %> key.inspect --with '{"key": "leaked.json"}'`,
    `<%= config.bin %> <%= command.id %> services.locate --with '{"key": "leaked.json"}' --inventory jwkr.inventory.yaml --json`,
    `<%= config.bin %> <%= command.id %> key.rotate --with '{"key": "leaked.json"}' --inventory jwkr.inventory.yaml --dry-run`,
  ]
  static override args = {uses: Args.string({required: true, description: 'The step id, e.g. key.inspect.'})}
  static override flags = {
    with: Flags.string({description: 'The step input as a JSON object.', default: '{}'}),
    ...runFlags,
  }

  async run(): Promise<RunResult> {
    const {args, flags} = await this.parse(StepRun)
    const input = parseWith(flags.with)
    this.secrets.addJwk(input)
    const playbook = singleStepPlaybook(args.uses, input, createRegistry(builtinSteps()))
    const inventoryPath = resolveInventoryPath(flags.inventory)
    const inputs = typeof input.key === 'string' ? {key: input.key} : {}
    return runPlaybookCommand(playbookHost(this, this.secrets, flags), (context) =>
      startRun({
        ...context,
        secrets: this.secrets,
        yes: flags.yes,
        playbook,
        inputs,
        inventoryPath,
        dryRun: flags['dry-run'],
        discardDryRun: true,
      }),
    )
  }
}

function parseWith(text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new JwkrError('ERR_USAGE', '--with is not valid JSON.', {
      hint: `Write the input as a JSON object, e.g. --with '{"key": "leaked.json"}'.`,
      exitCode: 2,
    })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new JwkrError('ERR_USAGE', '--with must be a JSON object.', {
      hint: `e.g. --with '{"key": "leaked.json"}'.`,
      exitCode: 2,
    })
  }
  return value as Record<string, unknown>
}
