// Reads key material in whatever form it was found — JWK, JWKS, PEM (SPKI, PKCS#8, PKCS#1, SEC1,
// X.509) or a compact JWT — and returns canonical keys with their reports. Every private value is
// registered with the secret registry before anything can fail, so no error can echo it.
import {createPrivateKey, createPublicKey, X509Certificate, type KeyObject} from 'node:crypto'
import type {JWK} from 'jose'

import {JwkrError} from '../errors.js'
import {describeNesting, MAX_JWKS_KEYS, nestingProblem} from '../nesting.js'
import type {SecretRegistry} from '../secrets.js'
import {canonicalizeJwk, canonicalizeKeyObject, exportJwk, privateMemberNames, type CanonicalKey} from './canonical-key.js'
import {describeCertificate} from './certificate.js'
import {thumbprintsOf, thumbprintUri} from './thumbprint.js'
import type {CertificateInfo, KeyFormat, KeyReport, KeySet, LoadedKey} from './types.js'

export interface LoadKeysOptions {
  secrets: SecretRegistry
  /** Keep only keys with this kid (JWKS selection). */
  kid?: string | undefined
  /** Keep only keys with this RFC 7638 SHA-256 thumbprint. */
  thumbprint?: string | undefined
  now?: Date
}

interface FoundKey {
  format: KeyFormat
  canonical: CanonicalKey | null
  jwk: Record<string, unknown>
  certificate: CertificateInfo | null
  reference: boolean
  warnings: string[]
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)(?:-----END \1-----|$)/g
const COMPACT_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/

/**
 * Parses key material and identifies every key in it by its canonical RFC 7638 thumbprint.
 *
 * @example const {keys} = await loadKeys(fs.readFileSync('leaked.json', 'utf8'), {secrets})
 */
export async function loadKeys(text: string, options: LoadKeysOptions): Promise<KeySet> {
  const trimmed = text.trim()
  if (trimmed === '') {
    throw new JwkrError('ERR_INPUT_EMPTY', 'The input is empty.', {
      hint: 'Pass a file holding a JWK, JWKS, PEM key or certificate, or a JWT (or "-" to read stdin).',
    })
  }
  const setWarnings: string[] = []
  let found: FoundKey[]
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    found = fromJson(parseJson(trimmed, options.secrets), setWarnings)
  } else if (trimmed.includes('-----BEGIN ')) {
    found = fromPem(trimmed, options)
  } else if (COMPACT_JWT.test(trimmed)) {
    found = [await fromJwt(trimmed, options)]
  } else {
    throw new JwkrError('ERR_INPUT_UNRECOGNISED', 'The input is not a JWK, JWKS, PEM key or certificate, or compact JWT.', {
      hint: 'Check that the file holds the key itself, e.g. {"kty": …}, {"keys": […]} or -----BEGIN … KEY-----.',
    })
  }
  const keys = await Promise.all(found.map((key, index) => toLoadedKey(key, index)))
  return {keys: select(keys, options), warnings: setWarnings}
}

function parseJson(text: string, secrets: SecretRegistry): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    // Even a broken document may hold private values: find and register what looks like them
    // before reporting, and never repeat JSON.parse's message (it quotes the input). Without a
    // position the parser ran off the end ("Unexpected end of JSON input").
    secrets.addFromText(text)
    const position = /position (\d+)/.exec(String((error as Error).message))
    const where = lineColumn(text, position ? Number(position[1]) : text.length)
    throw new JwkrError('ERR_JSON_MALFORMED', `The input looks like JSON but is not valid JSON at ${where}.`, {
      hint: 'Fix the JSON (a missing quote, comma or brace?) or pass the original file.',
    })
  }
  // Before anything recursive walks it (registering its private values is the first such walk).
  const nesting = nestingProblem(value)
  if (nesting) {
    secrets.addFromText(text)
    throw new JwkrError('ERR_INPUT_TOO_LARGE', `The JSON ${describeNesting(nesting)}; no key is shaped like that.`, {
      hint: 'Pass the file that holds the key itself: a JWK, or a JWKS {"keys": [ … ]}.',
    })
  }
  registerPrivateValues(value, secrets)
  return value
}

