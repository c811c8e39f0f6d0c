// What `jwkr key thumbprint` prints: one line per key that has a thumbprint.
import {describe, expect, it} from 'vitest'

import {loadKeys} from '../../../src/core/key/load-keys.js'
import {thumbprintLines} from '../../../src/core/key/thumbprint-lines.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {RFC7638_RSA, RFC7638_RSA_THUMBPRINT, RFC8037_ED25519, RFC8037_ED25519_THUMBPRINT} from './rfc-vectors.js'

async function setOf(value: unknown) {
  return loadKeys(typeof value === 'string' ? value : JSON.stringify(value), {secrets: new SecretRegistry()})
}

describe('thumbprintLines', () => {
  it('gives one SHA-256 thumbprint per key, in order', async () => {
    const set = await setOf({keys: [RFC7638_RSA, RFC8037_ED25519]})
    expect(thumbprintLines(set, {hash: 'sha256', uri: false}).lines).toEqual([RFC7638_RSA_THUMBPRINT, RFC8037_ED25519_THUMBPRINT])
  })

  it('gives the chosen hash, or its RFC 9278 URI', async () => {
    const set = await setOf(RFC7638_RSA)
    const sha512 = set.keys[0]?.report.thumbprints?.sha512
    expect(thumbprintLines(set, {hash: 'sha512', uri: false}).lines).toEqual([sha512])
    expect(thumbprintLines(set, {hash: 'sha512', uri: true}).lines).toEqual([
      `urn:ietf:params:oauth:jwk-thumbprint:sha-512:${sha512}`,
    ])
  })

  it('refuses a JWT that only names its key', async () => {
    const set = await setOf('eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.e30.c2ln')
    expect(() => thumbprintLines(set, {hash: 'sha256', uri: false})).toThrow(/holds no key material to thumbprint/)
  })
})
