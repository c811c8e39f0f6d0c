import {JwkrCommand} from '../../cli/base-command.js'
import {renderTable, tableFlags, tableView, type Column} from '../../cli/table.js'
import {builtinSteps} from '../../playbook/steps/index.js'

interface StepSummary {
  id: string
  title: string
  sideEffects: boolean
  requiresInventory: boolean
  description: string
}

const COLUMNS: Column<StepSummary>[] = [
  {name: 'step', value: (step) => step.id},
  {name: 'title', value: (step) => step.title},
  {
    name: 'notes',
    value: (step) =>
      [step.sideEffects ? 'changes things' : '', step.requiresInventory ? 'needs an inventory' : ''].filter(Boolean).join(', '),
  },
]

export default class StepList extends JwkrCommand {
  static override summary = 'List the steps playbooks can use.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --csv',
    '<%= config.bin %> <%= command.id %> --json',
  ]
  static override flags = {...tableFlags}

  async run(): Promise<{steps: StepSummary[]}> {
    const {flags} = await this.parse(StepList)
    const steps = builtinSteps().map((step) => ({
      id: step.id,
      title: step.title,
      sideEffects: step.sideEffects,
      requiresInventory: step.requiresInventory === true,
      description: step.description,
    }))
    if (!this.jsonEnabled()) this.log(renderTable(steps, COLUMNS, {view: tableView(flags)}))
    return {steps}
  }
}