function registerPrivateValues(value: unknown, secrets: SecretRegistry): void {
  if (Array.isArray(value)) {
    for (const item of value) registerPrivateValues(item, secrets)
  } else if (value && typeof value === 'object') {
    secrets.addJwk(value)
    for (const child of Object.values(value)) registerPrivateValues(child, secrets)
  }
}

function fromJson(value: unknown, setWarnings: string[]): FoundKey[] {
  // A bare array of JWKs is read like the "keys" of a JWKS.
  if (Array.isArray(value)) return fromJwks(value, setWarnings)
  if (value === null || typeof value !== 'object') {
    throw new JwkrError('ERR_INPUT_UNRECOGNISED', 'The JSON is neither a JWK nor a JWKS.', {
      hint: 'A JWK has a "kty" member; a JWKS is {"keys": [ … ]}.',
    })
  }
  const record = value as Record<string, unknown>
  if ('keys' in record) return fromJwks(record.keys, setWarnings)
  if ('kty' in record) return [fromJwk(record, 'jwk', 'the JWK')]
  throw new JwkrError('ERR_INPUT_UNRECOGNISED', 'The JSON object has neither "kty" (a JWK) nor "keys" (a JWKS).', {
    hint: 'Pass the key itself, or the JWKS document that holds it.',
  })
}

function fromJwks(keys: unknown, setWarnings: string[]): FoundKey[] {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new JwkrError('ERR_JWKS_EMPTY', 'The JWKS has no keys.', {
      hint: 'A JWKS is {"keys": [ … ]} with at least one JWK; check that this is the right file.',
    })
  }
  if (keys.length > MAX_JWKS_KEYS) {
    throw new JwkrError(
      'ERR_INPUT_TOO_LARGE',
      `The JWKS holds ${keys.length.toLocaleString('en')} entries; jwkr reads at most ${MAX_JWKS_KEYS.toLocaleString('en')}.`,
      {hint: 'Pass the key itself, or select it from a smaller set: no issuer serves that many keys.'},
    )
  }
  const found: FoundKey[] = []
  const failures: JwkrError[] = []
  for (const [i, jwk] of keys.entries()) {
    try {
      found.push(fromJwk(jwk, 'jwks', `key #${i} of the JWKS`))
    } catch (error) {
      if (!(error instanceof JwkrError)) throw error
      failures.push(error)
      setWarnings.push(`Skipped one key: ${error.message}`)
    }
  }
  if (found.length === 0) throw failures[0]
  const withPrivate = found.filter((key) => key.canonical && key.canonical.privateMembers.length > 0)
  if (withPrivate.length > 0) {
    setWarnings.push(
      `This JWKS contains private members in ${withPrivate.length} of ${found.length} keys: if it is served or shared, the set itself is the leak.`,
    )
  }
  return found
}

function fromJwk(raw: unknown, format: KeyFormat, label: string): FoundKey {
  const canonical = canonicalizeJwk(raw, label)
  const jwk = raw as Record<string, unknown>
  const warnings = [...canonical.warnings]
  const undeclared = privateMemberNames(jwk).filter((m) => !canonical.privateMembers.includes(m))
  if (undeclared.length > 0)
    warnings.push(`Members ${undeclared.join(', ')} are not defined for kty ${canonical.kty} but are treated as secret.`)
  let certificate: CertificateInfo | null = null
  if (Array.isArray(jwk.x5c) && typeof jwk.x5c[0] === 'string') {
    try {
      const cert = new X509Certificate(Buffer.from(jwk.x5c[0], 'base64'))
      certificate = describeCertificate(cert)
      const certJwk = cert.publicKey.export({format: 'jwk'}) as Record<string, unknown>
      const sameKey = Object.keys(canonical.thumbprintJwk).every(
        (m) => certJwk[m] === (canonical.thumbprintJwk as Record<string, unknown>)[m],
      )
      if (!sameKey) warnings.push('The first x5c certificate holds a different key from the JWK members.')
    } catch {
      warnings.push('"x5c" holds something that is not a DER certificate; it was ignored.')
    }
  }
  return {format, canonical, jwk, certificate, reference: false, warnings}
}

