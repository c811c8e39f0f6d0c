import {Args} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {renderTimeline} from '../../cli/render-incident.js'
import {homeFlag} from '../../cli/run-flags.js'
import {readIncident} from '../../incident/read-incident.js'
import type {IncidentState} from '../../core/journal/state.js'
import {resolveHome} from '../../incident/workspace.js'

export default class IncidentShow extends JwkrCommand {
  static override summary = 'Show an incident: its steps and its timeline.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> 2026-11-29-3f9a1c',
    '<%= config.bin %> <%= command.id %> 2026-11-29-3f9a1c --json',
  ]
  static override args = {id: Args.string({required: true, description: 'The incident id.'})}
  static override flags = {...homeFlag}

  async run(): Promise<IncidentState> {
    const {args, flags} = await this.parse(IncidentShow)
    const state = await readIncident(resolveHome({flag: flags.home}), args.id)
    if (!this.jsonEnabled()) this.log(renderTimeline(state, this.style))
    return state
  }
}
