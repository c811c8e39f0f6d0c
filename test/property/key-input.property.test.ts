// Property tests: whatever a responder pastes — random text, random JSON, JWK-shaped objects with
// random private members, truncated or mutated real keys — jwkr fails only with a JwkrError (never
// an unexpected error) and never echoes a private value it was given.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {JwkrError} from '../../src/core/errors.js'
import {loadKeys} from '../../src/core/key/load-keys.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {exitCodeOf, run} from '../helpers/run.js'
import {generateSamples, privateNeedles, renditionsOf} from '../core/key/samples.js'
import {RFC7638_RSA, RFC8037_ED25519} from '../core/key/rfc-vectors.js'

const samples = generateSamples()
const privateRenditions = samples.flatMap(renditionsOf).filter((r) => r.private)

const BASE64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_']
const LOWER = [...'abcdefghijklmnopqrstuvwxyz0123456789-_']
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'priv'] as const

/** A private value: base64url, and marked so that no generated public value can ever equal it. */
const secretValue = fc.string({unit: fc.constantFrom(...BASE64URL), minLength: 8, maxLength: 64}).map((tail) => `Sx${tail}`)

/** A public-looking value that can never contain a secret (no capital S). */
const publicValue = fc.oneof(
  fc.string({unit: fc.constantFrom(...LOWER), maxLength: 40}),
  fc.constantFrom(...samples.flatMap((s) => Object.values(s.publicJwk ?? {})).filter((v): v is string => typeof v === 'string')),
  fc.integer(),
  fc.constant(null),
)

interface ShapedJwk {
  jwk: Record<string, unknown>
  secrets: string[]
}

/** A JWK-shaped object: a real public key or the RFC ones, members overwritten at random, private members added. */
const shapedJwk: fc.Arbitrary<ShapedJwk> = fc
  .record({
    base: fc.constantFrom<Record<string, unknown>>(
      RFC7638_RSA,
      {...RFC8037_ED25519, d: undefined},
      {},
      ...samples.map((s) => s.publicJwk ?? {kty: 'oct'}),
    ),
    kty: fc.option(
      fc.oneof(fc.constantFrom('RSA', 'EC', 'OKP', 'oct', 'AKP'), fc.string({unit: fc.constantFrom(...LOWER), maxLength: 6})),
      {nil: undefined},
    ),
    crv: fc.option(fc.constantFrom('P-256', 'P-384', 'P-521', 'secp256k1', 'Ed25519', 'Ed448', 'X25519', 'X448', 'P-192'), {
      nil: undefined,
    }),
    publicOverrides: fc.dictionary(fc.constantFrom('n', 'e', 'x', 'y', 'kid', 'alg', 'use', 'x5c'), publicValue, {maxKeys: 3}),
    privates: fc.dictionary(fc.constantFrom(...PRIVATE_MEMBERS), secretValue, {minKeys: 1, maxKeys: 6}),
    oth: fc.option(fc.array(fc.record({r: secretValue, d: secretValue, t: secretValue}), {minLength: 1, maxLength: 2}), {
      nil: undefined,
    }),
  })
  .map(({base, kty, crv, publicOverrides, privates, oth}) => {
    const jwk: Record<string, unknown> = {...base, ...publicOverrides, ...privates}
    if (kty !== undefined) jwk.kty = kty
    if (crv !== undefined) jwk.crv = crv
    if (oth) jwk.oth = oth
    const secrets = [...Object.values(privates), ...(oth ?? []).flatMap((prime) => Object.values(prime))]
    return {jwk, secrets}
  })

/** How the shaped JWK is handed over: as a JWK, inside a JWKS, or embedded in a JWT header. */
const shapedInput = fc.tuple(shapedJwk, fc.constantFrom('jwk', 'jwks', 'jwt', 'array')).map(([{jwk, secrets}, form]) => {
  const text =
    form === 'jwk'
      ? JSON.stringify(jwk)
      : form === 'jwks'
        ? JSON.stringify({keys: [jwk, RFC7638_RSA]})
        : form === 'array'
          ? JSON.stringify([jwk])
          : `${Buffer.from(JSON.stringify({alg: 'none', jwk})).toString('base64url')}.e30.c2ln`
  return {text, secrets}
})

/** Real private keys, cut or mangled the way copy-paste does it. */
const mutatedKey = fc
  .tuple(
    fc.constantFrom(...privateRenditions),
    fc.nat(),
    fc.nat(),
    fc.string({maxLength: 8}),
    fc.constantFrom('truncate', 'delete', 'replace', 'insert'),
  )
  .map(([rendition, a, b, insert, kind]) => {
    const {text} = rendition
    const i = a % (text.length + 1)
    const j = Math.min(text.length, i + (b % 40))
    const mutated =
      kind === 'truncate'
        ? text.slice(0, i)
        : kind === 'delete'
          ? text.slice(0, i) + text.slice(j)
          : kind === 'replace'
            ? text.slice(0, i) + insert + text.slice(i + insert.length)
            : text.slice(0, i) + insert + text.slice(i)
    return {text: mutated, needles: privateNeedles(rendition.sample.privateJwk), label: `${rendition.label} ${kind} at ${i}`}
  })

