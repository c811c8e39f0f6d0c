import {run} from '../helpers/run.js'
import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

describe('jwkr key inspect', () => {
  it('reports a private RSA JWK as critical without printing its private members', async () => {
    // Given a leaked private RSA JWK on disk
    const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
    const jwk = {...privateKey.export({format: 'jwk'}), kid: 'prod-1'}
    const dir = mkdtempSync(join(tmpdir(), 'jwkr-'))
    const file = join(dir, 'leaked.json')
    writeFileSync(file, JSON.stringify(jwk))
    // When it is inspected with --json
    const {stdout, stderr, error} = await run(['key', 'inspect', file, '--json'])
    // Then the report says critical and names the members, and no private value is printed
    expect(error).toBeUndefined()
    const result = JSON.parse(stdout)
    expect(result.keys[0]).toMatchObject({kty: 'RSA', kid: 'prod-1', private: true, severity: 'critical'})
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      expect(stdout + stderr).not.toContain(jwk[member])
    }
  })
})
