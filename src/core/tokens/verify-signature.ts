// The triage's hot path: does the leaked public key verify this token's signature? Token triage may
// verify millions of tokens, and jose v6 verifies through WebCrypto, which on Node 20 costs about
// four times node:crypto's one-shot verify for the same RSA operation (bench/tokens). So for the
// asymmetric algorithms whose parameters the JWS `alg` fixes completely (RFC 7518 §3.3–3.5, RFC 8037
// §3.1) node:crypto does the verify; everything else (HMAC, unknown algs) goes to jose, which is
// also the oracle the tests compare this with. Nothing here is hand-written cryptography.
import {constants, createPublicKey, verify, type KeyObject, type VerifyKeyObjectInput} from 'node:crypto'

import {BASE64URL_DIGITS} from './base64url-digits.js'
import {decodeHeader} from './key-reference.js'

interface AlgorithmParameters {
  /** The key type node:crypto reports for keys that may make this alg. */
  keyType: string
  /** For EC: the curve the alg requires (RFC 7518 §3.4). */
  curve?: string
  digest: string | null
  padding?: number
  dsaEncoding?: 'ieee-p1363'
}

const ALGORITHMS: Record<string, AlgorithmParameters> = {
  RS256: {keyType: 'rsa', digest: 'sha256'},
  RS384: {keyType: 'rsa', digest: 'sha384'},
  RS512: {keyType: 'rsa', digest: 'sha512'},
  PS256: {keyType: 'rsa', digest: 'sha256', padding: constants.RSA_PKCS1_PSS_PADDING},
  PS384: {keyType: 'rsa', digest: 'sha384', padding: constants.RSA_PKCS1_PSS_PADDING},
  PS512: {keyType: 'rsa', digest: 'sha512', padding: constants.RSA_PKCS1_PSS_PADDING},
  ES256: {keyType: 'ec', curve: 'prime256v1', digest: 'sha256', dsaEncoding: 'ieee-p1363'},
  ES384: {keyType: 'ec', curve: 'secp384r1', digest: 'sha384', dsaEncoding: 'ieee-p1363'},
  ES512: {keyType: 'ec', curve: 'secp521r1', digest: 'sha512', dsaEncoding: 'ieee-p1363'},
  ES256K: {keyType: 'ec', curve: 'secp256k1', digest: 'sha256', dsaEncoding: 'ieee-p1363'},
  Ed25519: {keyType: 'ed25519', digest: null},
}

const HMAC = new Set(['HS256', 'HS384', 'HS512'])

/** How one encoded header is verified with the key: node:crypto's arguments, false (not the key's), or null (ask jose). */
type Decision = {digest: string | null; options: VerifyKeyObjectInput & {dsaEncoding?: 'ieee-p1363'}} | false | null

/** A verifier for one key; see createSignatureVerifier. */
export type SignatureVerifier = (token: string) => boolean | undefined

/** Distinct headers remembered per verifier: a log repeats a few; a flood of unique ones is not kept. */
const HEADERS_KEPT = 1024

/**
 * A verifier bound to one key, for many tokens (a worker's whole scan): the decision on each distinct
 * encoded header (its alg against the key) is made once, and the signing input and the signature are
 * decoded into buffers it reuses, so a verify costs the RSA or EC operation and little else.
 * It verifies with its own copy of an asymmetric key (see ownCopy). Answers as verifySignature does.
 *
 * @example const verifies = createSignatureVerifier(leaked.publicKey); tokens.filter((token) => verifies(token))
 */
export function createSignatureVerifier(key: KeyObject): SignatureVerifier {
  return verifierFor(ownCopy(key))
}

/**
 * True when `key` made the token's signature, false when it did not (or the alg cannot be the key's:
 * `none`, HMAC with a public key, another curve), and undefined when this fast path does not decide
 * (a secret key, an alg it does not know): ask jose then. For many tokens, createSignatureVerifier.
 *
 * @example verifySignature(token, leaked.publicKey) // true | false | undefined
 */
export function verifySignature(token: string, key: KeyObject): boolean | undefined {
  return verifierFor(key)(token)
}

/**
 * The public half of an asymmetric key, imported anew. A KeyObject posted to a worker thread shares
 * the sender's native key, whose mutex Node 20 locks five times per verify (ManagedEVPPKey copies),
 * besides OpenSSL's reference count and RSA lock on it: two threads verifying with one shared key
 * wait on each other (measured: about 2,000 more futex calls per 80,000 RS256 verifies, and 3 % fewer
 * verifies/s on 2 threads). A copy per verifier shares none of these. A secret key is kept as it is
 * (jose verifies HMAC with it).
 */
function ownCopy(key: KeyObject): KeyObject {
  if (key.type === 'secret') return key
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  return createPublicKey({key: publicKey.export({format: 'der', type: 'spki'}), format: 'der', type: 'spki'})
}

