import {mkdir, mkdtemp, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {startRun} from '../../../src/playbook/respond.js'
import {baseOptions, scriptedUi, tempHome} from '../../helpers/engine-harness.js'
import {projectRoot} from '../../helpers/run.js'

const KEY = join(projectRoot, 'examples/leaked-signing-key.json')

describe('report.notification in the standard playbook', () => {
  it('writes the users’ notice (Markdown and text) and the partners’ notice, filled with what the journal knows', async () => {
    // When the standard playbook runs on the example key (no inventory: nothing was contained)
    const home = await tempHome()
    const result = await startRun({
      ...baseOptions(home),
      playbook: 'leaked-signing-key',
      inputs: {key: KEY},
      yes: true,
      ui: scriptedUi({}, false),
      env: {},
      observers: [],
    })
    // Then three drafts are in the artifacts, mode 0600
    const outputs = result.steps.find((step) => step.id === 'notifications')?.outputs as Record<string, string>
    expect(Object.keys(outputs).sort()).toEqual(['partners', 'users', 'usersText'])
    for (const path of Object.values(outputs)) expect((await stat(path)).mode & 0o777).toBe(0o600)
    // And they say what is known: an open exposure window from the report, the key to stop trusting
    const users = await readFile(outputs.users as string, 'utf8')
    expect(users).toMatch(/^> \*\*Draft for review\.\*\* Written by jwkr from incident `\S+` on /)
    expect(users).toMatch(
      /Since \d{4}-\d\d-\d\d \d\d:\d\d UTC, tokens signed with the exposed key could have been accepted\. We are still confirming/,
    )
    expect(users).toContain('We are still reviewing sign-in records to find which accounts were affected.')
    expect(await readFile(outputs.usersText as string, 'utf8')).toContain('WHAT YOU SHOULD DO')
    const thumbprint = result.steps.find((step) => step.id === 'inspect')?.outputs?.thumbprint as string
    expect(await readFile(outputs.partners as string, 'utf8')).toContain(
      `**Subject:** Key compromise: stop trusting signing key \`${thumbprint}\` (kid \`example-signing-2026\`)`,
    )
  })

  it('uses the templates folder the inventory names', async () => {
    // Given an inventory whose templates folder overrides the users' notice
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-inventory-'))
    await mkdir(join(dir, 'tpl/notify'), {recursive: true})
    await writeFile(
      join(dir, 'tpl/notify/users.md.hbs'),
      'Dear customer: key {{key.kid}}, reported {{date incident.openedAt format="day"}}.\n',
    )
    const inventoryPath = join(dir, 'jwkr.inventory.yaml')
    await writeFile(inventoryPath, 'version: 1\nissuers: []\nservices: []\ntemplates: ./tpl\n')
    // When the playbook runs with it
    const home = await tempHome()
    const result = await startRun({
      ...baseOptions(home),
      playbook: 'leaked-signing-key',
      inputs: {key: KEY},
      inventoryPath,
      yes: true,
      ui: scriptedUi({}, false),
      env: {},
      observers: [],
    })
    // Then the users' notice is the override, and the other drafts are the built-in ones
    const outputs = result.steps.find((step) => step.id === 'notifications')?.outputs as Record<string, string>
    expect(await readFile(outputs.users as string, 'utf8')).toMatch(
      /^Dear customer: key example-signing-2026, reported \d{4}-\d\d-\d\d\.\n$/,
    )
    expect(await readFile(outputs.partners as string, 'utf8')).toContain('### What you must do')
  })
})
