// Declares a step whose input and output types come from its TypeBox schemas: `plan` and `run` see
// `Static<typeof inputSchema>` and must return `Static<typeof outputSchema>`, and the definition keeps
// those types (steps are held by the registry as StepDefinition, which every typed step is).
import type {TSchema} from './step-schema.js'
import type {TypedStepDefinition} from './types.js'

export function defineStep<In extends TSchema, Out extends TSchema>(
  definition: TypedStepDefinition<In, Out>,
): TypedStepDefinition<In, Out> {
  return definition
}
