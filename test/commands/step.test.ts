import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {tempHome} from '../helpers/engine-harness.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

const example = join(projectRoot, 'examples/leaked-signing-key.json')

describe('jwkr step', () => {
  it('lists every registered step with what it changes and needs', async () => {
    const {stdout} = await run(['step', 'list', '--json'])
    const steps = (JSON.parse(stdout) as {steps: Array<{id: string; sideEffects: boolean; requiresInventory: boolean}>}).steps
    expect(steps.map((step) => step.id)).toEqual(
      expect.arrayContaining(['key.inspect', 'key.rotate', 'containment.verify', 'report.rca']),
    )
    expect(steps.find((step) => step.id === 'key.rotate')).toMatchObject({sideEffects: true, requiresInventory: true})
  })

  it('runs one step alone in its own incident, named after the key', async () => {
    const home = await tempHome()
    const {stdout, error} = await run([
      'step',
      'run',
      'key.inspect',
      '--with',
      JSON.stringify({key: example}),
      '--home',
      home,
      '--json',
    ])
    expect(error).toBeUndefined()
    const result = JSON.parse(stdout)
    expect(result).toMatchObject({
      status: 'completed',
      steps: [{uses: 'key.inspect', status: 'succeeded', outputs: {private: true}}],
    })
    expect(result.incident).toMatch(/^\d{4}-\d{2}-\d{2}-ctrvio/)
    const shown = JSON.parse((await run(['incident', 'show', result.incident, '--home', home, '--json'])).stdout)
    expect(shown.playbook).toBe('step-key-inspect')
  })

  it('gates a step with side effects like a playbook run does', async () => {
    const home = await tempHome()
    const {stderr, error} = await run(['step', 'run', 'core.approve', '--with', '{"message": "go?"}', '--home', home])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toMatch(/needs approval: rerun with --yes/)
  })

  it('refuses bad JSON (exit 2) and an unknown step with the closest match (exit 1)', async () => {
    const bad = await run(['step', 'run', 'key.inspect', '--with', '{key:', '--home', await tempHome()])
    expect(exitCodeOf(bad.error)).toBe(2)
    expect(bad.stderr).toContain('--with is not valid JSON')
    const unknown = await run(['step', 'run', 'key.inspcet', '--home', await tempHome()])
    expect(exitCodeOf(unknown.error)).toBe(1)
    expect(unknown.stderr).toContain('key.inspect')
  })

  it('refuses a key given as a JSON object, and a step that needs the key without one, naming --with (exit 2)', async () => {
    const k = 'c2VjcmV0LW9jdC1rZXktbmVlZGxlLXZhbHVlLTEyMzQ'
    const asObject = await run([
      'step',
      'run',
      'key.inspect',
      '--with',
      JSON.stringify({key: {kty: 'oct', k}}),
      '--home',
      await tempHome(),
    ])
    expect(exitCodeOf(asObject.error)).toBe(2)
    expect(asObject.stderr).toContain('The "key" of --with must be a string.')
    expect(asObject.stderr).not.toContain('--key FILE')
    expect(asObject.stdout + asObject.stderr).not.toContain(k)
    const none = await run(['step', 'run', 'services.locate', '--with', '{}', '--home', await tempHome()])
    expect(exitCodeOf(none.error)).toBe(2)
    expect(none.stderr).toContain('services.locate needs the leaked key: "key" in --with.')
    expect(none.stderr).toContain(`--with '{"key": "leaked.json"}'`)
  })
})
