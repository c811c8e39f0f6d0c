// The step schemas come from TypeBox (one declaration gives the TypeScript type and the JSON Schema).
// These tests hold them to what the hand-written JSON Schemas they replaced said: the same schemas, and
// the same verdicts and messages for every case of step-schema-corpus.ts (`jwkr playbook validate`).
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {checkPlaybook} from '../../src/playbook/load-playbook.js'
import {createRegistry} from '../../src/playbook/registry.js'
import {builtinSteps} from '../../src/playbook/steps/index.js'
import {corpusPlaybook, type StepSchemas} from './step-schema-corpus.js'

const readJson = (name: string): unknown => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8'))
const before = readJson('./step-schemas.before.json') as StepSchemas[]
const verdicts = readJson('./step-input-verdicts.json') as Record<string, string[]>
const steps = builtinSteps()
const registry = createRegistry(steps)

describe('built-in step schemas', () => {
  it('are the steps the hand-written schemas described', () => {
    expect(steps.map((step) => step.id).sort()).toEqual(before.map((step) => step.id).sort())
  })

  describe.each(before)('$id', (old) => {
    const step = registry.get(old.id)

    it('has the same input and output JSON Schema as before', () => {
      // Given the schema the step declares now, as JSON (what ajv and `jwkr` print see)
      // Then it says what the hand-written one said
      expect(JSON.parse(JSON.stringify(step.inputSchema))).toEqual(old.inputSchema)
      expect(JSON.parse(JSON.stringify(step.outputSchema))).toEqual(old.outputSchema)
    })

    it('gives every invalid `with:` the verdicts and messages it had', () => {
      // Given a playbook with one step for each case of the corpus
      const problems = checkPlaybook(corpusPlaybook(old), 'p.yaml', registry).problems
      // Then `playbook validate` says exactly what it said before, at the same places
      expect(problems.map((p) => `${p.line}:${p.column}: ${p.message}`)).toEqual(verdicts[old.id])
    })
  })
})
