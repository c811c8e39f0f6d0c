// The triage's fast verify must agree with jose, the oracle, on every token: valid, tampered, forged
// with another key, alg "none", HMAC alg confusion, the wrong curve (RFC 7515 §5.2, RFC 8725 §3.1).
import {createHmac, generateKeyPairSync, type KeyObject} from 'node:crypto'
import {once} from 'node:events'
import {MessageChannel} from 'node:worker_threads'
import fc from 'fast-check'
import {CompactSign, compactVerify} from 'jose'
import {describe, expect, it} from 'vitest'

import {createSignatureVerifier, decodeBase64urlInto, verifySignature} from '../../../src/core/tokens/verify-signature.js'

const payload = new TextEncoder().encode(JSON.stringify({sub: 'alice', jti: 'a-1'}))

async function joseSays(token: string, key: KeyObject): Promise<boolean> {
  try {
    await compactVerify(token, key)
    return true
  } catch {
    return false
  }
}

async function sign(alg: string, key: KeyObject, kid = 'k1'): Promise<string> {
  return new CompactSign(payload).setProtectedHeader({alg, kid}).sign(key)
}

const rsa = generateKeyPairSync('rsa', {modulusLength: 2048})
const otherRsa = generateKeyPairSync('rsa', {modulusLength: 2048})
const p256 = generateKeyPairSync('ec', {namedCurve: 'P-256'})
const otherP256 = generateKeyPairSync('ec', {namedCurve: 'P-256'})
const p384 = generateKeyPairSync('ec', {namedCurve: 'P-384'})
const p521 = generateKeyPairSync('ec', {namedCurve: 'P-521'})
const ed25519 = generateKeyPairSync('ed25519')

const CASES: Array<[string, {privateKey: KeyObject; publicKey: KeyObject}]> = [
  ['RS256', rsa],
  ['RS384', rsa],
  ['RS512', rsa],
  ['PS256', rsa],
  ['PS384', rsa],
  ['PS512', rsa],
  ['ES256', p256],
  ['ES384', p384],
  ['ES512', p521],
  ['EdDSA', ed25519],
]

function b64(text: string): string {
  return Buffer.from(text).toString('base64url')
}

