import {Args, Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {homeFlag} from '../../cli/run-flags.js'
import {closeIncident} from '../../incident/close-incident.js'
import type {IncidentState} from '../../core/journal/state.js'
import {resolveHome} from '../../incident/workspace.js'

export default class IncidentClose extends JwkrCommand {
  static override summary = 'Close an incident; its journal stays readable and verifiable.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> 2026-11-29-3f9a1c --reason "contained and reported"',
    '<%= config.bin %> <%= command.id %> 2026-11-29-3f9a1c --json',
  ]
  static override args = {id: Args.string({required: true, description: 'The incident id.'})}
  static override flags = {
    ...homeFlag,
    reason: Flags.string({description: 'Why it is closed.', default: 'closed by the responder'}),
  }

  async run(): Promise<IncidentState> {
    const {args, flags} = await this.parse(IncidentClose)
    const state = await closeIncident(resolveHome({flag: flags.home}), args.id, {reason: flags.reason, secrets: this.secrets})
    if (!this.jsonEnabled()) this.log(`Incident ${state.id} closed.`)
    return state
  }
}
