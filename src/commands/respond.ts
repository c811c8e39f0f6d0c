import {select} from '@inquirer/prompts'
import {Flags} from '@oclif/core'
import {resolve} from 'node:path'

import {JwkrCommand} from '../cli/base-command.js'
import {parseInputs, resolveInventoryPath, playbookHost, runPlaybookCommand} from '../cli/run-playbook-command.js'
import {runFlags} from '../cli/run-flags.js'
import type {RunResult} from '../playbook/engine.js'
import {resumeRun, startRun} from '../playbook/respond.js'
import {JwkrError} from '../core/errors.js'
import {prose} from '../core/prose.js'

export default class Respond extends JwkrCommand {
  static override summary = 'Respond to a leaked key: open an incident and run the playbook.'
  static override description =
    'Opens an incident for the key, then walks through the playbook (default: leaked-signing-key) step by step. ' +
    'On a terminal each step shows why it exists and what it will call before it runs; without one, steps with ' +
    'side effects need --yes. Everything is journaled: resume after a crash with `jwkr incident resume ID`. A key has ' +
    'one unfinished incident at a time: a second respond for it offers to resume that incident on a terminal, and is ' +
    'refused without one, naming the incident to resume (--new opens another anyway); one that was ' +
    'interrupted while being opened is taken over and started from the top.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> --key leaked.json',
    '<%= config.bin %> <%= command.id %> --key leaked.json --inventory jwkr.inventory.yaml --dry-run',
    '<%= config.bin %> <%= command.id %> --key leaked.json --yes --json',
    '<%= config.bin %> <%= command.id %> --key leaked.json --new',
    '<%= config.bin %> <%= command.id %> --key leaked.json --discover ~/src/platform --discover ~/src/services --backstage catalog-info.yaml',
  ]
  static override flags = {
    key: Flags.string({char: 'k', required: true, description: 'The leaked key: a file, "-" for stdin, or the key itself.'}),
    playbook: Flags.string({
      char: 'p',
      default: 'leaked-signing-key',
      description: 'A built-in playbook name or a playbook file.',
    }),
    new: Flags.boolean({
      description: 'Open a new incident even when the key already has an unfinished one (instead of resuming it).',
    }),
    ...runFlags,
    discover: Flags.string({
      description: prose`
        Without an inventory: a folder to discover who trusts which issuer from (repeatable; see jwkr inventory
        discover).`,
      multiple: true,
    }),
    backstage: Flags.string({description: 'Without an inventory: a Backstage catalog file or URL to discover owners from too.'}),
  }

  async run(): Promise<RunResult> {
    const {flags} = await this.parse(Respond)
    const inventoryPath = resolveInventoryPath(flags.inventory)
    const interactive = !flags.yes && !this.jsonEnabled() && process.stdin.isTTY === true && process.stderr.isTTY === true
    return runPlaybookCommand(playbookHost(this, this.secrets, flags), async (context) => {
      const start = (newIncident: boolean) =>
        startRun({
          ...context,
          secrets: this.secrets,
          yes: flags.yes,
          playbook: flags.playbook,
          inputs: {
            ...parseInputs(flags.input),
            key: flags.key,
            ...(flags.discover ? {discover: flags.discover.map((path) => resolve(path))} : {}),
            ...(flags.backstage
              ? {backstage: /^https?:\/\//i.test(flags.backstage) ? flags.backstage : resolve(flags.backstage)}
              : {}),
          },
          inventoryPath,
          dryRun: flags['dry-run'],
          discardDryRun: true,
          newIncident,
        })
      try {
        return await start(flags.new)
      } catch (error) {
        const open = waitingIncident(error)
        if (open === undefined || !interactive) throw error
        const choice = await select({
          message: `This key already has an unfinished incident, ${open.id} (${open.status}). What now?`,
          choices: [
            {name: `Resume ${open.id} where it stopped`, value: 'resume'},
            {name: 'Start a new incident for the same key (--new)', value: 'new'},
            {name: 'Stop here', value: 'stop'},
          ],
        })
        if (choice === 'resume') {
          return resumeRun({...context, id: open.id, secrets: this.secrets, yes: flags.yes, inventoryPath})
        }
        if (choice === 'new') return start(true)
        throw error
      }
    })
  }
}

/** The unfinished incident a refusal names, when nobody is driving it now (so it can be resumed here). */
function waitingIncident(error: unknown): {id: string; status: string} | undefined {
  if (!(error instanceof JwkrError) || error.code !== 'ERR_INCIDENT_OPEN') return undefined
  const details = error.details as {incident?: string; status?: string; driven?: boolean} | undefined
  if (details?.incident === undefined || details.driven) return undefined
  return {id: details.incident, status: details.status ?? 'unfinished'}
}
