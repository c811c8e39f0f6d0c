import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {exitCodeOf, run} from '../helpers/run.js'

describe('jwkr playbook export', () => {
  it('prints the CACAO 2.0 document of a built-in playbook', async () => {
    const {stdout, error} = await run(['playbook', 'export', 'inspect-only', '--format', 'cacao'])
    expect(exitCodeOf(error)).toBe(0)
    const doc = JSON.parse(stdout)
    expect(doc).toMatchObject({type: 'playbook', spec_version: 'cacao-2.0', name: 'inspect-only'})
    expect(Object.values(doc.workflow).filter((step) => (step as {type: string}).type === 'action')).toHaveLength(2)
  })

  it('writes the document to --out and says where, with the same ids every time', async () => {
    // Given an output file
    const out = join(mkdtempSync(join(tmpdir(), 'jwkr-export-')), 'playbook.cacao.json')
    // When the standard playbook is exported twice, once to the file and once as JSON
    const written = await run(['playbook', 'export', 'leaked-signing-key', '--out', out, '--json'])
    const printed = await run(['playbook', 'export', 'leaked-signing-key', '--json'])
    // Then the file holds the document, and both exports agree on every id
    expect(exitCodeOf(written.error)).toBe(0)
    const result = JSON.parse(written.stdout)
    const file = JSON.parse(readFileSync(out, 'utf8'))
    expect(result).toEqual({format: 'cacao', out, id: file.id})
    const again = JSON.parse(printed.stdout)
    expect(Object.keys(again.workflow)).toEqual(Object.keys(file.workflow))
    expect(again.id).toBe(file.id)
  })

  it('replaces an existing --out file with a whole new one, never writing into the old', async () => {
    // Given a file already at the output path
    const dir = mkdtempSync(join(tmpdir(), 'jwkr-export-'))
    const out = join(dir, 'playbook.cacao.json')
    writeFileSync(out, '{"old": true}\n')
    const before = statSync(out).ino
    // When the playbook is exported over it
    const {error} = await run(['playbook', 'export', 'inspect-only', '--out', out])
    // Then a new file took its place (written aside and renamed: a failure half way leaves the old one), and nothing else is left
    expect(exitCodeOf(error)).toBe(0)
    expect(statSync(out).ino).not.toBe(before)
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({name: 'inspect-only'})
    expect(readdirSync(dir)).toEqual(['playbook.cacao.json'])
  })

  it('refuses formats it does not know', async () => {
    const {error} = await run(['playbook', 'export', 'inspect-only', '--format', 'stix'])
    expect(exitCodeOf(error)).toBe(2)
  })

  it('fails clearly when the output cannot be written', async () => {
    const out = join(tmpdir(), 'jwkr-no-such-dir-x', 'sub', 'out.json')
    const {stderr, error} = await run(['playbook', 'export', 'inspect-only', '--out', out])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain(`Cannot write ${out} (ENOENT)`)
  })

  it('never writes a private key written inline into a playbook', async () => {
    // Given a playbook carrying a private RSA JWK inline
    const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
    const jwk = privateKey.export({format: 'jwk'})
    const dir = mkdtempSync(join(tmpdir(), 'jwkr-export-'))
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
    const out = join(dir, 'out.json')
    // When it is exported to stdout and to a file
    const printed = await run(['playbook', 'export', file])
    const written = await run(['playbook', 'export', file, '--out', out])
    // Then no private member value appears anywhere
    expect(printed.error).toBeUndefined()
    expect(written.error).toBeUndefined()
    const outputs = [printed.stdout, printed.stderr, written.stdout, written.stderr, readFileSync(out, 'utf8')]
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      for (const output of outputs) expect(output).not.toContain(jwk[member])
    }
    expect(printed.stdout).toContain(jwk.n!.slice(0, 40))
  })
})
