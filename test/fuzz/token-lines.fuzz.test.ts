// Fuzz budget, token triage lines: logs of tokens written every way a verifier accepts — leading
// whitespace or a byte order mark before the header's brace, a \u-escaped kid, no kid, another kid,
// claims of hostile text, payloads up to 300 KB — signed with the leaked key or another, between
// lines of binary junk and NUL bytes. The scan counts exactly the tokens the leaked key signed
// (decided by key, not by text), tells a bad signature under its kid from another key's token, and
// neither its result nor its terminal report holds a private value or a raw control character.
import {createPrivateKey, generateKeyPairSync, sign, type KeyObject} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import {beforeAll, describe, expect, it} from 'vitest'

import {loadKeySource} from '../../src/services/identify.js'
import {scanTokens} from '../../src/services/triage.js'
import {renderTokens} from '../../src/cli/render-tokens.js'
import {createStyle, forTerminal} from '../../src/cli/style.js'
import type {LoadedKey} from '../../src/core/key/types.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {keyFile, keyJwk} from '../adapters/tokens/token-fixtures.js'
import {privateNeedles} from '../core/key/samples.js'
import {budget, counted, SURFACE_TIMEOUT_MS, expectNoNeedle, hostileText, oneCase, RAW_CONTROL} from './fuzz-kit.js'
import {REGRESSIONS} from './regressions.js'

const KID = 'leaked-rs256-2024'
const NOW = new Date('2024-05-10T00:00:00Z')
const leakedPrivate = createPrivateKey({key: keyJwk('rs256') as never, format: 'jwk'})
const otherPrivate = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey
const needles = privateNeedles(keyJwk('rs256'))
const dir = mkdtempSync(join(tmpdir(), 'jwkr-fuzz-tokens-'))
let leaked: LoadedKey

beforeAll(async () => {
  leaked = (await loadKeySource(keyFile('rs256'), {secrets: new SecretRegistry()})).keys[0] as LoadedKey
})

export type HeaderForm = 'plain' | 'whitespace' | 'bom' | 'spaced' | 'escaped-kid' | 'no-kid' | 'other-kid'

export interface PlannedToken {
  form: HeaderForm
  /** Leading JSON whitespace for the 'whitespace' form. */
  whitespace: string
  leakedSigner: boolean
  claims: {sub: string; iss: string; jti: string; blob: number}
}

function headerJson({form, whitespace}: PlannedToken): string {
  const escapedKid = [...KID].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')
  switch (form) {
    case 'plain':
      return `{"alg":"RS256","kid":"${KID}"}`
    case 'whitespace':
      return `${whitespace}{"alg":"RS256","kid":"${KID}"}`
    case 'bom':
      return `\uFEFF{"alg":"RS256","kid":"${KID}"}`
    case 'spaced':
      return `{ "kid" : "${KID}" ,\n "alg" : "RS256" }`
    case 'escaped-kid':
      return `{"alg":"RS256","kid":"${escapedKid}"}`
    case 'no-kid':
      return '{"alg":"RS256","typ":"JWT"}'
    case 'other-kid':
      return '{"alg":"RS256","kid":"rotated-2025"}'
  }
}

function tokenOf(planned: PlannedToken): string {
  const b64 = (text: string): string => Buffer.from(text).toString('base64url')
  const {sub, iss, jti, blob} = planned.claims
  const payload = JSON.stringify({sub, iss, jti, iat: 1714557600, exp: 4102444800, ...(blob > 0 ? {blob: 'x'.repeat(blob)} : {})})
  const input = `${b64(headerJson(planned))}.${b64(payload)}`
  const key: KeyObject = planned.leakedSigner ? leakedPrivate : otherPrivate
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`
}

/** A claim an attacker writes, never one that marks jwkr's own canaries. */
const claim = hostileText.filter((text) => !text.includes('jwkr-canary'))

const plannedToken: fc.Arbitrary<PlannedToken> = fc.record({
  form: fc.constantFrom<HeaderForm>('plain', 'whitespace', 'bom', 'spaced', 'escaped-kid', 'no-kid', 'other-kid'),
  whitespace: fc.array(fc.constantFrom(' ', '\t', '\n', '\r'), {minLength: 1, maxLength: 120}).map((chars) => chars.join('')),
  leakedSigner: fc.boolean(),
  claims: fc.record({
    sub: claim,
    iss: claim,
    jti: fc.uuid(),
    blob: fc.oneof({arbitrary: fc.constant(0), weight: 8}, {arbitrary: fc.integer({min: 1, max: 300_000}), weight: 1}),
  }),
})

const junk = fc
  .oneof(fc.string({unit: 'binary', maxLength: 60}), fc.constant('\0'), hostileText)
  .map((text) => text.replace(/[\r\n]/g, ' '))

export interface LogCase {
  tokens: PlannedToken[]
  junk: string[]
}

const logCase: fc.Arbitrary<LogCase> = fc.record({
  tokens: fc.array(plannedToken, {minLength: 1, maxLength: 6}),
  junk: fc.array(junk, {maxLength: 6}),
})

/** What the scan must count: a header that names the key's kid with a bad signature is a bad signature; no kid or another kid with a bad one is another key's. */
function expected(tokens: PlannedToken[]) {
  const named = (token: PlannedToken) => !['no-kid', 'other-kid'].includes(token.form)
  return {
    signed: tokens.filter((token) => token.leakedSigner).length,
    bad: tokens.filter((token) => !token.leakedSigner && named(token)).length,
    other: tokens.filter((token) => !token.leakedSigner && !named(token)).length,
  }
}

describe('fuzz: token triage lines', () => {
  it(
    'counts exactly the tokens the leaked key signed, and shows no private value or control character',
    {timeout: SURFACE_TIMEOUT_MS},
    async () => {
      let n = 0
      await fc.assert(
        fc.asyncProperty(
          logCase,
          counted('token triage lines', async ({tokens, junk: lines}) => {
            const log = join(dir, `access-${n++}.log`)
            const body = [
              ...lines,
              ...tokens.map((token, i) => `${lines[i] ?? ''} "GET /api" 200 Authorization: Bearer ${tokenOf(token)} ua="x"`),
            ]
            writeFileSync(log, `${body.join('\n')}\n`)
            const {value: result} = await oneCase('token triage lines', () =>
              scanTokens(leaked, [log], {secrets: new SecretRegistry(), threads: 0, now: () => NOW}),
            )
            const want = expected(tokens)
            expect(result?.counts).toMatchObject({
              'signed-with-leaked-key': want.signed,
              'kid-match-bad-signature': want.bad,
              other: want.other,
              'suspected-forgery': 0,
            })
            expect(result?.skipped.unreadable).toBe(0)
            const shown = forTerminal(renderTokens(result!, createStyle({isTTY: false})), {isTTY: false})
            expect(shown).not.toMatch(RAW_CONTROL)
            expectNoNeedle(`${JSON.stringify(result)}\n${shown}`, needles)
          }),
        ),
        budget('token triage lines', REGRESSIONS.tokenLines),
      )
    },
  )
})
