import {describe, expect, it} from 'vitest'

import {exitCodeOf, run} from '../helpers/run.js'

describe('jwkr playbook list', () => {
  it('lists the built-in playbooks with their description and step count', async () => {
    // When the built-in playbooks are listed as JSON
    const {stdout, error} = await run(['playbook', 'list', '--json'])
    // Then each shipped playbook is there, valid, with its steps counted
    expect(error).toBeUndefined()
    const {playbooks} = JSON.parse(stdout) as {playbooks: {name: string; description: string; steps: number; problems: number}[]}
    const inspectOnly = playbooks.find((playbook) => playbook.name === 'inspect-only')
    expect(inspectOnly).toMatchObject({steps: 2, problems: 0})
    expect(inspectOnly?.description).toMatch(/thumbprint/)
    expect(playbooks.map((playbook) => playbook.name)).toContain('leaked-signing-key')
    expect(playbooks.every((playbook) => playbook.problems === 0)).toBe(true)
  })

  it('prints one line per playbook for a person', async () => {
    const {stdout, error} = await run(['playbook', 'list'])
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toMatch(/^inspect-only\t2\tIdentify a key/m)
    expect(stdout).toMatch(/^leaked-signing-key\t\d+\tA private signing key/m)
  })
})
