// Keys for the key-source tests: generated with node:crypto at test time, with the forms IdPs list
// them in (public JWK, base64 SPKI, an X.509 certificate made by openssl) and the canonical RFC 7638
// thumbprint computed independently of the code under test (jose on the exported public JWK).
import {execFileSync} from 'node:child_process'
import {generateKeyPairSync, randomUUID, type KeyObject} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {calculateJwkThumbprint, type JWK} from 'jose'

export type KeyKind = 'RSA' | 'EC' | 'OKP'

export interface TestKey {
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
  privateJwk: Record<string, unknown>
  publicJwk: JWK
  thumbprint: string
  /** Base64 DER SPKI, as Keycloak lists `publicKey`. */
  spki: string
}

export async function makeKey(
  kind: KeyKind = 'RSA',
  kid: string = randomUUID(),
  options: {modulusLength?: number} = {},
): Promise<TestKey> {
  const pair =
    kind === 'RSA'
      ? generateKeyPairSync('rsa', {modulusLength: options.modulusLength ?? 2048})
      : kind === 'EC'
        ? generateKeyPairSync('ec', {namedCurve: 'prime256v1'})
        : generateKeyPairSync('ed25519')
  const publicJwk = pair.publicKey.export({format: 'jwk'}) as JWK
  return {
    kid,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    privateJwk: pair.privateKey.export({format: 'jwk'}) as Record<string, unknown>,
    publicJwk,
    thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256'),
    spki: pair.publicKey.export({type: 'spki', format: 'der'}).toString('base64'),
  }
}

/** A self-signed certificate for the key, made by `openssl req -x509` (PEM with CRLF line ends, as Auth0 sends). */
export function certificateFor(key: TestKey, commonName = 'jwkr-test'): string {
  const dir = mkdtempSync(join(tmpdir(), 'jwkr-cert-'))
  try {
    const keyPath = join(dir, 'key.pem')
    writeFileSync(keyPath, key.privateKey.export({type: 'pkcs8', format: 'pem'}), {mode: 0o600})
    const pem = execFileSync('openssl', ['req', '-x509', '-new', '-key', keyPath, '-subj', `/CN=${commonName}`, '-days', '30'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return pem.trim().replace(/\n/g, '\r\n')
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** The base64 DER body of a PEM certificate, as Keycloak lists `certificate`. */
export function certificateBody(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')
}
