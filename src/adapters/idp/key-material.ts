// Turns what an IdP lists (a JWK, an X.509 certificate, a bare base64 SPKI) into a SourceKey with
// its canonical RFC 7638 thumbprint, through the key core, so a key is matched by what it is and
// never by its kid. Vendors' own "thumbprints" (Auth0's hex SHA-1 of the certificate) are not used.
import {createPublicKey, X509Certificate, type KeyObject} from 'node:crypto'
import {calculateJwkThumbprint, type JWK} from 'jose'

import {canonicalizeJwk, canonicalizeKeyObject, privateMemberNames} from '../../core/key/canonical-key.js'
import {JwkrError} from '../../core/errors.js'
import {describeNesting, MAX_JWKS_KEYS, nestingProblem} from '../../core/nesting.js'
import {PRIVATE_JWK_MEMBERS, type SecretRegistry} from '../../core/secrets.js'
import type {SourceKey, SourceKeyStatus} from './issuer-key-store.js'

/**
 * The JSON of a key set kept in a file (on disk or in a repository), parsed and bounded before
 * anything walks it. `where` starts the messages ("The JWKS file keys.json"); nothing of the text
 * is quoted, and what looks private in a broken text is registered first.
 *
 * @throws JwkrError ERR_KEY_SOURCE_INVALID when it is not JSON or nests deeper than any key set.
 */
export function parseKeySetText(text: string, where: string, fixHint: string, secrets: SecretRegistry): unknown {
  let value: unknown
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch {
    secrets.addFromText(text)
    throw new JwkrError('ERR_KEY_SOURCE_INVALID', `${where} is not valid JSON.`, {hint: fixHint})
  }
  const nesting = nestingProblem(value)
  if (nesting) {
    secrets.addFromText(text)
    throw new JwkrError('ERR_KEY_SOURCE_INVALID', `${where} ${describeNesting(nesting)}: it is no key set.`, {hint: fixHint})
  }
  return value
}

/** Refuses a key set of more entries than any issuer serves (ERR_KEY_SOURCE_INVALID). */
export function checkKeyCount(keys: readonly unknown[], where: string): void {
  if (keys.length <= MAX_JWKS_KEYS) return
  throw new JwkrError(
    'ERR_KEY_SOURCE_INVALID',
    `${where} holds ${keys.length.toLocaleString('en')} entries; jwkr reads at most ${MAX_JWKS_KEYS.toLocaleString('en')}.`,
    {hint: 'Check keySource.path in the inventory: no issuer serves that many keys.'},
  )
}

/** Members copied from a listed key onto its canonical public JWK. */
const DESCRIPTIVE_MEMBERS = ['kid', 'alg', 'use'] as const

export interface ListedKeyFacts {
  kid: string | null
  status: SourceKeyStatus
  alg?: string | null
  use?: string | null
  ref?: Record<string, unknown>
}

/**
 * A SourceKey from a JWK as an IdP lists it. Private members, if a broken IdP sends any, are
 * registered as secrets and never copied; an oct key (whose thumbprint is a hash of the secret) is
 * refused, since no public key set should list one.
 */
export async function sourceKeyFromJwk(
  raw: unknown,
  facts: Omit<ListedKeyFacts, 'kid'> & {kid?: string | null},
  secrets: SecretRegistry,
): Promise<SourceKey> {
  secrets.addJwk(raw)
  const canonical = canonicalizeJwk(raw, 'a listed key')
  if (canonical.kty === 'oct') {
    throw new JwkrError(
      'ERR_IDP_BAD_RESPONSE',
      'The key source lists a symmetric (oct) key: its thumbprint would be derived from the secret.',
      {
        hint: 'A published key set must hold public keys only; treat that secret as exposed.',
      },
    )
  }
  const record = raw as Record<string, unknown>
  const kid = facts.kid !== undefined ? facts.kid : typeof record.kid === 'string' ? record.kid : null
  return withFacts(canonical.thumbprintJwk, await calculateJwkThumbprint(canonical.thumbprintJwk, 'sha256'), {
    ...facts,
    kid,
    alg: facts.alg ?? stringOrNull(record.alg),
    use: facts.use ?? stringOrNull(record.use),
  })
}

