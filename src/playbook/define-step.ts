// Lets each step keep its own input and output types while the registry holds them all.
import type {StepDefinition} from './types.js'

export function defineStep<I, O>(definition: StepDefinition<I, O>): StepDefinition {
  return definition as unknown as StepDefinition
}