describe('verifySignature agrees with jose', () => {
  it.each(CASES)('%s: a valid token is the key’s, a tampered one is not', async (alg, pair) => {
    const token = await sign(alg, pair.privateKey)
    expect([verifySignature(token, pair.publicKey), await joseSays(token, pair.publicKey)]).toEqual([true, true])
    const [h, p, s] = token.split('.')
    const otherPayload = `${h}.${b64(JSON.stringify({sub: 'mallory'}))}.${s}`
    expect([verifySignature(otherPayload, pair.publicKey), await joseSays(otherPayload, pair.publicKey)]).toEqual([false, false])
    const flipped = `${h}.${p}.${(s ?? '').slice(0, -2)}${(s ?? '').endsWith('AA') ? 'BA' : 'AA'}`
    expect(verifySignature(flipped, pair.publicKey)).toBe(await joseSays(flipped, pair.publicKey))
  })

  it('a token signed by another key with the leaked kid is not the key’s', async () => {
    const forged = await sign('RS256', otherRsa.privateKey)
    expect([verifySignature(forged, rsa.publicKey), await joseSays(forged, rsa.publicKey)]).toEqual([false, false])
  })

  it('refuses alg "none" and HMAC alg confusion with the public key as the secret (RFC 8725 §3.1)', async () => {
    const none = `${b64(JSON.stringify({alg: 'none', kid: 'k1'}))}.${b64('{"sub":"x"}')}.`
    expect([verifySignature(none, rsa.publicKey), await joseSays(none, rsa.publicKey)]).toEqual([false, false])
    const pem = rsa.publicKey.export({format: 'pem', type: 'spki'})
    const input = `${b64(JSON.stringify({alg: 'HS256', kid: 'k1'}))}.${b64('{"sub":"x"}')}`
    const confused = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`
    expect([verifySignature(confused, rsa.publicKey), await joseSays(confused, rsa.publicKey)]).toEqual([false, false])
  })

  it('refuses an EC alg with a key on another curve, and an RSA alg with an EC key', async () => {
    const es384 = await sign('ES384', p384.privateKey)
    expect(verifySignature(es384, p256.publicKey)).toBe(false)
    const rs = await sign('RS256', rsa.privateKey)
    expect(verifySignature(rs, p256.publicKey)).toBe(false)
  })

  it('leaves HMAC with a secret key to jose', async () => {
    const {createSecretKey} = await import('node:crypto')
    const secret = createSecretKey(Buffer.alloc(32, 7))
    const token = await sign('HS256', secret)
    expect(verifySignature(token, secret)).toBeUndefined()
  })

  it('matches jose on random corruptions of valid tokens', async () => {
    const tokens = await Promise.all(
      CASES.map(async ([alg, pair]) => ({token: await sign(alg, pair.privateKey), key: pair.publicKey})),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.nat(tokens.length - 1),
        fc.nat(),
        fc.constantFrom('A', 'z', '_', '-', '.', 'Q'),
        async (which, at, char) => {
          const {token, key} = tokens[which]!
          const index = at % token.length
          const mutated = token.slice(0, index) + char + token.slice(index + 1)
          const fast = verifySignature(mutated, key)
          expect(fast === undefined ? 'jose' : fast).toBe(fast === undefined ? 'jose' : await joseSays(mutated, key))
        },
      ),
      {numRuns: 300},
    )
  })
})

describe('createSignatureVerifier: one verifier reused for many tokens (a worker’s scan)', () => {
  it('answers each token as jose does, whatever came before it with the same header', async () => {
    // Given one verifier for the RSA key and tokens that share headers but not signatures
    const verifies = createSignatureVerifier(rsa.publicKey)
    const valid = await sign('RS256', rsa.privateKey)
    const forged = await sign('RS256', otherRsa.privateKey)
    const pss = await sign('PS256', rsa.privateKey)
    const ec = await sign('ES256', p256.privateKey)
    const none = `${b64(JSON.stringify({alg: 'none', kid: 'k1'}))}.${b64('{"sub":"x"}')}.`
    const pem = rsa.publicKey.export({format: 'pem', type: 'spki'})
    const input = `${b64(JSON.stringify({alg: 'HS256', kid: 'k1'}))}.${b64('{"sub":"x"}')}`
    const confused = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`
    const [h, , s] = valid.split('.')
    const big = await new CompactSign(new TextEncoder().encode(JSON.stringify({pad: 'x'.repeat(20_000)})))
      .setProtectedHeader({alg: 'RS256', kid: 'k1'})
      .sign(rsa.privateKey)
    const swapped = `${h}.${b64('{"sub":"mallory"}')}.${s}`
    const tokens = [valid, forged, pss, ec, none, confused, swapped, big, valid, forged, none, big, pss]
    // When each is verified in turn
    const answers = tokens.map((token) => verifies(token))
    // Then every answer is jose's, and alg none / HMAC confusion / another key type are refused
    expect(answers).toEqual(await Promise.all(tokens.map((token) => joseSays(token, rsa.publicKey))))
    expect(answers).toEqual([true, false, true, false, false, false, false, true, true, false, false, true, true])
  })

  it('matches jose on random corruptions, with one verifier per key across all of them', async () => {
    const tokens = await Promise.all(
      CASES.map(async ([alg, pair]) => ({token: await sign(alg, pair.privateKey), key: pair.publicKey})),
    )
    const verifiers = new Map(tokens.map(({key}) => [key, createSignatureVerifier(key)]))
    await fc.assert(
      fc.asyncProperty(
        fc.nat(tokens.length - 1),
        fc.nat(),
        fc.constantFrom('A', 'z', '_', '-', '.', 'Q', 'e'),
        async (which, at, char) => {
          const {token, key} = tokens[which]!
          const index = at % token.length
          const mutated = token.slice(0, index) + char + token.slice(index + 1)
          const fast = verifiers.get(key)!(mutated)
          expect(fast === undefined ? 'jose' : fast).toBe(fast === undefined ? 'jose' : await joseSays(mutated, key))
          expect(verifiers.get(key)!(token)).toBe(true)
        },
      ),
      {numRuns: 300},
    )
  })

  it('verifies with its own copy of the key: one received from another thread, or the private half given', async () => {
    // Given the public key as a worker receives it (posted: the sender's native key, shared) and the private half
    const channel = new MessageChannel()
    channel.port1.postMessage(p256.publicKey)
    const [received] = (await once(channel.port2, 'message')) as [KeyObject]
    channel.port1.close()
    const valid = await sign('ES256', p256.privateKey)
    const forged = await sign('ES256', otherP256.privateKey)
    const es384 = await sign('ES384', p384.privateKey)
    for (const key of [received, p256.privateKey]) {
      // When a verifier is made from it
      const verifies = createSignatureVerifier(key)
      // Then it answers as jose does with the public key
      expect([verifies(valid), verifies(forged), verifies(es384)]).toEqual([true, false, false])
    }
  })
})

describe('decodeBase64urlInto: the verifier’s signature decoding', () => {
  it('decodes what Buffer encodes, at any offset and length', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 600}), fc.string({maxLength: 5}), (bytes, prefix) => {
        const text = `${prefix}${Buffer.from(bytes).toString('base64url')}`
        const target = Buffer.alloc(text.length)
        expect(decodeBase64urlInto(text, prefix.length, text.length, target)).toBe(bytes.length)
        expect(target.subarray(0, bytes.length)).toEqual(Buffer.from(bytes))
      }),
      {numRuns: 500},
    )
  })

  it('declines anything but unpadded base64url of a possible length, and agrees with Buffer otherwise', () => {
    const chars = fc.constantFrom(...'ABYZaz09-_=.+/ \né\u{1F600}'.split(''))
    fc.assert(
      fc.property(
        fc.array(chars, {maxLength: 12}).map((list) => list.join('')),
        (text) => {
          const target = Buffer.alloc(text.length * 2)
          const written = decodeBase64urlInto(text, 0, text.length, target)
          const clean = /^[A-Za-z0-9_-]*$/.test(text) && text.length % 4 !== 1
          if (!clean) expect(written).toBe(-1)
          else expect(target.subarray(0, written)).toEqual(Buffer.from(text, 'base64url'))
        },
      ),
      {numRuns: 1000},
    )
  })

  it('leaves a signature it declines (padded) to Buffer, so the verifier still answers as jose does', async () => {
    const token = await sign('RS256', rsa.privateKey)
    const padded = `${token}${'='.repeat((4 - ((token.length - token.lastIndexOf('.') - 1) % 4)) % 4)}`
    expect(padded).not.toBe(token)
    expect(createSignatureVerifier(rsa.publicKey)(padded)).toBe(await joseSays(padded, rsa.publicKey))
  })
})