function fromPem(text: string, options: LoadKeysOptions): FoundKey[] {
  try {
    return readPemBlocks(text, options)
  } catch (error) {
    // A decoded key registers its private members (pemKey). Only text that failed to decode is
    // registered line by line: doing it for a decoded key would also hide its public modulus,
    // whose base64 lines a PKCS#1 RSA key lines up with the base64url of "n".
    options.secrets.addFromText(text)
    throw error
  }
}

function readPemBlocks(text: string, options: LoadKeysOptions): FoundKey[] {
  const blocks = [...text.matchAll(PEM_BLOCK)]
  const found: FoundKey[] = []
  for (const block of blocks) {
    const label = block[1] ?? ''
    const whole = block[0]
    if (!whole.includes('-----END ')) {
      throw new JwkrError('ERR_PEM_INVALID', `The PEM block "${label}" is truncated: it has no END line.`, {
        hint: 'Copy the whole block, from -----BEGIN to -----END, and try again.',
      })
    }
    if (label === 'EC PARAMETERS') continue
    if (label === 'ENCRYPTED PRIVATE KEY') {
      throw new JwkrError('ERR_KEY_UNSUPPORTED', 'The PEM holds an encrypted private key.', {
        hint: 'Decrypt it first, e.g. `openssl pkcs8 -in key.pem -out plain.pem`, and pass the plain key (keep it on disk with mode 0600).',
      })
    }
    const format = PEM_FORMATS[label]
    if (!format) {
      throw new JwkrError('ERR_PEM_INVALID', `The PEM block "${label}" is not a key or certificate that jwkr reads.`, {
        hint: 'jwkr reads PUBLIC KEY, PRIVATE KEY, RSA PRIVATE KEY, RSA PUBLIC KEY, EC PRIVATE KEY and CERTIFICATE blocks.',
      })
    }
    found.push(pemKey(whole, label, format, options))
  }
  if (found.length === 0) {
    throw new JwkrError('ERR_PEM_INVALID', 'The PEM text holds no key.', {hint: 'Pass the file that holds the key block.'})
  }
  return found
}

const PEM_FORMATS: Record<string, KeyFormat> = {
  'PUBLIC KEY': 'pem-spki',
  'PRIVATE KEY': 'pem-pkcs8',
  'RSA PRIVATE KEY': 'pem-pkcs1',
  'RSA PUBLIC KEY': 'pem-pkcs1',
  'EC PRIVATE KEY': 'pem-sec1',
  CERTIFICATE: 'x509',
}

function pemKey(pem: string, label: string, format: KeyFormat, options: LoadKeysOptions): FoundKey {
  let key: KeyObject
  let certificate: CertificateInfo | null = null
  try {
    if (format === 'x509') {
      const cert = new X509Certificate(pem)
      certificate = describeCertificate(cert, options.now)
      key = cert.publicKey
    } else {
      key = label.includes('PRIVATE') ? createPrivateKey(pem) : createPublicKey(pem)
    }
  } catch {
    throw new JwkrError('ERR_PEM_INVALID', `The PEM block "${label}" could not be decoded: it is truncated or corrupt.`, {
      hint: 'Copy the block again from its source, with every line between BEGIN and END intact.',
    })
  }
  if (key.type === 'private') options.secrets.addJwk(exportJwk(key))
  const canonical = canonicalizeKeyObject(key)
  const warnings = certificate?.expired ? [`The certificate expired on ${certificate.validTo}.`] : []
  return {format, canonical, jwk: {}, certificate, reference: false, warnings}
}

async function fromJwt(token: string, options: LoadKeysOptions): Promise<FoundKey> {
  // Imported here: only a JWT needs it, and jose's modules cost every key command's start (bench/).
  const {decodeProtectedHeader} = await import('jose/decode/protected_header')
  let header: Record<string, unknown>
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>
  } catch {
    throw new JwkrError('ERR_JWT_INVALID', 'The input looks like a JWT but its header does not decode.', {
      hint: 'A compact JWT is three base64url parts separated by dots; check that the token was copied whole.',
    })
  }
  if (header.jwk && typeof header.jwk === 'object') {
    options.secrets.addJwk(header.jwk)
    const embedded = fromJwk(header.jwk, 'jwt', 'the JWK embedded in the JWT header')
    embedded.jwk = {
      ...(header.jwk as Record<string, unknown>),
      kid: header.kid ?? (header.jwk as Record<string, unknown>).kid,
      alg: header.alg,
    }
    embedded.warnings.push(
      'The JWT embeds its own key ("jwk" header): a verifier that trusts embedded keys cannot be contained by removing a key (RFC 8725 §3.10).',
    )
    return embedded
  }
  return {
    format: 'jwt',
    canonical: null,
    jwk: {kid: header.kid, alg: header.alg, x5t: header.x5t, 'x5t#S256': header['x5t#S256']},
    certificate: null,
    reference: true,
    warnings: [
      "A JWT names its signing key but does not carry it: use the kid to find the key in the issuer's JWKS (jwkr services locate).",
    ],
  }
}