/**
 * A SourceKey from an X.509 certificate or a public key in PEM, or as the bare base64 DER body that
 * Keycloak lists (`publicKey`: SPKI, `certificate`: X.509).
 */
export async function sourceKeyFromPem(
  text: string,
  kind: 'certificate' | 'public-key',
  facts: ListedKeyFacts,
): Promise<SourceKey> {
  const publicKey = publicKeyFrom(text, kind)
  const canonical = canonicalizeKeyObject(publicKey)
  return withFacts(canonical.thumbprintJwk, await calculateJwkThumbprint(canonical.thumbprintJwk, 'sha256'), facts)
}

/** The canonical thumbprint of a replacement JWK, refusing one that carries private members. */
export async function publicReplacement(
  publicJwk: JWK,
  kid: string,
  secrets: SecretRegistry,
): Promise<{jwk: JWK; thumbprint: string}> {
  secrets.addJwk(publicJwk)
  const privateMembers = privateMemberNames(publicJwk as Record<string, unknown>)
  if (privateMembers.length > 0 || publicJwk.kty === 'oct') {
    throw new JwkrError(
      'ERR_JWKS_PRIVATE_MEMBERS',
      'The replacement key holds private members; jwkr publishes public keys only.',
      {
        hint: `Pass the public half of the new key (without ${privateMembers.length > 0 ? privateMembers.join(', ') : 'k'}).`,
        details: {privateMembers},
      },
    )
  }
  const canonical = canonicalizeJwk(publicJwk, 'the replacement key')
  const thumbprint = await calculateJwkThumbprint(canonical.thumbprintJwk, 'sha256')
  return {jwk: {...publicJwk, kid}, thumbprint}
}

/** The JWK without any private member (and without `k`): safe to print in a plan or instructions. */
export function withoutPrivateMembers(jwk: JWK): JWK {
  return Object.fromEntries(
    Object.entries(jwk).filter(([member]) => !(PRIVATE_JWK_MEMBERS as readonly string[]).includes(member)),
  ) as JWK
}

export function findByThumbprint(keys: readonly SourceKey[], thumbprint: string): SourceKey | undefined {
  return keys.find((key) => key.thumbprint === thumbprint)
}

function publicKeyFrom(text: string, kind: 'certificate' | 'public-key'): KeyObject {
  const trimmed = text.trim()
  const pem = trimmed.includes('-----BEGIN ') ? trimmed : wrapPem(trimmed, kind === 'certificate' ? 'CERTIFICATE' : 'PUBLIC KEY')
  try {
    return kind === 'certificate' ? new X509Certificate(pem).publicKey : createPublicKey(pem)
  } catch {
    throw new JwkrError(
      'ERR_IDP_BAD_RESPONSE',
      `The key source listed a ${kind === 'certificate' ? 'certificate' : 'public key'} that does not parse.`,
      {
        hint: 'Check the key source answers with what its API documents; list the keys again.',
      },
    )
  }
}

function wrapPem(base64: string, label: string): string {
  const body =
    base64
      .replace(/\s+/g, '')
      .match(/.{1,64}/g)
      ?.join('\n') ?? ''
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`
}

function withFacts(thumbprintJwk: JWK, thumbprint: string, facts: ListedKeyFacts): SourceKey {
  const publicJwk: Record<string, unknown> = {...thumbprintJwk}
  const values: Record<(typeof DESCRIPTIVE_MEMBERS)[number], string | null | undefined> = {
    kid: facts.kid,
    alg: facts.alg,
    use: facts.use,
  }
  for (const member of DESCRIPTIVE_MEMBERS) {
    const value = values[member]
    if (typeof value === 'string') publicJwk[member] = value
  }
  return {kid: facts.kid, thumbprint, publicJwk: publicJwk as JWK, status: facts.status, ...(facts.ref ? {ref: facts.ref} : {})}
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}
