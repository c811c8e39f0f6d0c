import {Args, Flags} from '@oclif/core'
import {resolve} from 'node:path'

import {JwkrCommand} from '../../cli/base-command.js'
import {listenForInterrupt} from '../../cli/interrupt.js'
import {askInventory} from '../../cli/inventory-prompts.js'
import {formatWarnings, type Problem} from '../../core/yaml/load-yaml-document.js'
import {assertNoInventoryAt, initInventory} from '../../services/inventory.js'

export interface InventoryInitResult {
  /** The file written. */
  file: string
  /** Asked on a terminal (true), or a skeleton of example values to replace (false). */
  interactive: boolean
  issuers: number
  services: number
  /** What `jwkr inventory validate` warns about in it (not counting the environment). */
  warnings: Problem[]
}

export default class InventoryInit extends JwkrCommand {
  static override summary = 'Write a first inventory: asked on a terminal, a commented skeleton otherwise.'
  static override description =
    'On a terminal, asks for the issuer (its iss claim and JWKS URL), a first service that trusts it (its team, ' +
    'Slack channel, probe URL and cache lifetime) and the Slack channel of incidents, and writes them with a comment ' +
    'on every field. Without a terminal, or with --yes, writes a skeleton of example values (example.com) to replace. ' +
    'Either file passes `jwkr inventory validate`. An existing file is never overwritten unless --force is given.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> ops/jwkr.inventory.yaml',
    '<%= config.bin %> <%= command.id %> --yes --force',
    '<%= config.bin %> <%= command.id %> --yes --json',
  ]
  static override args = {
    file: Args.string({description: 'Where to write it.', default: 'jwkr.inventory.yaml'}),
  }
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Ask nothing: write the commented skeleton of example values.'}),
    force: Flags.boolean({char: 'f', description: 'Overwrite the file when it exists.'}),
  }

  async run(): Promise<InventoryInitResult> {
    const {args, flags} = await this.parse(InventoryInit)
    const file = resolve(args.file)
    const interactive = !flags.yes && !this.jsonEnabled() && process.stdin.isTTY === true && process.stderr.isTTY === true
    // Refused before the first question: nobody answers them for a file that will not be written.
    if (!flags.force) assertNoInventoryAt(file)
    let answers = null
    if (interactive) {
      const interruption = listenForInterrupt()
      try {
        answers = await askInventory(interruption, {input: process.stdin, output: process.stderr})
      } finally {
        interruption.dispose()
      }
    }
    const {check} = await initInventory(file, answers, {force: flags.force, secrets: this.secrets})
    const result: InventoryInitResult = {
      file,
      interactive,
      issuers: check.inventory?.issuers.length ?? 0,
      services: check.inventory?.services.length ?? 0,
      warnings: check.warnings,
    }
    if (this.jsonEnabled()) return result
    this.log(`Wrote ${file}${interactive ? '' : ': a skeleton of example values (example.com) to replace with your own'}.`)
    if (check.warnings.length > 0) this.logToStderr(formatWarnings(check.warnings))
    this.log(`Check it after each change: jwkr inventory validate ${args.file}`)
    return result
  }
}
