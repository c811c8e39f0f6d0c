// Node.js code that verifies JWTs against a JWKS: jose's createRemoteJWKSet(new URL('…')), jwks-rsa's
// jwksRsa({jwksUri}) / expressJwtSecret({jwksUri}) (the secret of express-jwt's expressjwt), and
// express-oauth2-jwt-bearer's auth({issuerBaseURL}). String literals are read; anything else
// (process.env.X, a variable, a template with ${}) is an unresolved finding with the code as written.
import type {VerifierProfileId} from '../inventory/types.js'
import {lineIndex} from './config-values.js'
import {NODE_WORDS} from './hint-words.js'
import {statedFindings, type Stated} from './stated-values.js'
import type {Finding, ParseContext} from './types.js'

interface Call {
  verifier: VerifierProfileId
  pattern: RegExp
  field: 'jwksUri' | 'issuer'
}

const LITERAL = String.raw`(?:'([^'\n]*)'|"([^"\n]*)"|\x60([^\x60\n]*)\x60|([^,)}\n]+))`

const CALLS: Call[] = [
  {verifier: 'jose', field: 'jwksUri', pattern: new RegExp(String.raw`createRemoteJWKSet\(\s*new\s+URL\(\s*${LITERAL}`, 'g')},
  {verifier: 'jwks-rsa', field: 'jwksUri', pattern: new RegExp(String.raw`\bjwksUri\s*:\s*${LITERAL}`, 'g')},
  // express-oauth2-jwt-bearer verifies with jose's remote key set.
  {verifier: 'jose', field: 'issuer', pattern: new RegExp(String.raw`\bissuerBaseURL\s*:\s*${LITERAL}`, 'g')},
]

const ISSUER_OPTION = new RegExp(String.raw`\bissuer\s*:\s*${LITERAL}`, 'g')
const CACHE_MAX_AGE = /\bcacheMaxAge\s*:\s*([\d_]+(?:\s*\*\s*[\d_]+)*)/

/** Finds the JWKS clients of one source file. */
export function parseNodeCode(text: string, context: ParseContext): Finding[] {
  // Cheap test before the patterns run: files without any of these words say nothing.
  if (!NODE_WORDS.some((word) => text.includes(word))) return []
  const lineOf = lineIndex(text)
  const issuers = [...text.matchAll(ISSUER_OPTION)]
    .filter((match) => expressionOf(match) === null)
    .map((match) => ({value: valueOf(match), line: lineOf(match.index)}))
  // One issuer stated in the file is the one its JWKS client's tokens must carry (expressjwt's or jwtVerify's `issuer`).
  const issuer = issuers.length === 1 ? issuers[0] : undefined
  return CALLS.flatMap(({verifier, field, pattern}) =>
    [...text.matchAll(pattern)].flatMap((match) => {
      const line = lineOf(match.index)
      const expression = expressionOf(match)
      if (expression !== null) {
        return [
          {
            kind: 'unresolved' as const,
            source: 'node' as const,
            service: context.service,
            field,
            value: expression,
            reason: 'an expression in code, not a literal: its value is only known where the service runs',
            at: {file: context.file, line},
          },
        ]
      }
      const at: Stated = {value: valueOf(match), line}
      // jwksUri belongs to jwks-rsa only when the file uses it (get-jwks and others name it differently).
      if (field === 'jwksUri' && verifier === 'jwks-rsa' && !/jwks-rsa|jwksRsa|jwksClient|expressJwtSecret/.test(text)) return []
      const cacheSeconds = cacheOf(text.slice(match.index, match.index + 400))
      return statedFindings(
        {
          source: 'node',
          service: context.service,
          file: context.file,
          verifier,
          ...(cacheSeconds === null ? {} : {cacheSeconds}),
        },
        field === 'issuer' ? {issuer: at} : {jwksUri: at, issuer},
      )
    }),
  )
}

/** The string literal (a template literal with ${} stays as written: it is reported as unresolved). */
function valueOf(match: RegExpMatchArray): string {
  const [, single, double, backtick] = match
  return single ?? double ?? backtick ?? ''
}

/** The code written where a literal was expected (process.env.JWKS_URI, a variable), or null. */
function expressionOf(match: RegExpMatchArray): string | null {
  const code = match[4]
  return code === undefined ? null : code.trim()
}

/** cacheMaxAge in milliseconds, as written in the options next to the call (600000, 10 * 60 * 1000). */
function cacheOf(window: string): number | null {
  const match = CACHE_MAX_AGE.exec(window)
  if (!match) return null
  const ms = (match[1] as string).split('*').reduce((product, factor) => product * Number(factor.trim().replaceAll('_', '')), 1)
  return Number.isFinite(ms) ? ms / 1000 : null
}
