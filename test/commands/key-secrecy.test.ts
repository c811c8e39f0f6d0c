// A leaked key must never leak again: for every key type, every form it is found in, and broken
// variants of each, no private value (d, p, q, dp, dq, qi, k — as given, in base64 and in hex)
// appears on stdout or stderr of `jwkr key inspect` / `jwkr key thumbprint`, human or --json.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {exitCodeOf, run} from '../helpers/run.js'
import {generateSamples, leakedNeedles, pem, privateNeedles, renditionsOf, type KeySample} from '../core/key/samples.js'

interface Variant {
  label: string
  /** A well-formed key: nothing in its report is secret, so nothing may come out redacted. */
  wellFormed?: boolean
  /** The SOURCE text; written to a file unless `inline`. */
  text: string
  inline?: boolean
  /** Extra arguments (a --kid that matches nothing, a second argument…). */
  extra?: string[]
}

const samples = generateSamples()
let dir: string
let counter = 0

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jwkr-secrecy-'))
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** Broken forms of a private key: what a half-copied or hand-edited leak looks like. */
function brokenVariants(sample: KeySample): Variant[] {
  const jwk = sample.privateJwk
  const text = JSON.stringify(jwk, null, 2)
  const publicMember = sample.kty === 'RSA' ? 'n' : sample.kty === 'oct' ? null : 'x'
  const variants: Variant[] = [
    {label: 'JSON without its closing brace', text: text.slice(0, text.lastIndexOf('}'))},
    {label: 'JSON with a comma missing', text: text.replace(/,\n/, '\n')},
    {label: 'JSON cut inside a private value', text: text.slice(0, text.indexOf('"d"') + 20 || text.indexOf('"k"') + 12)},
    {label: 'an unknown kty', text: JSON.stringify({...jwk, kty: 'RSX'})},
    {label: 'a JWKS of one broken key', text: JSON.stringify({keys: [{...jwk, kty: 42}]})},
    {label: 'a JWKS and a --kid that matches nothing', text: JSON.stringify({keys: [jwk]}), extra: ['--kid', 'nope']},
    {label: 'the JWK inline, twice (a usage error)', text: JSON.stringify(jwk), inline: true, extra: [JSON.stringify(jwk)]},
    {label: 'the JWK inline with an unknown flag', text: JSON.stringify(jwk), inline: true, extra: ['--bogus']},
    {label: 'a JWT whose header embeds the private JWK', text: `${base64url({alg: 'none', jwk})}.e30.c2ln`},
    {
      label: 'a JWT whose embedded private JWK is broken',
      text: `${base64url({alg: 'none', jwk: {...jwk, kty: 'RSX'}})}.e30.c2ln`,
    },
  ]
  if (publicMember)
    variants.push({label: `a JWK without "${publicMember}"`, text: JSON.stringify({...jwk, [publicMember]: undefined})})
  if (sample.kty === 'EC' || sample.kty === 'OKP')
    variants.push({label: 'an unknown crv', text: JSON.stringify({...jwk, crv: 'P-999'})})
  if (sample.kty === 'oct')
    variants.push({label: 'a k that is not base64url', text: JSON.stringify({...jwk, k: `${jwk.k as string}!`})})
  if (sample.privateKey) {
    const lines = pem(sample.privateKey, 'pkcs8').trim().split('\n')
    variants.push(
      {label: 'a PEM without its END line', text: lines.slice(0, -1).join('\n')},
      {label: 'a PEM with lines missing', text: [lines[0], ...lines.slice(2)].join('\n')},
      {
        label: 'a PEM inline with an END label that does not match',
        text: `${lines.slice(0, -1).join('\n')}\n-----END RSA PRIVATE KEY-----`,
        inline: true,
      },
    )
  }
  return variants
}

function variantsOf(sample: KeySample): Variant[] {
  const found = renditionsOf(sample)
    .filter((r) => r.private)
    .map((r) => ({label: `as ${r.format}`, text: r.text, wellFormed: true}))
  return [...found, ...brokenVariants(sample)]
}

const cases = samples.flatMap((sample) =>
  variantsOf(sample).map((variant) => [`${sample.name}: ${variant.label}`, sample, variant] as const),
)

describe('no private value in any output', () => {
  it.each(cases)('%s', async (_label, sample, variant) => {
    // Given a private key in this form, and its private values as needles
    const needles = privateNeedles(sample.privateJwk)
    expect(needles.length).toBeGreaterThan(0)
    let source = variant.text
    if (!variant.inline) {
      source = join(dir, `source-${counter++}`)
      writeFileSync(source, variant.text)
    }
    // When each command reads it, in human and --json mode
    for (const verb of ['inspect', 'thumbprint']) {
      for (const mode of [[], ['--json']]) {
        const {stdout, stderr, error} = await run(['key', verb, source, ...(variant.extra ?? []), ...mode])
        // Then it ends normally or with an expected failure, and no needle is in either stream
        expect([0, 1, 2]).toContain(exitCodeOf(error))
        expect(stdout + stderr).not.toMatch(/Unexpected error/)
        expect(leakedNeedles(stdout + stderr, needles), `${verb} ${mode.join(' ')}`).toEqual([])
        // And a well-formed key's public data is printed whole, not caught by an over-eager redaction
        if (variant.wellFormed) expect(stdout + stderr, `${verb} ${mode.join(' ')}`).not.toContain('[REDACTED]')
      }
    }
  })
})
