import {Args, Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {parseInputs, resolveInventoryPath, playbookHost, runPlaybookCommand} from '../../cli/run-playbook-command.js'
import {runFlags} from '../../cli/run-flags.js'
import type {RunResult} from '../../playbook/engine.js'
import {startRun} from '../../playbook/respond.js'

export default class PlaybookRun extends JwkrCommand {
  static override summary = 'Run any playbook in a new incident.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> inspect-only --key leaked.json',
    '<%= config.bin %> <%= command.id %> ./my-playbook.yaml --input key=leaked.json --input region=eu --yes',
    '<%= config.bin %> <%= command.id %> leaked-signing-key --key leaked.json --dry-run --json',
  ]
  static override args = {playbook: Args.string({required: true, description: 'A built-in playbook name or a playbook file.'})}
  static override flags = {
    key: Flags.string({char: 'k', description: 'Shorthand for --input key=SOURCE.'}),
    ...runFlags,
  }

  async run(): Promise<RunResult> {
    const {args, flags} = await this.parse(PlaybookRun)
    const inventoryPath = resolveInventoryPath(flags.inventory)
    const inputs = {...parseInputs(flags.input), ...(flags.key === undefined ? {} : {key: flags.key})}
    return runPlaybookCommand(playbookHost(this, this.secrets, flags), (context) =>
      startRun({
        ...context,
        secrets: this.secrets,
        yes: flags.yes,
        playbook: args.playbook,
        inputs,
        inventoryPath,
        dryRun: flags['dry-run'],
        discardDryRun: true,
      }),
    )
  }
}