async function toLoadedKey(found: FoundKey, index: number): Promise<LoadedKey> {
  const {canonical, jwk} = found
  const str = (name: string): string | null => (typeof jwk[name] === 'string' ? (jwk[name] as string) : null)
  const thumbprints = canonical ? await thumbprintsOf(canonical.thumbprintJwk) : null
  const isPrivate = canonical ? canonical.privateMembers.length > 0 : false
  const isOct = canonical?.kty === 'oct'
  const warnings = [...found.warnings]
  if (isOct)
    warnings.push(
      'An oct key is a shared secret: its thumbprint is derived from the secret itself (RFC 7638 §7); do not publish it.',
    )
  if (canonical && !isPrivate)
    warnings.push(
      'This is a public key only: a public key is not a leak. Look for the private key, or inspect the JWKS it came from.',
    )
  const report: KeyReport = {
    index,
    format: found.format,
    kty: canonical?.kty ?? null,
    kid: str('kid'),
    alg: str('alg'),
    use: str('use'),
    crv: canonical?.crv ?? null,
    bits: canonical?.bits ?? null,
    private: isPrivate,
    privateMembers: canonical?.privateMembers ?? [],
    thumbprint: thumbprints?.sha256 ?? null,
    thumbprints,
    thumbprintUri: thumbprints ? thumbprintUri('sha256', thumbprints.sha256) : null,
    thumbprintDerivedFromSecret: isOct,
    publicJwk: canonical && !isOct ? publicJwkOf(canonical.thumbprintJwk, jwk) : null,
    severity: isPrivate || isOct ? 'critical' : 'info',
    warnings,
    reference: found.reference,
    x5t: found.certificate?.x5t ?? str('x5t'),
    x5tS256: found.certificate?.x5tS256 ?? str('x5t#S256'),
    certificate: found.certificate,
  }
  return {report, publicKey: canonical?.publicKey ?? null, privateKey: canonical?.privateKey ?? null}
}

/** The canonical public JWK plus the public metadata the input carried (kid, alg, use, x5c…). */
function publicJwkOf(canonical: JWK, raw: Record<string, unknown>): JWK {
  const out: Record<string, unknown> = {...canonical}
  for (const member of ['kid', 'alg', 'use', 'key_ops', 'x5c', 'x5t', 'x5t#S256', 'x5u']) {
    if (raw[member] !== undefined) out[member] = raw[member]
  }
  return out as JWK
}

function select(keys: LoadedKey[], options: LoadKeysOptions): LoadedKey[] {
  if (options.kid === undefined && options.thumbprint === undefined) return keys
  const picked = keys.filter(
    ({report}) =>
      (options.kid === undefined || report.kid === options.kid) &&
      (options.thumbprint === undefined || report.thumbprint === options.thumbprint),
  )
  if (picked.length === 0) {
    const wanted = [
      options.kid === undefined ? '' : `kid "${options.kid}"`,
      options.thumbprint === undefined ? '' : `thumbprint ${options.thumbprint}`,
    ]
      .filter(Boolean)
      .join(' and ')
    const available = keys.map(({report}) => `${report.kid ?? '(no kid)'} ${report.thumbprint ?? ''}`.trim())
    throw new JwkrError('ERR_JWKS_NO_MATCH', `No key matches ${wanted}.`, {
      hint: `The input holds ${keys.length} key(s): ${available.join('; ')}.`,
      details: {available},
    })
  }
  return picked.map(({report, ...rest}, index) => ({...rest, report: {...report, index}}))
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  const column = offset - before.lastIndexOf('\n')
  return `line ${line}, column ${column}`
}
