// Issue 15: `services[].logs` is documented, so a run uses it. Without `--input logs=`, token triage
// reads the logs the inventory's services declare, and the run's header says that it does.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {EXPECTED, ISSUED_JSONL, keyFile, LOGS} from '../adapters/tokens/token-fixtures.js'
import {exitCodeOf, run} from '../helpers/run.js'

const NOTE = "Logs: the inventory's (no --input logs= given): 1 path of billing"

/** A folder with an inventory whose service `billing` declares the fixture logs, and a playbook of triage alone. */
function setUp(): {dir: string; inventory: string; playbook: string; home: string} {
  const dir = mkdtempSync(join(tmpdir(), 'jwkr-inventory-logs-'))
  const inventory = join(dir, 'jwkr.inventory.yaml')
  writeFileSync(
    inventory,
    [
      'version: 1',
      'issuers: [{id: auth, issuer: https://auth.example.com, keySource: {type: manual}}]',
      'services:',
      `  - {id: billing, team: payments, contacts: {slack: "#pay"}, trusts: [auth], logs: ${JSON.stringify(LOGS)}}`,
      '  - {id: orders, team: shop, contacts: {slack: "#shop"}, trusts: [auth]}',
    ].join('\n'),
  )
  const playbook = join(dir, 'triage.yaml')
  writeFileSync(
    playbook,
    [
      'apiVersion: jwkr/v1',
      'kind: Playbook',
      'name: triage-only',
      'inputs:',
      '  key: {type: string, required: true}',
      '  logs: {type: array, required: false}',
      '  issued: {type: string, required: true}',
      'steps:',
      '  - id: tokens',
      '    uses: tokens.scan',
      '    if: "${{ inputs.logs }}"',
      '    with:',
      '      key: "${{ inputs.key }}"',
      '      paths: "${{ inputs.logs }}"',
      '      issuedLog: "${{ inputs.issued }}"',
    ].join('\n'),
  )
  return {dir, inventory, playbook, home: join(dir, 'home')}
}

describe('a run without --input logs= (issue 15)', () => {
  it("triages the logs the inventory's services declare, and says so in the header", async () => {
    // Given an inventory where billing declares its logs, and no --input logs=
    const {inventory, playbook, home} = setUp()
    // When the playbook runs
    const {stdout, stderr, error} = await run([
      'playbook',
      'run',
      playbook,
      '--key',
      keyFile('rs256'),
      '--input',
      `issued=${ISSUED_JSONL}`,
      '--inventory',
      inventory,
      '--home',
      home,
      '--yes',
    ])
    // Then triage read billing's logs and found the tokens signed with the key
    const screen = `${stdout}\n${stderr}`
    expect(exitCodeOf(error), screen).toBe(0)
    expect(screen).toContain(NOTE)
    expect(screen).toMatch(
      new RegExp(`✓ tokens +${EXPECTED.rs256.signed} of ${EXPECTED.rs256.tokens} tokens signed with the key`),
    )
  })

  it('reads only the logs given with --input logs=, and then says nothing of the inventory', async () => {
    const {dir, inventory, playbook, home} = setUp()
    const empty = join(dir, 'other.log')
    writeFileSync(empty, 'nothing here\n')
    const {stdout, stderr, error} = await run([
      'playbook',
      'run',
      playbook,
      '--key',
      keyFile('rs256'),
      '--input',
      `issued=${ISSUED_JSONL}`,
      '--input',
      `logs=${JSON.stringify([empty])}`,
      '--inventory',
      inventory,
      '--home',
      home,
      '--yes',
    ])
    const screen = `${stdout}\n${stderr}`
    expect(exitCodeOf(error), screen).toBe(0)
    expect(screen).not.toContain("Logs: the inventory's")
    expect(screen).toMatch(/✓ tokens +0 of 0 tokens signed with the key/)
  })

  it('respond --dry-run plans triage over the declared logs', async () => {
    const {inventory, home} = setUp()
    const {stdout, stderr, error} = await run([
      'respond',
      '--key',
      keyFile('rs256'),
      '--inventory',
      inventory,
      '--home',
      home,
      '--dry-run',
    ])
    const screen = `${stdout}\n${stderr}`
    expect(exitCodeOf(error), screen).toBe(0)
    expect(screen).toContain(NOTE)
    expect(screen).not.toMatch(/Will skip:[^\n]*tokens/)
    expect(screen).toContain(`Read the logs under ${LOGS} for tokens that name the key`)
  })
})
