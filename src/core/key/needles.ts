// The strings a leaked key is likely written as, for searching code, configuration and GitHub:
// identifiers (kid, thumbprint, x5t) and distinctive pieces of the key material in the encodings it
// is found in (JWK base64url, standard base64, the base64 body of its PEM/DER forms).
import type {KeyObject} from 'node:crypto'

import type {LoadedKey} from './types.js'

export type NeedleKind =
  | 'kid'
  | 'thumbprint'
  | 'thumbprint-hex'
  | 'modulus'
  | 'coordinate'
  | 'secret'
  | 'private-member'
  | 'spki'
  | 'pkcs8'
  | 'pkcs1'
  | 'sec1'
  | 'x5t'
  | 'x5t#S256'

export interface Needle {
  kind: NeedleKind
  /** The exact text to look for (case-sensitive, ASCII). */
  value: string
  /**
   * False for private or secret material (windows of `k` and `d`, PKCS#8 / PKCS#1 / SEC1 private
   * bodies): register it with the SecretRegistry before printing anything, never print it, never
   * send it anywhere (not even as a search query).
   */
  public: boolean
  /** What the needle is, for people: "n (modulus) bytes 96–114, base64url". Never holds the value. */
  description: string
}

export interface KeyNeedleOptions {
  /** Length of a material window in base64 characters: a multiple of 4, at least 16 (default 24). */
  windowLength?: number
}

export const DEFAULT_WINDOW_LENGTH = 24
/** Shorter kids ("1", "key-1") are everywhere in code; only longer ones are worth searching for. */
export const MIN_KID_LENGTH = 8
/** PEM lines and whole values shorter than this (the "IDAQAB" tail of every RSA key) say nothing. */
const MIN_MATERIAL_LENGTH = 16
/** Three windows side by side in the middle of a value; more add needles, not findings. */
const MAX_WINDOWS = 3
const PEM_LINE_LENGTH = 64

/**
 * Every needle for one key, deduplicated by value. A key read from a JWT header (a reference) gives
 * only its kid and x5t; an oct key gives its thumbprint and windows of `k` (private).
 *
 * @example keyNeedles(set.keys[0]).filter((needle) => needle.public).map((needle) => needle.value)
 */
export function keyNeedles(key: LoadedKey, options: KeyNeedleOptions = {}): Needle[] {
  const windowLength = options.windowLength ?? DEFAULT_WINDOW_LENGTH
  if (!Number.isInteger(windowLength) || windowLength < 16 || windowLength % 4 !== 0) {
    throw new RangeError(`windowLength must be a multiple of 4 and at least 16, got ${windowLength}.`)
  }
  const members = memberValues(key.publicKey, key.privateKey)
  const needles = [
    ...identifierNeedles(key),
    ...members.flatMap((member) => (member.windows ? windowNeedles(member, windowLength) : [])),
    ...encodingNeedles(key.publicKey, key.privateKey, members),
  ]
  const seen = new Set<string>()
  return needles.filter((needle) => !seen.has(needle.value) && seen.add(needle.value))
}

function identifierNeedles({report}: LoadedKey): Needle[] {
  const needles: Needle[] = []
  if (report.kid !== null && report.kid.length >= MIN_KID_LENGTH) {
    needles.push({kind: 'kid', value: report.kid, public: true, description: 'kid'})
  }
  if (report.thumbprint !== null) {
    const label = 'RFC 7638 SHA-256 thumbprint'
    needles.push(...alphabets(report.thumbprint, 'thumbprint', true, label))
    needles.push(...hexForms(Buffer.from(report.thumbprint, 'base64url'), 'thumbprint-hex', label))
  }
  if (report.x5t !== null) needles.push(...alphabets(report.x5t, 'x5t', true, 'x5t (SHA-1 of the certificate)'))
  if (report.x5tS256 !== null) {
    needles.push(...alphabets(report.x5tS256, 'x5t#S256', true, 'x5t#S256 (SHA-256 of the certificate)'))
  }
  if (report.certificate) {
    // Vendors show certificate thumbprints as hex (Auth0, Azure) or colon-separated hex (openssl).
    const sha1 = report.certificate.sha1Fingerprint
    needles.push(...hexForms(Buffer.from(sha1.replace(/:/g, ''), 'hex'), 'x5t', 'SHA-1 certificate fingerprint'))
    needles.push({kind: 'x5t', value: sha1, public: true, description: 'SHA-1 certificate fingerprint, colon hex'})
    const sha256 = report.certificate.sha256Fingerprint.replace(/:/g, '')
    needles.push(...hexForms(Buffer.from(sha256, 'hex'), 'x5t#S256', 'SHA-256 certificate fingerprint'))
  }
  return needles
}

