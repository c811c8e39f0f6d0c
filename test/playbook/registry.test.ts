import {describe, expect, it} from 'vitest'

import {JwkrError} from '../../src/core/errors.js'
import {createRegistry, StepRegistry} from '../../src/playbook/registry.js'
import {fakeSteps} from './fake-steps.js'

function thrown(run: () => unknown): JwkrError {
  try {
    run()
  } catch (error) {
    if (error instanceof JwkrError) return error
    throw error
  }
  throw new Error('expected a JwkrError')
}

describe('StepRegistry', () => {
  it('registers steps and lists them sorted by id', () => {
    // Given the fake steps, registered out of order
    const registry = createRegistry([...fakeSteps()].reverse())
    // Then they are all there, sorted
    expect(registry.ids()).toEqual(['core.approve', 'core.note', 'key.inspect', 'notify.flag'])
    expect(registry.has('key.inspect')).toBe(true)
    expect(registry.get('key.inspect').title).toBe('Fake key.inspect')
    expect(registry.list().map((step) => step.id)).toEqual(registry.ids())
  })

  it('refuses a duplicate id', () => {
    // Given a registry that already has key.inspect
    const registry = createRegistry(fakeSteps())
    // When key.inspect is registered again
    const error = thrown(() => registry.register(fakeSteps()[0]!))
    // Then it is refused and the first definition stays
    expect(error.code).toBe('ERR_STEP_DEFINITION_INVALID')
    expect(error.message).toBe('The step key.inspect is registered twice.')
    expect(registry.ids()).toHaveLength(4)
  })

  it('refuses ids that are not <area>.<verb>', () => {
    for (const id of ['inspect', 'Key.inspect', 'key.', '.inspect', 'key.inspect.more', 'key inspect']) {
      const error = thrown(() => new StepRegistry().register({...fakeSteps()[0]!, id}))
      expect(error.code, id).toBe('ERR_STEP_DEFINITION_INVALID')
      expect(error.message).toContain(`not '${id}'`)
    }
  })

  it('fails on an unknown id with the registered ids and the closest match', () => {
    // Given the fake steps
    const registry = createRegistry(fakeSteps())
    // When a misspelt step is asked for
    const error = thrown(() => registry.get('key.inspcet'))
    // Then the error names the closest id and lists them all
    expect(error.code).toBe('ERR_PLAYBOOK_UNKNOWN_STEP')
    expect(error.message).toBe(
      "Unknown step 'key.inspcet' (did you mean 'key.inspect'?); registered steps: core.approve, core.note, key.inspect, notify.flag.",
    )
    expect(error.details).toMatchObject({step: 'key.inspcet', suggestion: 'key.inspect'})
  })

  it('suggests nothing for an id that is not close to any', () => {
    const registry = createRegistry(fakeSteps())
    expect(registry.closest('report.render')).toBeUndefined()
    expect(thrown(() => registry.get('report.render')).message).not.toContain('did you mean')
  })
})
