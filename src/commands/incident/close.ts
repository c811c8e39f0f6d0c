import {Args, Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {homeFlag} from '../../cli/run-flags.js'
import {closeIncident} from '../../incident/close-incident.js'
import {unprovenWords, type IncidentState} from '../../core/journal/state.js'
import {resolveHome} from '../../incident/workspace.js'

export default class IncidentClose extends JwkrCommand {
  static override summary = 'Close an incident; its journal stays readable and verifiable.'
  static override description =
    'An incident whose containment was not proven (a service still accepts the key, a check never ran, the run was ' +
    'stopped) is closed only by an explicit choice: on a terminal jwkr says what is missing and asks; without one, ' +
    'or with --json, it refuses unless --yes is given. The journal then records that it was closed unproven, and why.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> 2026-11-29-3f9a1c --reason "contained and reported"',
    '<%= config.bin %> <%= command.id %> 2026-11-29-3f9a1c --yes --reason "service retired; accepted the risk"',
    '<%= config.bin %> <%= command.id %> 2026-11-29-3f9a1c --json',
  ]
  static override args = {id: Args.string({required: true, description: 'The incident id.'})}
  static override flags = {
    ...homeFlag,
    reason: Flags.string({description: 'Why it is closed.', default: 'closed by the responder'}),
    yes: Flags.boolean({
      char: 'y',
      description: 'Close it even though containment was not proven (needed without a terminal); the journal records it.',
    }),
  }

  async run(): Promise<IncidentState> {
    const {args, flags} = await this.parse(IncidentClose)
    const json = this.jsonEnabled()
    const terminal = !json && process.stdin.isTTY === true && process.stderr.isTTY === true
    const state = await closeIncident(resolveHome({flag: flags.home}), args.id, {
      reason: flags.reason,
      secrets: this.secrets,
      acceptUnproven: flags.yes,
      ...(terminal
        ? {
            confirmUnproven: async (outcome, id) => {
              this.logToStderr(`${this.style.yellow('!')} Incident ${id}: ${outcome.summary}.`)
              const {confirm} = await import('@inquirer/prompts')
              return confirm({message: 'Close it with containment not proven?', default: false}, {output: process.stderr})
            },
          }
        : {}),
    })
    if (!json) {
      // ` with containment not proven` (or not attempted) when the responder closed it so.
      const unproven = unprovenWords(state.closedUnproven)
      if (state.closedUnproven) {
        this.logToStderr(`${this.style.yellow('!')} Closed${unproven}: ${state.closedUnproven.missing.join('; ')}.`)
      }
      this.log(`Incident ${state.id} closed${unproven}.`)
    }
    return state
  }
}
