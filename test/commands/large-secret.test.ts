// Regression: a key set holding an `oct` key with a long secret (from about 13 KB of `k` on) made the
// redaction pattern fail to compile, and the error path then printed every private member of every key
// to stderr. Keys of every type, secrets of every size up to the 1 MiB intake limit: no private value
// reaches stdout, stderr, the journal or any artifact, through `key inspect`, `key thumbprint` and a
// journaled `respond` run.
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {MAX_INPUT_BYTES} from '../../src/adapters/input/read-source.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {exitCodeOf, run} from '../helpers/run.js'
import {generateSamples, leakedNeedles, privateNeedles} from '../core/key/samples.js'

const asymmetric = generateSamples().filter((sample) => sample.kty !== 'oct')

/** Secret sizes in bytes: small, both ends of the range that broke, and as large as the intake allows. */
const OCT_BYTES = [32, 13 * 1024, 27 * 1024, 200 * 1024]
/** A lone oct JWK whose text is just under the intake limit (base64url: 4 characters per 3 bytes). */
const LARGEST_OCT_BYTES = Math.floor(((MAX_INPUT_BYTES - 200) * 3) / 4)

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jwkr-large-secret-'))
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

interface Case {
  label: string
  text: string
  needles: string[]
}

function octJwk(bytes: number): Record<string, unknown> {
  return {kty: 'oct', kid: `oct-${bytes}`, k: randomBytes(bytes).toString('base64url')}
}

/** A JWKS with one oct key of the given size and one key of every asymmetric type. */
function mixedSet(bytes: number): Case {
  const keys = [octJwk(bytes), ...asymmetric.map((sample) => ({...sample.privateJwk, kid: sample.name}))]
  return {
    label: `a JWKS with a ${bytes}-byte oct secret and ${asymmetric.length} private asymmetric keys`,
    text: JSON.stringify({keys}),
    needles: keys.flatMap((key) => privateNeedles(key)),
  }
}

function loneOct(bytes: number): Case {
  const jwk = octJwk(bytes)
  return {label: `a lone oct JWK with a ${bytes}-byte secret`, text: JSON.stringify(jwk), needles: privateNeedles(jwk)}
}

const cases: Case[] = [...OCT_BYTES.map(mixedSet), loneOct(LARGEST_OCT_BYTES)]

/** Every file under a folder, read as text. */
function filesUnder(folder: string): Array<{path: string; text: string}> {
  return readdirSync(folder, {recursive: true, encoding: 'utf8'})
    .map((name) => join(folder, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({path, text: readFileSync(path, 'utf8')}))
}

describe('a key set with a large oct secret', () => {
  it.each(cases.map((c) => [c.label, c] as const))(
    '%s: no private value in any output',
    async (_label, given) => {
      // Given the key set in a file, within the intake limit
      expect(Buffer.byteLength(given.text)).toBeLessThanOrEqual(MAX_INPUT_BYTES)
      const source = join(dir, `${randomBytes(4).toString('hex')}.json`)
      writeFileSync(source, given.text)
      // When it is inspected and thumbprinted, human and --json
      for (const verb of ['inspect', 'thumbprint']) {
        for (const mode of [[], ['--json']]) {
          const {stdout, stderr, error} = await run(['key', verb, source, ...mode])
          // Then the command succeeds, and no private value is on either stream
          expect(exitCodeOf(error), `${verb} ${mode.join(' ')}: ${stderr.slice(0, 300)}`).toBe(0)
          expect(stdout + stderr).not.toMatch(/Unexpected error|Invalid regular expression/)
          expect(leakedNeedles(stdout + stderr, given.needles)).toEqual([])
        }
      }
      // And a journaled run writes no private value into the journal or any artifact
      const home = mkdtempSync(join(dir, 'home-'))
      const {stdout, stderr, error} = await run([
        'respond',
        '--key',
        source,
        '--playbook',
        'inspect-only',
        '--yes',
        '--home',
        home,
      ])
      expect(exitCodeOf(error), stderr.slice(0, 300)).toBe(0)
      expect(leakedNeedles(stdout + stderr, given.needles)).toEqual([])
      const files = filesUnder(home)
      expect(files.some((file) => file.path.endsWith('journal.jsonl'))).toBe(true)
      for (const file of files) expect(leakedNeedles(file.text, given.needles), file.path).toEqual([])
    },
    120_000,
  )
})

describe('SecretRegistry with secrets of any size', () => {
  it('redacts a secret as large as the intake limit, in every encoding it registers', () => {
    // Given a 1 MiB secret
    const secrets = new SecretRegistry()
    const secret = randomBytes(LARGEST_OCT_BYTES).toString('base64url')
    secrets.add(secret)
    // When text holding it in base64url, base64 and hex is redacted
    const bytes = Buffer.from(secret, 'base64url')
    const text = `a ${secret} b ${bytes.toString('base64').replace(/=+$/, '')} c ${bytes.toString('hex')} d`
    // Then only the markers and the surrounding text remain
    expect(secrets.redact(text)).toBe('a [REDACTED] b [REDACTED] c [REDACTED] d')
    expect(secrets.leaks(text)).toBe(true)
    expect(secrets.leaks('a b c d')).toBe(false)
  })

  it('replaces overlapping and nested secrets by one marker, leaving no piece of either', () => {
    // Given two secrets that overlap in the text, and one inside another
    const secrets = new SecretRegistry()
    for (const value of ['AAAABBBB', 'BBBBCCCC', 'XXXXYYYYZZZZ', 'YYYY']) secrets.add(value)
    // When redacted, Then each run of secret text becomes exactly one marker
    expect(secrets.redact('<AAAABBBBCCCC>')).toBe('<[REDACTED]>')
    expect(secrets.redact('<XXXXYYYYZZZZ> <YYYY>')).toBe('<[REDACTED]> <[REDACTED]>')
    // And a marker never turns into secret text itself, even when a secret is a piece of "[REDACTED]"
    secrets.add('DACT')
    expect(secrets.redact('AAAABBBB DACT')).toBe('[REDACTED] [REDACTED]')
  })

  it('redacts a secret that holds characters special to regular expressions', () => {
    const secrets = new SecretRegistry()
    secrets.add('a+b*c?(d)[e]{f}|g\\h^$.')
    expect(secrets.redact('x a+b*c?(d)[e]{f}|g\\h^$. y')).toBe('x [REDACTED] y')
  })
})
