// Playbooks that exercise every built-in step's input schema: for each step, a `with:` that misses its
// required inputs, one with an unknown input, and for each input a value of the wrong type, an empty
// string and an unknown word. Recorded once from the hand-written JSON Schemas (step-schemas.before.json)
// so the schemas declared with TypeBox can be held to the same verdicts and messages.
import type {JsonSchema} from '../../src/core/json-schema.js'

export interface StepSchemas {
  id: string
  inputSchema: JsonSchema
  outputSchema: JsonSchema
}

/** `{name: with}` for every case of one step. */
export function inputCases(step: StepSchemas): Record<string, Record<string, unknown>> {
  const properties = (step.inputSchema.properties ?? {}) as Record<string, unknown>
  const cases: Record<string, Record<string, unknown>> = {nothing: {}, 'unknown input': {bogus: 'x', kye: 'x'}}
  for (const name of Object.keys(properties)) {
    cases[`${name}: number`] = {[name]: 5}
    cases[`${name}: word`] = {[name]: 'nope'}
    cases[`${name}: empty string`] = {[name]: ''}
    cases[`${name}: list`] = {[name]: ['a', '', 3]}
    cases[`${name}: empty list`] = {[name]: []}
    cases[`${name}: mapping`] = {[name]: {a: 1}}
    cases[`${name}: true`] = {[name]: true}
    cases[`${name}: negative`] = {[name]: -1}
    cases[`${name}: null`] = {[name]: null}
  }
  return cases
}

/** One playbook holding a step of `uses` for each case (the case's name in a comment above it). */
export function corpusPlaybook(step: StepSchemas): string {
  const lines = ['apiVersion: jwkr/v1', 'kind: Playbook', 'name: probe', 'steps:']
  Object.entries(inputCases(step)).forEach(([name, input], index) => {
    lines.push(`  # ${name}`, `  - id: s${index}`, `    uses: ${step.id}`, `    with: ${JSON.stringify(input)}`)
  })
  return `${lines.join('\n')}\n`
}
