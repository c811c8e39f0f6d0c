// The inspect result: overall severity and what the responder should do next.
import {generateKeyPairSync} from 'node:crypto'
import {describe, expect, it} from 'vitest'

import {inspectKeySet} from '../../../src/core/key/inspect-key.js'
import {loadKeys} from '../../../src/core/key/load-keys.js'
import {SecretRegistry} from '../../../src/core/secrets.js'

const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: 'prime256v1'})

async function inspect(text: string, source: string) {
  return inspectKeySet(await loadKeys(text, {secrets: new SecretRegistry()}), source)
}

describe('inspectKeySet', () => {
  it('is critical and points to jwkr respond for a private key', async () => {
    const result = await inspect(JSON.stringify(privateKey.export({format: 'jwk'})), 'keys/leaked.json')
    expect(result.severity).toBe('critical')
    expect(result.next).toEqual(['Start the response: jwkr respond --key keys/leaked.json'])
  })

  it('quotes a source path with spaces for the shell, and never repeats inline key material', async () => {
    const jwk = JSON.stringify(privateKey.export({format: 'jwk'}))
    expect((await inspect(jwk, 'my keys/it is.json')).next[0]).toBe("Start the response: jwkr respond --key 'my keys/it is.json'")
    expect((await inspect(jwk, jwk)).next[0]).toBe('Start the response: jwkr respond --key <file holding the key>')
    expect((await inspect(jwk, '-')).next[0]).toBe('Start the response: jwkr respond --key <file holding the key>')
  })

  it('is critical for an oct key', async () => {
    const result = await inspect(JSON.stringify({kty: 'oct', k: Buffer.alloc(32, 9).toString('base64url')}), 'k.json')
    expect(result.severity).toBe('critical')
    expect(result.next[0]).toMatch(/^Start the response/)
  })

  it('is info for a public key, and says there is nothing to respond to', async () => {
    const result = await inspect(JSON.stringify(publicKey.export({format: 'jwk'})), 'pub.json')
    expect(result.severity).toBe('info')
    expect(result.next).toEqual(['No private material here. If a private key was found, inspect that file instead.'])
  })

  it('points a JWT reference to the issuer JWKS', async () => {
    const result = await inspect('eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.e30.c2ln', 't.jwt')
    expect(result.severity).toBe('info')
    expect(result.next[0]).toMatch(/^Find the key this token names/)
  })

  it('is critical when any key of a set is, and carries the set warnings', async () => {
    const jwks = {keys: [publicKey.export({format: 'jwk'}), privateKey.export({format: 'jwk'})]}
    const result = await inspect(JSON.stringify(jwks), 'jwks.json')
    expect(result.keys.map((k) => k.severity)).toEqual(['info', 'critical'])
    expect(result.severity).toBe('critical')
    expect(result.warnings.join('\n')).toMatch(/the set itself is the leak/)
  })
})
