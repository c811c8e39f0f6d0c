// A replacement someone else generated and reported: accepted only as a new public key of the kind
// asked for, and recorded with its canonical public members only.
import {generateKeyPairSync} from 'node:crypto'

import {calculateJwkThumbprint, type JWK} from 'jose'
import {describe, expect, it} from 'vitest'

import {JwkrError} from '../../../src/core/errors.js'
import {checkReportedReplacement, type ReportedReplacementExpectation} from '../../../src/core/key/reported-replacement.js'
import {SecretRegistry} from '../../../src/core/secrets.js'

const ecKey = (curve: string) => generateKeyPairSync('ec', {namedCurve: curve}).publicKey.export({format: 'jwk'}) as JWK

function expectation(): ReportedReplacementExpectation {
  return {
    kind: {kty: 'EC', alg: 'ES256', crv: 'P-256', use: 'sig', minBits: null},
    leaked: {thumbprint: 'A'.repeat(43), kid: 'old'},
    label: 'The reported key',
    fix: 'Fix it.',
    secrets: new SecretRegistry(),
  }
}

describe('checkReportedReplacement', () => {
  it('records the canonical public members with kid, alg and use, dropping everything else', async () => {
    // Given a reported key with a member jwkr does not publish
    const jwk = {...ecKey('P-256'), kid: 'new-1', alg: 'ES256', use: 'sig', x5u: 'https://attacker.example/x'}
    // When it is checked
    const reported = await checkReportedReplacement(jwk, expectation())
    // Then its facts are those of the key, and only the key's own members are kept
    expect(reported).toEqual({
      kid: 'new-1',
      alg: 'ES256',
      thumbprint: await calculateJwkThumbprint(jwk, 'sha256'),
      publicJwk: {kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid: 'new-1', alg: 'ES256', use: 'sig'},
    })
  })

  it('accepts a key that names no use', async () => {
    const reported = await checkReportedReplacement({...ecKey('P-256'), kid: 'new-1', alg: 'ES256'}, expectation())
    expect(reported.publicJwk.use).toBeUndefined()
  })

  it('refuses a key on another curve of the same kty', async () => {
    const error = await checkReportedReplacement({...ecKey('P-384'), kid: 'new-1', alg: 'ES256'}, expectation()).catch((e) => e)
    expect(error).toBeInstanceOf(JwkrError)
    expect(error.message).toContain('is an EC P-384 key, and the leaked key is an EC P-256 key')
  })

  it('refuses a key whose members are not canonically encoded (a zero-padded coordinate)', async () => {
    const jwk = ecKey('P-256')
    const padded = Buffer.concat([Buffer.alloc(1), Buffer.from(jwk.x as string, 'base64url')]).toString('base64url')
    const error = await checkReportedReplacement({...jwk, x: padded, kid: 'n', alg: 'ES256'}, expectation()).catch((e) => e)
    expect(error).toBeInstanceOf(JwkrError)
    expect([error.code, error.message]).toEqual(['ERR_IDP_BAD_RESPONSE', expect.stringContaining('is not canonically encoded')])
  })
})
