import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {exitCodeOf, run} from '../helpers/run.js'

describe('jwkr playbook show', () => {
  it('shows each step with what it uses, its title, why it exists and its condition', async () => {
    // When the standard playbook is shown as JSON
    const {stdout, error} = await run(['playbook', 'show', 'leaked-signing-key', '--json'])
    // Then its steps come with their registered step, title, description and condition
    expect(error).toBeUndefined()
    const shown = JSON.parse(stdout)
    expect(shown.name).toBe('leaked-signing-key')
    expect(shown.digest).toMatch(/^[0-9a-f]{64}$/)
    expect(shown.inputs.key).toMatchObject({type: 'string', required: true})
    expect(shown.steps[0]).toMatchObject({
      id: 'inspect',
      uses: 'key.inspect',
      title: 'Identify the leaked key',
      sideEffects: false,
      if: null,
    })
    expect(shown.steps[0].description).toMatch(/thumbprint/)
    const gated = shown.steps.find((step: {if: string | null}) => step.if !== null)
    expect(gated.if).toContain('steps.inspect.outputs.private')
  })

  it('prints the steps for a person, from a file path too', async () => {
    // Given a playbook file with a confirmation, retries and a timeout
    const dir = mkdtempSync(join(tmpdir(), 'jwkr-show-'))
    const file = join(dir, 'mine.yaml')
    writeFileSync(
      file,
      [
        'apiVersion: jwkr/v1',
        'kind: Playbook',
        'name: mine',
        'description: My own.',
        'steps:',
        '  - id: gate',
        '    uses: core.approve',
        '    title: Ask the lead',
        '    confirm: Really?',
        '    retry: {attempts: 2, backoff: 5s}',
        '    timeout: 10m',
        '    onFailure: ask',
        '    with: {message: Go?}',
      ].join('\n'),
    )
    // When it is shown
    const {stdout, error} = await run(['playbook', 'show', file])
    // Then the step, its question and its run settings are printed
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toContain('mine — My own.')
    expect(stdout).toMatch(/1\. gate\s+core\.approve — Ask the lead \[changes things\]/)
    expect(stdout).toContain('confirm: Really?')
    expect(stdout).toContain('on failure: ask · 2 attempts, 5s apart · timeout 10m')
  })

  it('fails with the built-in names for an unknown playbook', async () => {
    const {stderr, error} = await run(['playbook', 'show', 'leaked-signing-kye'])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain("No built-in playbook named 'leaked-signing-kye' (did you mean 'leaked-signing-key'?)")
    expect(stderr).toContain('inspect-only')
  })

  it('never prints a private key written inline into a playbook', async () => {
    // Given a playbook that (wrongly) carries a private EC JWK inline
    const {privateKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'})
    const jwk = privateKey.export({format: 'jwk'})
    const dir = mkdtempSync(join(tmpdir(), 'jwkr-show-'))
    const file = join(dir, 'inline.yaml')
    writeFileSync(
      file,
      [
        'apiVersion: jwkr/v1',
        'kind: Playbook',
        'name: inline',
        'steps:',
        '  - id: inspect',
        '    uses: key.inspect',
        `    with: {key: '${JSON.stringify(jwk)}'}`,
      ].join('\n'),
    )
    // When it is shown, as text and as JSON
    const text = await run(['playbook', 'show', file])
    const json = await run(['playbook', 'show', file, '--json'])
    // Then the public part is shown but the private value never is
    expect(text.error).toBeUndefined()
    expect(json.stdout).toContain(jwk.x!)
    for (const output of [text.stdout, text.stderr, json.stdout, json.stderr]) expect(output).not.toContain(jwk.d!)
    expect(json.stdout).toContain('[REDACTED]')
  })
})