function verifierFor(key: KeyObject): SignatureVerifier {
  const decisions = new Map<string, Decision>()
  let input = Buffer.allocUnsafe(2048)
  let signature = Buffer.allocUnsafe(1024)
  return (token) => {
    const first = token.indexOf('.')
    const last = token.lastIndexOf('.')
    if (first <= 0 || last === first) return false
    const header = token.slice(0, first)
    let decision = decisions.get(header)
    if (decision === undefined) {
      decision = decide(header, key)
      if (decisions.size < HEADERS_KEPT) decisions.set(header, decision)
    }
    if (decision === null) return undefined
    if (decision === false) return false
    if (input.length < last) input = Buffer.allocUnsafe(last * 2)
    const encoded = token.length - last - 1
    if (signature.length < encoded) signature = Buffer.allocUnsafe(encoded * 2)
    // Tokens are ASCII (base64url and dots); latin1 writes one byte per character, as Buffer.from(…, 'ascii') did.
    const inputBytes = input.write(token, 0, last, 'latin1')
    let signatureBytes = decodeBase64urlInto(token, last + 1, token.length, signature)
    if (signatureBytes < 0) signatureBytes = signature.write(token.slice(last + 1), 0, 'base64url')
    try {
      return verify(decision.digest, input.subarray(0, inputBytes), decision.options, signature.subarray(0, signatureBytes))
    } catch {
      return false
    }
  }
}

function digitAt(text: string, index: number): number {
  const code = text.charCodeAt(index)
  return code < 256 ? (BASE64URL_DIGITS[code] as number) : -1
}

/**
 * Decodes text[start, end), unpadded base64url, into `target` (room for end - start bytes) and
 * returns the bytes written; -1 when the text holds anything else (padding, whitespace, another
 * character) or has a length no encoding has: the caller then decodes it as before, with Buffer.
 * Why not Buffer#write(…, 'base64url'): on Node 20 it copies the string out of V8 first, and in the
 * verify loop it cost ~1.7 µs more CPU per RS256 signature than this (23.1 against 21.3 µs per
 * verify, medians of 10 alternating rounds).
 *
 * @example decodeBase64urlInto('x.AQID', 2, 6, Buffer.alloc(4)) // 3 (bytes 1, 2, 3)
 */
export function decodeBase64urlInto(text: string, start: number, end: number, target: Buffer): number {
  if ((end - start) % 4 === 1) return -1
  let written = 0
  let at = start
  for (; at + 4 <= end; at += 4) {
    const a = digitAt(text, at)
    const b = digitAt(text, at + 1)
    const c = digitAt(text, at + 2)
    const d = digitAt(text, at + 3)
    if ((a | b | c | d) < 0) return -1
    const group = (a << 18) | (b << 12) | (c << 6) | d
    target[written++] = (group >> 16) & 0xff
    target[written++] = (group >> 8) & 0xff
    target[written++] = group & 0xff
  }
  if (at < end) {
    // Two or three characters left: one or two bytes (their spare low bits are ignored, as Buffer does).
    const three = at + 2 < end
    const a = digitAt(text, at)
    const b = digitAt(text, at + 1)
    const c = three ? digitAt(text, at + 2) : 0
    if ((a | b | c) < 0) return -1
    const group = (a << 18) | (b << 12) | (c << 6)
    target[written++] = (group >> 16) & 0xff
    if (three) target[written++] = (group >> 8) & 0xff
  }
  return written
}

/** What the token's (encoded) header means for this key: how to verify, false, or null for jose. */
function decide(encodedHeader: string, key: KeyObject): Decision {
  // Decoded as jose decodes it: leading whitespace and a byte order mark are fine.
  const header = decodeHeader(encodedHeader)
  if (header === null) return false
  const {alg} = header
  if (typeof alg !== 'string') return false
  // A secret verifies HMAC only (jose decides those); no other alg can be its signature.
  if (key.type === 'secret') return HMAC.has(alg) ? null : false
  const parameters = ALGORITHMS[alg === 'EdDSA' ? edAlg(key) : alg]
  if (!parameters) return alg === 'none' || alg.startsWith('HS') ? false : null
  if (key.asymmetricKeyType !== parameters.keyType) return false
  if (parameters.curve && key.asymmetricKeyDetails?.namedCurve !== parameters.curve) return false
  return {
    digest: parameters.digest,
    options: {
      key,
      ...(parameters.padding === undefined ? {} : {padding: parameters.padding, saltLength: constants.RSA_PSS_SALTLEN_DIGEST}),
      ...(parameters.dsaEncoding ? {dsaEncoding: parameters.dsaEncoding} : {}),
    },
  }
}

/** `EdDSA` names the curve by the key (RFC 8037 §3.1): Ed25519 here, Ed448 left to jose. */
function edAlg(key: KeyObject): string {
  return key.asymmetricKeyType === 'ed25519' ? 'Ed25519' : 'EdDSA'
}
