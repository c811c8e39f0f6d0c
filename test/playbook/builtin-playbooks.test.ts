import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {builtinPlaybookDir, listBuiltinPlaybooks} from '../../src/playbook/builtin-playbooks.js'
import {checkPlaybook, readPlaybookText} from '../../src/playbook/load-playbook.js'
import {createRegistry} from '../../src/playbook/registry.js'
import type {StepDefinition} from '../../src/playbook/types.js'
import {projectRoot} from '../helpers/run.js'

const stepsIndex = join(projectRoot, 'src/playbook/steps/index.ts')
const haveSteps = existsSync(stepsIndex)

describe('the built-in playbooks', () => {
  it('are found in the package’s playbooks/ folder', () => {
    expect(builtinPlaybookDir()).toBe(join(projectRoot, 'playbooks/'))
    expect(listBuiltinPlaybooks().map((playbook) => playbook.name)).toEqual(
      expect.arrayContaining(['inspect-only', 'leaked-signing-key']),
    )
  })

  it.skipIf(!haveSteps)(
    'all load without a problem against the real built-in steps (skipped until src/playbook/steps/index.ts exists)',
    async () => {
      // Given the real step registry
      const {builtinSteps} = (await import(/* @vite-ignore */ stepsIndex)) as {builtinSteps: () => StepDefinition[]}
      const registry = createRegistry(builtinSteps())
      // When every file in playbooks/ is checked
      for (const {name, file} of listBuiltinPlaybooks()) {
        const {playbook, problems} = checkPlaybook(await readPlaybookText(file), file, registry)
        // Then each is valid and named after its file
        expect(problems, name).toEqual([])
        expect(playbook?.name).toBe(name)
        expect(playbook?.description, name).not.toBe('')
        for (const step of playbook?.steps ?? []) expect(registry.has(step.uses), `${name}: ${step.uses}`).toBe(true)
      }
    },
  )

  it('never puts a notification on the critical path of revocation: Slack and GitHub come after it, each bounded by a timeout', async () => {
    // Given the standard playbook
    const file = join(projectRoot, 'playbooks/leaked-signing-key.yaml')
    const {builtinSteps} = (await import(/* @vite-ignore */ stepsIndex)) as {builtinSteps: () => StepDefinition[]}
    const {playbook} = checkPlaybook(await readPlaybookText(file), file, createRegistry(builtinSteps()))
    const steps = playbook?.steps ?? []
    const at = (uses: string) => steps.findIndex((step) => step.uses === uses)
    // Then the rotation and the denylist run before either notification, and each notification has a
    // timeout and continues on failure, so a hanging Slack or GitHub can delay nothing but the report
    for (const uses of ['notify.slack', 'notify.github']) {
      expect(at(uses), uses).toBeGreaterThan(at('key.rotate'))
      expect(at(uses), uses).toBeGreaterThan(at('tokens.invalidate'))
      const step = steps[at(uses)]
      expect(step?.timeoutMs, uses).toBeLessThanOrEqual(120_000)
      expect(step?.onFailure, uses).toBe('continue')
    }
  })
})
