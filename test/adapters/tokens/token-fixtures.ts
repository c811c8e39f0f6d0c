// The committed token-scan fixtures (test/fixtures/logs, written by its generate.ts): paths, the
// expected counts per leaked key, and the needles that must never be printed — every whole token and
// every signature found in the logs, and the private values of the leaked keys.
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'

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
 * RS256: alice ×3 (access.log twice, packed.txt), carol (embedded jwk), erin (exp 2099), frank (no
 * exp) are issued; bob is not; three tokens claim its kid with another key, alg none, and HS256.
 */
export const EXPECTED: Record<LeakedName, {signed: number; forged: number; bad: number; tokens: number; subjects: string[]}> = {
  rs256: {signed: 6, forged: 1, bad: 3, tokens: 20, subjects: ['alice', 'bob', 'carol', 'erin', 'frank']},
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
