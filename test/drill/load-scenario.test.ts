import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {JwkrError} from '../../src/core/errors.js'
import {listScenarios, loadScenario, parseScenario} from '../../src/drill/load-scenario.js'
import {rejection} from './helpers.js'

describe('drill scenarios', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jwkr-scenario-'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('lists the six built-in scenarios, basic first, each loading with its faults and expectations', async () => {
    // Given the scenarios shipped in playbooks/drills
    // When they are listed and each is loaded
    const scenarios = await listScenarios()
    const loaded = await Promise.all(scenarios.map((scenario) => loadScenario(scenario.name)))

    // Then all six are there, each says what it rehearses, and each injects what its name promises
    expect(scenarios.map((scenario) => scenario.name)).toEqual([
      'basic',
      'flaky-slack',
      'github-outage',
      'jwks-serves-private',
      'kidless-leak',
      'stubborn-cache',
    ])
    for (const scenario of loaded) expect(scenario.description.length).toBeGreaterThan(40)
    const byName = Object.fromEntries(loaded.map((scenario) => [scenario.name, scenario]))
    expect(byName.basic?.faults).toEqual({jwksServesPrivate: false, leakWithoutKid: false, services: [], slack: [], github: []})
    expect(byName.basic?.world.verifiers).toEqual(['get-jwks', 'jwks-rsa', 'jose', 'jose', 'express-oauth2-jwt-bearer'])
    expect(byName['kidless-leak']?.faults.leakWithoutKid).toBe(true)
    expect(byName['kidless-leak']?.world.verifiers).toEqual(['jose', 'jwks-rsa'])
    expect(byName['stubborn-cache']?.faults.services).toEqual([{service: 3, behaviour: 'stubborn-cache', cacheSeconds: 600}])
    expect(byName['stubborn-cache']?.expect.cacheBust).toEqual([3])
    expect(byName['flaky-slack']?.faults.slack).toEqual([
      {method: 'chat.postMessage', replies: [{status: 429, retryAfter: 1}, {status: 500}], repeat: false},
    ])
    expect(byName['github-outage']?.faults.github[0]).toMatchObject({route: 'POST /repos/{owner}/{repo}/issues', repeat: true})
    expect(byName['github-outage']?.expect.trackingIssue).toBe('reported')
    expect(byName['jwks-serves-private']?.faults.jwksServesPrivate).toBe(true)
    expect(byName['jwks-serves-private']?.expect.privateMembersFound).toBe(true)
    for (const scenario of loaded) expect(scenario.expect).toMatchObject({contained: true, slackStatusPosted: true})
  })

  it('fills in the defaults of a minimal scenario file', async () => {
    // Given a scenario with only the required keys
    const file = join(dir, 'quiet-night.yaml')
    await writeFile(file, 'apiVersion: jwkr/v1\nkind: DrillScenario\nname: quiet-night\ndescription: Nothing goes wrong.\n')

    // When it is loaded by path
    const scenario = await loadScenario(file)

    // Then the world and the expectations have their documented defaults
    expect(scenario).toMatchObject({
      name: 'quiet-night',
      services: 5,
      world: {cacheSeconds: [2, 3, 4, 5, 6], denylistGuard: [2, 4], tokenLifetimeSeconds: 300, verifiers: ['jose']},
      expect: {
        contained: true,
        forgeriesAtLeast: 1,
        slackStatusPosted: true,
        trackingIssue: 'created',
        privateMembersFound: false,
        cacheBust: [],
      },
    })
  })

  it('reports every problem of a bad scenario with its line and column', () => {
    // Given a scenario with a typo, an unknown Slack method and a status that is not an error
    const text = [
      'apiVersion: jwkr/v1',
      'kind: DrillScenario',
      'name: broken',
      'description: Bad.',
      'faults:',
      '  slack:',
      '    - method: chat.postMesage',
      '      replies: [{status: 200}]',
      'expect:',
      '  containd: true',
      '',
    ].join('\n')

    // When it is parsed
    const error = captureError(() => parseScenario(text, 'broken.yaml'))

    // Then each problem is named at its place, with a hint
    expect(error.code).toBe('ERR_DRILL_SCENARIO_INVALID')
    expect(error.message).toContain('broken.yaml:7:15: ')
    expect(error.message).toContain('broken.yaml:8:')
    expect(error.message).toMatch(/broken\.yaml:10:3: unknown property 'containd' \(did you mean 'contained'\?\)/)
    expect(error.hint).toContain('basic.yaml')
    expect((error.details?.problems as unknown[]).length).toBe(3)
  })

  it("refuses a scenario whose name is not its file's", () => {
    // Given a file stubborn.yaml that calls itself basic
    const text = 'apiVersion: jwkr/v1\nkind: DrillScenario\nname: basic\ndescription: Copied.\n'

    // When it is parsed
    const error = captureError(() => parseScenario(text, '/somewhere/stubborn.yaml'))

    // Then the name is pointed at
    expect(error.message).toContain("stubborn.yaml:3:7: name 'basic' must match the file name 'stubborn'")
  })

  it('names the built-in scenarios, with a suggestion, for an unknown one', async () => {
    // Given a misspelt scenario name
    // When it is loaded
    const error = await rejection(loadScenario('stubborn-cach'))

    // Then the error suggests the right one and lists them all
    expect(error.code).toBe('ERR_DRILL_SCENARIO_NOT_FOUND')
    expect(error.message).toContain("did you mean 'stubborn-cache'?")
    expect(error.message).toContain('basic, flaky-slack, github-outage, jwks-serves-private, kidless-leak, stubborn-cache')
  })
})

describe('loadScenario with a path', () => {
  it('says the file is not there, rather than that no scenario has that name', async () => {
    const error = await rejection(loadScenario('/tmp/no-such-folder/missing.yaml'))
    expect(error.code).toBe('ERR_DRILL_SCENARIO_NOT_FOUND')
    expect(error.message).toBe('No scenario file at /tmp/no-such-folder/missing.yaml.')
    expect(error.hint).toContain('pass a built-in scenario by name (basic, flaky-slack,')
  })
})

function captureError(action: () => unknown): JwkrError {
  try {
    action()
  } catch (error) {
    return error as JwkrError
  }
  throw new Error('expected an error')
}