/** A JWK member of the key, as bytes, with the needle kind its windows and PEM lines get. */
interface MemberValue {
  kind: NeedleKind
  isPublic: boolean
  label: string
  bytes: Buffer
  /** Whether it gets windows of its own (the CRT members of RSA are found through d and the PEM lines). */
  windows: boolean
  /** 3 for members that sit in DER containers at any offset; 1 for a shared secret, which has none. */
  shifts: number
}

function memberValues(publicKey: KeyObject | null, privateKey: KeyObject | null): MemberValue[] {
  const publicJwk = publicKey ? (publicKey.export({format: 'jwk'}) as Record<string, unknown>) : {}
  const privateJwk = privateKey ? (privateKey.export({format: 'jwk'}) as Record<string, unknown>) : {}
  const members: Array<[member: string, kind: NeedleKind, isPublic: boolean, label: string, windows: boolean]> = [
    ['n', 'modulus', true, 'n (modulus)', true],
    ['x', 'coordinate', true, 'x', true],
    ['y', 'coordinate', true, 'y', true],
    ['k', 'secret', false, 'k (shared secret)', true],
    ['d', 'private-member', false, 'd (private key)', true],
    ['p', 'private-member', false, 'p (first prime)', false],
    ['q', 'private-member', false, 'q (second prime)', false],
    ['dp', 'private-member', false, 'dp (CRT exponent)', false],
    ['dq', 'private-member', false, 'dq (CRT exponent)', false],
    ['qi', 'private-member', false, 'qi (CRT coefficient)', false],
  ]
  return members.flatMap(([member, kind, isPublic, label, windows]) => {
    const value = (isPublic ? publicJwk : privateJwk)[member]
    if (typeof value !== 'string') return []
    return [{kind, isPublic, label, bytes: Buffer.from(value, 'base64url'), windows, shifts: kind === 'secret' ? 1 : 3}]
  })
}

/**
 * Windows of a value's bytes, written in base64url and in standard base64.
 *
 * Any text holding the whole value in either alphabet holds every window that starts on a 3-byte
 * boundary of the value, so those are found in JWKs and base64 configs. But the value also sits
 * inside larger base64 blobs — an X.509 certificate (PEM or `x5c`), a PKCS#8 body, a DER key written
 * with another line width — where it starts at an arbitrary byte offset and its base64 characters
 * differ. Base64 re-synchronises every 3 bytes, so each window is also emitted shifted by 1 and 2
 * bytes (in standard base64, the alphabet of PEM, DER and `x5c`): whatever the offset, one of the
 * three encodes a run of the value that is group-aligned in the blob, and is a substring of it.
 *
 * Windows sit side by side in the middle of the value: three of 18 bytes (24 characters, 144 bits,
 * no false positive in practice) where they fit, else two of 12 bytes (16 characters) for 32-byte
 * values (P-256, Ed25519, most HMAC keys). A line break falls inside at most one window of two that
 * span under 64 characters, or two of three, so a blob wrapped at 64 or 76 characters still matches.
 */
function windowNeedles({bytes, kind, isPublic, label, shifts}: MemberValue, windowLength: number): Needle[] {
  let width = (windowLength / 4) * 3
  if (windowCount(bytes.length, width) < 2) width = (MIN_MATERIAL_LENGTH / 4) * 3
  const count = windowCount(bytes.length, width)
  if (count < 2) {
    const whole = bytes.toString('base64url')
    return whole.length >= MIN_MATERIAL_LENGTH ? alphabets(whole, kind, isPublic, `${label}, whole value`) : []
  }
  const first = Math.floor((bytes.length - 2 - count * width) / 6) * 3
  const needles: Needle[] = []
  for (let window = 0; window < count; window++) {
    for (let shift = 0; shift < shifts; shift++) {
      const start = first + window * width + shift
      const text = bytes.subarray(start, start + width).toString('base64url')
      const description = `${label} bytes ${start}–${start + width}`
      if (shift === 0) needles.push(...alphabets(text, kind, isPublic, description))
      else needles.push({kind, value: toStandard(text), public: isPublic, description: `${description}, base64`})
    }
  }
  return needles
}

