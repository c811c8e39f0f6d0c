// The committed token-scan fixtures (test/fixtures/logs, written by its generate.ts): paths, the
// expected counts per leaked key, and the needles that must never be printed — every whole token and
// every signature found in the logs, and the private values of the leaked keys.
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'

import {SignJWT} from 'jose'

import {loadKeySource} from '../../../src/services/identify.js'
import {breakSignature, CANARY_JTI_PREFIX, CANARY_SUBJECT, mintCanary} from '../../../src/core/containment/canary.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {privateNeedles} from '../../core/key/samples.js'
import {projectRoot} from '../../helpers/run.js'

export const FIXTURES = join(projectRoot, 'test/fixtures/logs')
export const LOGS = join(FIXTURES, 'logs')
export const ISSUED_TXT = join(FIXTURES, 'issued.txt')
export const ISSUED_JSONL = join(FIXTURES, 'issued.jsonl')

export type LeakedName = 'rs256' | 'es256' | 'eddsa'
export const keyFile = (name: LeakedName): string => join(FIXTURES, 'keys', `leaked-${name}.json`)
export const keyJwk = (name: LeakedName): Record<string, unknown> =>
  JSON.parse(readFileSync(keyFile(name), 'utf8')) as Record<string, unknown>

export interface Planted {
  file: string
  line: number
  name: string
}
export const planted = (JSON.parse(readFileSync(join(FIXTURES, 'tokens.json'), 'utf8')) as {planted: Planted[]}).planted
/** `logs/access.log:2` style, as the scan prints a source, for a planted token. */
export const sourcesOf = (name: string): string[] =>
  planted.filter((item) => item.name === name).map((item) => `${join(FIXTURES, item.file)}:${item.line}`)

/**
 * What a scan of the whole logs folder must count, per leaked key, without and with the issued log.
 * RS256: alice ×3 (access.log twice, packed.txt), carol (embedded jwk), dave (no kid: verified all the
 * same), erin (exp 2099), frank (no exp) are issued; bob is not; three tokens claim its kid with another
 * key, alg none, and HS256.
 */
export const EXPECTED: Record<LeakedName, {signed: number; forged: number; bad: number; tokens: number; subjects: string[]}> = {
  rs256: {signed: 7, forged: 1, bad: 3, tokens: 20, subjects: ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']},
  es256: {signed: 1, forged: 1, bad: 1, tokens: 20, subjects: ['alice', 'gina']},
  eddsa: {signed: 1, forged: 1, bad: 1, tokens: 20, subjects: ['hank', 'ivan']},
}

const TOKEN = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

/** Every whole signed token in the fixture logs, and its signature alone. */
export function tokenNeedles(): string[] {
  const needles = new Set<string>()
  for (const path of filesUnder(LOGS)) {
    const text = path.endsWith('.gz') ? gunzipSync(readFileSync(path)).toString('latin1') : readFileSync(path, 'latin1')
    for (const [token] of text.matchAll(TOKEN)) {
      const signature = token.slice(token.lastIndexOf('.') + 1)
      if (signature.length >= 16) needles.add(token).add(signature)
    }
  }
  return [...needles]
}

/** The private values of a leaked fixture key in every encoding. */
export const keyNeedles = (name: LeakedName): string[] => privateNeedles(keyJwk(name))

/** A log written at test time: the lines of access.log with jwkr's own canaries mixed in. */
export interface CanaryLog {
  dir: string
  /** The log with the canaries. */
  log: string
  /** The same log without them: the reference a scan must match, canaries aside. */
  plain: string
  /** Canary tokens planted. */
  canaries: number
  /** The jtis jwkr sent (what an incident's probes journal): all of the canaries' but the last one's, which only wears the label. */
  sent: string[]
}

/**
 * access.log with four canaries of the leaked RS256 key between its lines, as a service's access log
 * holds them after jwkr probed it: one minted by mintCanary (jti prefix and sub), its negative control
 * (signature broken), one told only by its jti prefix, one only by its sub.
 */
export async function canaryLog(): Promise<CanaryLog> {
  const secrets = new SecretRegistry()
  const [key] = (await loadKeySource(keyFile('rs256'), {secrets})).keys
  if (!key?.privateKey) throw new Error('the rs256 fixture key has no private half')
  const kid = keyJwk('rs256').kid as string
  const minted = await mintCanary(
    key,
    {issuer: 'https://auth.example.com', audience: 'api.example.com', kid},
    {secrets, incident: 'inc-1', now: new Date('2024-05-03T10:00:00Z')},
  )
  const sign = (claims: Record<string, unknown>): Promise<string> =>
    new SignJWT({iss: 'https://auth.example.com', aud: 'api.example.com', iat: 1714730400, ...claims})
      .setProtectedHeader({alg: 'RS256', kid})
      .sign(key.privateKey as never)
  const canaries = [
    minted.token,
    breakSignature(minted.token),
    await sign({sub: 'probe-account', jti: `${CANARY_JTI_PREFIX}inc-1-control-0001`}),
    await sign({sub: CANARY_SUBJECT, jti: 'not-a-canary-jti'}),
  ]
  const lines = readFileSync(join(LOGS, 'access.log'), 'utf8').trimEnd().split('\n')
  const mixed = lines.flatMap((line, index) => {
    const canary = canaries[index]
    return canary === undefined
      ? [line]
      : [
          line,
          `10.9.9.9 - - [03/May/2024:10:00:0${index} +0000] "GET /api/orders HTTP/1.1" 401 0 "-" "jwkr" Authorization: Bearer ${canary}`,
        ]
  })
  const dir = await mkdtemp(join(tmpdir(), 'jwkr-canaries-'))
  const log = join(dir, 'with-canaries.log')
  const plain = join(dir, 'without.log')
  await writeFile(log, `${mixed.join('\n')}\n`)
  await writeFile(plain, `${lines.join('\n')}\n`)
  // The jtis of the canaries jwkr sent (as its probes journal them); the last canary only wears the label.
  const sent = [minted.jti, `${CANARY_JTI_PREFIX}inc-1-control-0001`]
  return {dir, log, plain, canaries: canaries.length, sent}
}
