import {Flags} from '@oclif/core'
import Table from 'cli-table3'

import {JwkrCommand} from '../../cli/base-command.js'
import {formatDuration} from '../../core/duration.js'
import {homeFlag} from '../../cli/run-flags.js'
import {listIncidents, resolveHome, type IncidentSummary} from '../../incident/workspace.js'

export default class IncidentList extends JwkrCommand {
  static override summary = 'List incidents with their status and age.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --drills --json']
  static override flags = {...homeFlag, drills: Flags.boolean({description: 'Include drills.'})}

  async run(): Promise<{incidents: IncidentSummary[]}> {
    const {flags} = await this.parse(IncidentList)
    const incidents = await listIncidents(resolveHome({flag: flags.home}), {drills: flags.drills})
    if (!this.jsonEnabled()) {
      if (incidents.length === 0) this.log('No incidents yet. Start one with: jwkr respond --key <leaked key>')
      else {
        const table = new Table({head: ['id', 'status', 'age', 'playbook', 'thumbprint'], style: {head: [], border: []}})
        for (const i of incidents)
          table.push([
            i.drill ? `${i.id} (drill)` : i.id,
            i.status,
            formatDuration((i.age ?? 0) * 1000),
            i.playbook ?? '',
            i.thumbprint ?? '',
          ])
        this.log(table.toString())
      }
    }
    return {incidents}
  }
}