/** How many windows of `width` bytes fit, leaving room for the 2-byte shift of the last one. */
function windowCount(length: number, width: number): number {
  return Math.min(MAX_WINDOWS, Math.floor((length - 2) / width))
}

/**
 * Base64 lines of the DER encodings, as in a PEM file; a 64-character line is also a substring of the
 * unwrapped body. A line that holds nothing but the bytes of one member (the middle of the modulus,
 * of d or of a prime) is material, not structure: it gets that member's kind and privacy, so that a
 * JWK is never reported as a PEM body. A line of a private encoding that holds only public key bytes
 * (the public point at the end of an EC key) is public, so that a public key is never reported as a
 * private one.
 */
function encodingNeedles(publicKey: KeyObject | null, privateKey: KeyObject | null, members: MemberValue[]): Needle[] {
  if (!publicKey) return []
  const type = publicKey.asymmetricKeyType
  const spki = publicKey.export({type: 'spki', format: 'der'})
  const forms: Array<[der: Buffer, kind: NeedleKind, isPublic: boolean, label: string]> = [
    [spki, 'spki', true, 'SPKI (PUBLIC KEY)'],
  ]
  if (type === 'rsa') forms.push([publicKey.export({type: 'pkcs1', format: 'der'}), 'pkcs1', true, 'PKCS#1 RSA PUBLIC KEY'])
  if (privateKey && privateKey.type === 'private') {
    forms.push([privateKey.export({type: 'pkcs8', format: 'der'}), 'pkcs8', false, 'PKCS#8 PRIVATE KEY'])
    if (type === 'rsa') forms.push([privateKey.export({type: 'pkcs1', format: 'der'}), 'pkcs1', false, 'PKCS#1 RSA PRIVATE KEY'])
    if (type === 'ec') forms.push([privateKey.export({type: 'sec1', format: 'der'}), 'sec1', false, 'SEC1 EC PRIVATE KEY'])
  }
  return forms.flatMap(([der, kind, isPublic, label]) =>
    derLines(der, label).map(({value, description}): Needle => {
      const bytes = Buffer.from(value, 'base64')
      const member = members.find((candidate) => candidate.bytes.includes(bytes))
      if (member) return {kind: member.kind, value, public: member.isPublic, description: `${member.label}, as in ${description}`}
      if (!isPublic && spki.includes(bytes))
        return {kind: 'spki', value, public: true, description: `public key bytes, as in ${description}`}
      return {kind, value, public: isPublic, description}
    }),
  )
}

/**
 * The 64-character lines of a DER body in base64. The last line loses its padded final group: "=" is
 * only there at the end of a body, and the bytes before it are found wherever they are written.
 */
function derLines(der: Buffer, label: string): Array<{value: string; description: string}> {
  const body = der.toString('base64')
  const total = Math.ceil(body.length / PEM_LINE_LENGTH)
  const lines: Array<{value: string; description: string}> = []
  for (let line = 0; line < total; line++) {
    const text = body.slice(line * PEM_LINE_LENGTH, (line + 1) * PEM_LINE_LENGTH)
    const value = text.endsWith('=') ? text.slice(0, -4) : text
    if (value.length >= MIN_MATERIAL_LENGTH) lines.push({value, description: `${label}, base64 line ${line + 1} of ${total}`})
  }
  return lines
}

/** The value in base64url and, when it differs, in standard base64 (same characters but + and /). */
function alphabets(base64url: string, kind: NeedleKind, isPublic: boolean, label: string): Needle[] {
  const standard = toStandard(base64url)
  const needles: Needle[] = [{kind, value: base64url, public: isPublic, description: `${label}, base64url`}]
  if (standard !== base64url) needles.push({kind, value: standard, public: isPublic, description: `${label}, base64`})
  return needles
}

function toStandard(base64url: string): string {
  return base64url.replace(/-/g, '+').replace(/_/g, '/')
}

function hexForms(bytes: Buffer, kind: NeedleKind, label: string): Needle[] {
  const hex = bytes.toString('hex')
  return [
    {kind, value: hex, public: true, description: `${label}, hex`},
    {kind, value: hex.toUpperCase(), public: true, description: `${label}, upper-case hex`},
  ]
}