/** Any input at all. */
const anyText = fc.oneof(
  fc.string(),
  fc.string({unit: 'binary', maxLength: 200}),
  fc.json().map((json) => json),
  fc.jsonValue().map((value) => JSON.stringify({keys: [value]})),
  fc.string().map((s) => `{${s}`),
  fc.string().map((s) => `-----BEGIN PRIVATE KEY-----\n${s}\n-----END PRIVATE KEY-----`),
  fc.string().map((s) => `-----BEGIN CERTIFICATE-----\n${s}`),
  fc.tuple(fc.string(), fc.string()).map(([a, b]) => `eyJ${Buffer.from(a).toString('base64url')}.${b}.x`),
  fc.jsonValue().map((value) => `${Buffer.from(JSON.stringify(value)).toString('base64url')}.e30.c2ln`),
)

/** Runs loadKeys and gives back the error (which must be a JwkrError) or the printable result. */
async function attempt(text: string, secrets: SecretRegistry): Promise<{error?: JwkrError; printed?: string}> {
  try {
    const set = await loadKeys(text, {secrets})
    return {printed: JSON.stringify({reports: set.keys.map((k) => k.report), warnings: set.warnings})}
  } catch (error) {
    if (!(error instanceof JwkrError)) throw new Error(`not a JwkrError: ${String(error)}`, {cause: error})
    expect(error.code).not.toBe('ERR_INTERNAL')
    expect([1, 2]).toContain(error.exitCode)
    return {error}
  }
}

/** True when the text holds any run of `length` characters of the secret. */
function sharesRun(text: string, secret: string, length: number): boolean {
  for (let i = 0; i + length <= secret.length; i++) if (text.includes(secret.slice(i, i + length))) return true
  return false
}

describe('loadKeys, for any input', () => {
  it('fails only with a JwkrError', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        await attempt(text, new SecretRegistry())
      }),
      {numRuns: 500},
    )
  })

  it('registers every private member of a JWK-shaped object, and never puts one in a message or report', async () => {
    await fc.assert(
      fc.asyncProperty(shapedInput, async ({text, secrets: given}) => {
        const secrets = new SecretRegistry()
        const {error, printed} = await attempt(text, secrets)
        // Every private value the input carried is registered, whether or not the key was readable
        for (const value of given) expect(secrets.leaks(value), value).toBe(true)
        // And none is in the error or in the report, even before redaction
        const output = error ? `${error.message}\n${error.hint ?? ''}\n${JSON.stringify(error.details ?? null)}` : (printed ?? '')
        for (const value of given) expect(output).not.toContain(value)
      }),
      {numRuns: 400},
    )
  })

  it('never quotes any part of a private value of a mutated real key, and reports no registered secret', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedKey, async ({text, needles}) => {
        const secrets = new SecretRegistry()
        const {error, printed} = await attempt(text, secrets)
        if (error) {
          const message = `${error.message}\n${error.hint ?? ''}\n${JSON.stringify(error.details ?? null)}`
          for (const needle of needles) expect(sharesRun(message, needle, 12), needle).toBe(false)
        } else {
          expect(secrets.leaks(printed ?? '')).toBe(false)
        }
      }),
      {numRuns: 400},
    )
  })
})

describe('jwkr key inspect / thumbprint, for JWK-shaped input with random private members', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'jwkr-property-'))
  })
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  it('ends with exit 0 or 1 and never prints a private value, human or --json', async () => {
    let n = 0
    await fc.assert(
      fc.asyncProperty(
        shapedInput,
        fc.constantFrom('inspect', 'thumbprint'),
        fc.boolean(),
        async ({text, secrets}, verb, json) => {
          const path = join(dir, `input-${n++}`)
          writeFileSync(path, text)
          const {stdout, stderr, error} = await run(['key', verb, path, ...(json ? ['--json'] : [])])
          expect([0, 1]).toContain(exitCodeOf(error))
          expect(stdout + stderr).not.toMatch(/Unexpected error/)
          for (const value of secrets) expect(stdout + stderr).not.toContain(value)
        },
      ),
      {numRuns: 60},
    )
  })
})

describe('loadKeys and redaction, for oct secrets of any size up to the intake limit', () => {
  // Regression corpus: a 13–27 KB `k` once broke the redaction pattern and the error path printed
  // every private member. The sizes below are kept as examples; fast-check adds random ones (from 3
  // bytes: shorter values are not worth hiding, see MIN_SECRET_LENGTH).
  const octSize = fc.integer({min: 3, max: Math.floor(((1024 * 1024 - 200) * 3) / 4)})

  it('reads the set and redacts every secret from its report and from the raw text', async () => {
    await fc.assert(
      fc.asyncProperty(octSize, secretValue, async (bytes, d) => {
        const k = Buffer.alloc(bytes, 0x5a).toString('base64url')
        const text = JSON.stringify({
          keys: [
            {kty: 'oct', k},
            {...RFC7638_RSA, d},
          ],
        })
        const secrets = new SecretRegistry()
        const {printed} = await attempt(text, secrets)
        expect(secrets.leaks(printed ?? '')).toBe(false)
        const redacted = secrets.redact(text)
        expect(redacted).not.toContain(k)
        expect(redacted).not.toContain(d)
      }),
      {
        numRuns: 12,
        examples: [
          [13 * 1024, 'SxThirteenKilobytes'],
          [27 * 1024, 'SxTwentySevenKilobytes'],
        ],
      },
    )
  })
})
