import {JwkrCommand} from '../../cli/base-command.js'
import {builtinSteps} from '../../playbook/steps/index.js'

interface StepSummary {
  id: string
  title: string
  sideEffects: boolean
  requiresInventory: boolean
  description: string
}

export default class StepList extends JwkrCommand {
  static override summary = 'List the steps playbooks can use.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<{steps: StepSummary[]}> {
    await this.parse(StepList)
    const steps = builtinSteps().map((step) => ({
      id: step.id,
      title: step.title,
      sideEffects: step.sideEffects,
      requiresInventory: step.requiresInventory === true,
      description: step.description,
    }))
    if (!this.jsonEnabled()) {
      const width = Math.max(...steps.map((step) => step.id.length))
      for (const step of steps) {
        const marks = [step.sideEffects ? 'changes things' : '', step.requiresInventory ? 'needs an inventory' : ''].filter(
          Boolean,
        )
        this.log(`${step.id.padEnd(width)}  ${step.title}${marks.length ? ` (${marks.join(', ')})` : ''}`)
      }
    }
    return {steps}
  }
}
