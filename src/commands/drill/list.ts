import {JwkrCommand} from '../../cli/base-command.js'
import {listScenarios, type ScenarioSummary} from '../../drill/load-scenario.js'

export default class DrillList extends JwkrCommand {
  static override summary = 'List the drill scenarios.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<{scenarios: ScenarioSummary[]}> {
    await this.parse(DrillList)
    const scenarios = await listScenarios()
    if (!this.jsonEnabled()) {
      const width = Math.max(...scenarios.map((s) => s.name.length))
      for (const s of scenarios) this.log(`${s.name.padEnd(width)}  ${s.description}`)
    }
    return {scenarios}
  }
}
