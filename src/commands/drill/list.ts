import {JwkrCommand} from '../../cli/base-command.js'
import {renderTable, tableFlags, tableView, type Column} from '../../cli/table.js'
import {listScenarios, type ScenarioSummary} from '../../drill/load-scenario.js'

const COLUMNS: Column<ScenarioSummary>[] = [
  {name: 'scenario', value: (s) => s.name},
  {name: 'description', value: (s) => s.description},
]

export default class DrillList extends JwkrCommand {
  static override summary = 'List the drill scenarios.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --columns scenario --no-header',
    '<%= config.bin %> <%= command.id %> --json',
  ]
  static override flags = {...tableFlags}

  async run(): Promise<{scenarios: ScenarioSummary[]}> {
    const {flags} = await this.parse(DrillList)
    const scenarios = await listScenarios()
    if (!this.jsonEnabled()) this.log(renderTable(scenarios, COLUMNS, {view: tableView(flags)}))
    return {scenarios}
  }
}
