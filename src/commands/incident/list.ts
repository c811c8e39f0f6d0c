import {Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {homeFlag} from '../../cli/run-flags.js'
import {renderTable, tableFlags, tableView, type Column} from '../../cli/table.js'
import {formatSpan} from '../../core/duration.js'
import {countDrills, listIncidents, resolveHome, type IncidentSummary} from '../../incident/workspace.js'

const COLUMNS: Column<IncidentSummary>[] = [
  {name: 'id', value: (i) => (i.drill ? `${i.id} (drill)` : i.id)},
  {name: 'status', value: statusOf},
  {name: 'age', value: (i) => formatSpan(i.age ?? 0), sortKey: (i) => i.age ?? 0},
  {name: 'playbook', value: (i) => i.playbook ?? ''},
  {name: 'thumbprint', value: (i) => i.thumbprint ?? ''},
]

/** The status column in words: a broken journal, and a close that left containment unproven, say so. */
function statusOf(incident: IncidentSummary): string {
  if (incident.status === 'broken') return 'journal broken'
  return incident.closedUnproven ? 'closed (unproven)' : incident.status
}

export default class IncidentList extends JwkrCommand {
  static override summary = 'List incidents with their status and age.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --columns id,status --sort=-age',
    '<%= config.bin %> <%= command.id %> --csv --no-header',
    '<%= config.bin %> <%= command.id %> --drills --json',
  ]
  static override flags = {...homeFlag, ...tableFlags, drills: Flags.boolean({description: 'Include drills.'})}

  async run(): Promise<{incidents: IncidentSummary[]}> {
    const {flags} = await this.parse(IncidentList)
    const home = resolveHome({flag: flags.home})
    const incidents = await listIncidents(home, {drills: flags.drills})
    if (!this.jsonEnabled()) {
      if (incidents.length === 0) this.log(await nothingListed(home, flags.drills))
      else this.log(renderTable(incidents, COLUMNS, {view: tableView(flags)}))
      // On stderr, so that a piped table stays a table.
      for (const incident of incidents.filter((i) => i.status === 'broken')) {
        this.logToStderr(
          `Incident ${incident.id}: its journal fails verification, so its status cannot be read. Check it with: jwkr incident verify ${incident.id}`,
        )
      }
    }
    return {incidents}
  }
}

/** What an empty list says: where it looked, the drills it left out, and how to start. */
async function nothingListed(home: string, withDrills: boolean): Promise<string> {
  const drills = withDrills ? 0 : await countDrills(home)
  const left = drills === 0 ? '' : ` (${drills === 1 ? '1 drill is' : `${drills} drills are`} not listed: add --drills)`
  return `No incidents yet in ${home}${left}. Start one with: jwkr respond --key <leaked key>`
}
