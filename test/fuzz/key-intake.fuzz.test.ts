// Fuzz budget, key intake: key material shaped to hurt — nested hundreds of levels deep, sets of
// hundreds of entries, JWKs with hostile kids and private members of any size, embedded in JWT
// headers — read by loadKeys and by `jwkr key inspect`. Each ends with a report or a JwkrError,
// within the deadline, with no private value in anything shown. (test/property/key-input covers
// random and mutated real keys.)
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {loadKeys} from '../../src/core/key/load-keys.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {RFC7638_RSA} from '../core/key/rfc-vectors.js'
import {exitCodeOf, run} from '../helpers/run.js'
import {budget, counted, SURFACE_TIMEOUT_MS, errorText, expectNoNeedle, hostileText, oneCase, RAW_CONTROL} from './fuzz-kit.js'
import {REGRESSIONS} from './regressions.js'

const BASE64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_']

/** A private value, marked so that no public value generated here can hold it. */
const secret = fc.string({unit: fc.constantFrom(...BASE64URL), minLength: 16, maxLength: 48}).map((tail) => `Sx${tail}`)

export interface KeyCase {
  text: string
  /** The private values in the text: none may be shown. */
  needles: string[]
}

/** A JWK-shaped object with a hostile kid and private members (an oct `k` up to 64 KB). */
const hostileJwk = fc
  .record({
    kty: fc.constantFrom('RSA', 'EC', 'OKP', 'oct', 'x', ''),
    kid: hostileText,
    d: secret,
    k: fc.oneof(
      secret,
      fc.integer({min: 1, max: 64 * 1024}).map((n) => `Sx${'K'.repeat(n)}`),
    ),
    base: fc.constantFrom<Record<string, unknown>>({}, RFC7638_RSA, {crv: 'P-256', x: 'x', y: 'y'}),
  })
  .map(({kty, kid, d, k, base}) => ({jwk: {...base, kty, kid, d, k}, needles: [d, k]}))

/** A value nested `depth` levels deep (lists and mappings), with the JWK at the bottom. */
function nest(jwk: Record<string, unknown>, depth: number, lists: boolean): unknown {
  let value: unknown = jwk
  for (let i = 0; i < depth; i++) value = lists ? [value] : {keys: [value]}
  return value
}

const keyCase: fc.Arbitrary<KeyCase> = fc.oneof(
  // A JWK, a JWKS, or a bare list, with the hostile key
  fc.tuple(hostileJwk, fc.constantFrom('jwk', 'jwks', 'list')).map(([{jwk, needles}, form]) => ({
    text: JSON.stringify(form === 'jwk' ? jwk : form === 'jwks' ? {keys: [jwk, RFC7638_RSA]} : [jwk]),
    needles,
  })),
  // Nested from a few to a few hundred levels
  fc.tuple(hostileJwk, fc.integer({min: 1, max: 400}), fc.boolean()).map(([{jwk, needles}, depth, lists]) => ({
    text: JSON.stringify(nest(jwk, depth, lists)),
    needles,
  })),
  // Sets of up to 1,500 entries: empty, public, or private
  fc
    .tuple(hostileJwk, fc.integer({min: 1, max: 1500}), fc.constantFrom('empty', 'public', 'private'))
    .map(([{jwk, needles}, count, entry]) => ({
      // Private entries are up to 64 KB each: a few of them, not a thousand
      text: JSON.stringify({
        keys: Array.from({length: entry === 'private' ? (count % 50) + 1 : count}, () =>
          entry === 'empty' ? {} : entry === 'public' ? RFC7638_RSA : jwk,
        ),
      }),
      needles: entry === 'private' ? needles : [],
    })),
  // Embedded in a JWT header
  hostileJwk.map(({jwk, needles}) => ({
    text: `${Buffer.from(JSON.stringify({alg: 'none', jwk})).toString('base64url')}.e30.c2ln`,
    needles,
  })),
  // Cut short, or with text around it
  fc.tuple(hostileJwk, fc.nat(), hostileText).map(([{jwk, needles}, cut, around]) => {
    const text = JSON.stringify({keys: [jwk]})
    return {text: `${text.slice(0, cut % (text.length + 1))}${around}`, needles}
  }),
)

describe('fuzz: key intake', () => {
  it('loadKeys ends with a report or a JwkrError, and never shows a private value', {timeout: SURFACE_TIMEOUT_MS}, async () => {
    await fc.assert(
      fc.asyncProperty(
        keyCase,
        counted('key intake', async ({text, needles}) => {
          const secrets = new SecretRegistry()
          const {value, error} = await oneCase('key intake', () => loadKeys(text, {secrets}))
          const shown = error
            ? errorText(error)
            : JSON.stringify({reports: value?.keys.map((key) => key.report), warnings: value?.warnings})
          expectNoNeedle(shown, needles)
        }),
      ),
      budget('key intake', REGRESSIONS.keyIntake),
    )
  })

  it(
    'jwkr key inspect exits 0 or 1, prints no raw control character and no private value',
    {timeout: SURFACE_TIMEOUT_MS},
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'jwkr-fuzz-keys-'))
      let n = 0
      await fc.assert(
        fc.asyncProperty(
          keyCase,
          fc.boolean(),
          counted('key intake (CLI)', async ({text, needles}, json) => {
            const file = join(dir, `key-${n++}.json`)
            writeFileSync(file, text)
            const {value} = await oneCase('key intake (CLI)', () => run(['key', 'inspect', file, ...(json ? ['--json'] : [])]))
            const {stdout = '', stderr = '', error} = value ?? {}
            expect([0, 1]).toContain(exitCodeOf(error))
            expect(stdout + stderr).not.toMatch(/Unexpected error|\n\s+at /)
            expect(stdout + stderr).not.toMatch(RAW_CONTROL)
            expectNoNeedle(stdout + stderr, needles)
            if (json) JSON.parse(stdout)
          }),
        ),
        budget(
          'key intake (CLI)',
          REGRESSIONS.keyIntake.map((example) => [...example, true] as [KeyCase, boolean]),
        ),
      )
    },
  )
})
