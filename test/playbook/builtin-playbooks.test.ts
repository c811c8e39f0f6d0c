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
})
