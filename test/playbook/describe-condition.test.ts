// Skip reasons for a false condition are words a responder reads, never the `${{ }}` text.
import {describe, expect, it} from 'vitest'

import {conditionSkipReason, foreseenSkipReason} from '../../src/playbook/describe-condition.js'

const scope = {
  inputs: {scanPaths: null, logs: ['a.log'], region: 'eu'},
  steps: {
    inspect: {outputs: {private: true, kty: 'RSA'}, status: 'succeeded'},
    check: {outputs: {}, status: 'skipped'},
  },
  incident: {id: 'i', drill: false},
  now: '2026-03-14T09:00:00.000Z',
}

describe('conditionSkipReason', () => {
  it.each([
    ['${{ steps.inspect.outputs.private && inputs.scanPaths }}', 'the input scanPaths was not given'],
    ['${{ !steps.inspect.outputs.private }}', "step inspect's output private is true"],
    [
      '${{ steps.check.outputs.contained == false && steps.check.outputs.clock.waitFor }}',
      "step check's output contained is not set (needed false) and step check's output clock.waitFor is not set",
    ],
    ["${{ steps.inspect.outputs.kty == 'EC' }}", `step inspect's output kty is "RSA" (needed "EC")`],
    ["${{ inputs.region != 'eu' }}", 'the input region is "eu" (needed anything but "eu")'],
    ['${{ incident.drill }}', "the incident's drill is false"],
    [
      '${{ inputs.scanPaths || steps.check.outputs.contained }}',
      "the input scanPaths was not given and step check's output contained is not set",
    ],
    ["${{ contains(inputs.logs, 'b.log') }}", "contains(inputs.logs, 'b.log') is false"],
  ])('%s → its condition is false: %s', (condition, words) => {
    // Given a condition that is false in the scope
    // When the engine words the skip
    const reason = conditionSkipReason(condition, scope)
    // Then it names what made it false, in words, and never shows the expression syntax
    expect(reason).toBe(`its condition is false: ${words}`)
    expect(reason).not.toContain('${{')
  })

  it('says only "its condition is false" for `if: false` and for text it cannot read', () => {
    expect(conditionSkipReason(false, scope)).toBe('its condition is false')
    expect(conditionSkipReason('${{ (( }}', scope)).toBe('its condition is false')
  })
})

describe('foreseenSkipReason: what the header says will be skipped before any step ran', () => {
  const scope = {inputs: {scanPaths: null, logs: ['/var/log']}, steps: {inspect: {outputs: {}, status: 'pending'}}}

  it('names a false part that reads only inputs, whatever the steps before return', () => {
    expect(foreseenSkipReason('${{ steps.inspect.outputs.private && inputs.scanPaths }}', scope)).toBe(
      'its condition is false: the input scanPaths was not given',
    )
  })

  it('says nothing while the condition depends on a step that has not run', () => {
    expect(foreseenSkipReason('${{ steps.inspect.outputs.private && inputs.logs }}', scope)).toBeUndefined()
    expect(foreseenSkipReason('${{ !steps.inspect.outputs.private }}', scope)).toBeUndefined()
    expect(foreseenSkipReason(undefined, scope)).toBeUndefined()
  })
})
