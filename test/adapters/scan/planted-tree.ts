// A real directory tree with one leaked RSA key planted in the forms it is found in, and decoys that
// must not be reported: near misses (one character off), a binary file and a symbolic link holding the
// key, an ignored folder, a hidden file, a file over the size cap. Shared by the scanner and command tests.
import {generateKeyPairSync, type KeyObject} from 'node:crypto'
import {mkdirSync, mkdtempSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {calculateJwkThumbprint, type JWK} from 'jose'

import {privateNeedles} from '../../core/key/samples.js'

export const KID = 'leaked-2024-signing'
/** The size cap the tests scan with; `dumps/big.log` is over it, `dumps/large.log` under it. */
export const SIZE_CAP = 1024 * 1024

export interface PlantedTree {
  /** The temporary folder holding the tree and the key file: remove it when done. */
  base: string
  root: string
  /** The leaked private JWK, also written to `<root>/../leaked-key.json`. */
  jwk: Record<string, unknown>
  keyFile: string
  privateKey: KeyObject
  thumbprint: string
  /** Private values in every encoding, and 12-character pieces of them: none may ever be printed. */
  secrets: string[]
  /** Files (relative to root) the default scan must report, with the kind expected for each. */
  expected: Record<string, string>
}

/** Filler lines around planted text, so matches sit mid-file on later lines. */
const FILLER = Array.from({length: 20}, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog`).join('\n')

function pem(der: Buffer, label: string): string {
  return `-----BEGIN ${label}-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`
}

/** The string with the character in its middle changed. */
export function oneOff(value: string): string {
  const middle = Math.floor(value.length / 2)
  return value.slice(0, middle) + (value[middle] === 'Q' ? 'R' : 'Q') + value.slice(middle + 1)
}

export async function makePlantedTree(): Promise<PlantedTree> {
  const base = mkdtempSync(join(tmpdir(), 'jwkr-scan-'))
  const root = join(base, 'tree')
  const {privateKey, publicKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
  const jwk: Record<string, unknown> = {...(privateKey.export({format: 'jwk'}) as Record<string, unknown>), kid: KID}
  const publicJwk = {...(publicKey.export({format: 'jwk'}) as Record<string, unknown>), kid: KID, use: 'sig'}
  const thumbprint = await calculateJwkThumbprint(publicJwk as JWK)
  const spki = publicKey.export({type: 'spki', format: 'der'})
  const pkcs8 = privateKey.export({type: 'pkcs8', format: 'der'})
  const modulusWindow = (jwk.n as string).slice(132, 156)

  const files: Record<string, string | Buffer> = {
    // Found by default
    'src/config/jwks.json': `${JSON.stringify({keys: [publicJwk]}, null, 2)}\n`,
    'src/config/leaked.json': `${FILLER}\n${JSON.stringify(jwk)}\n`,
    'keys/public.pem': pem(spki, 'PUBLIC KEY'),
    'keys/private.pem': `${FILLER}\n${pem(pkcs8, 'PRIVATE KEY')}`,
    'deploy/app.yaml': `auth:\n  issuer: https://auth.example.com\n  kid: ${KID}\n`,
    'logs/audit.log': `${FILLER}\nrotated urn:ietf:params:oauth:jwk-thumbprint:sha-256:${thumbprint} at 10:00\n`,
    'windows/notes.txt': `first\r\nsecond\r\n\tkid = "${KID}"\r\nlast\r\n`,
    // Under the cap but larger than the scanner's first read: the kid sits at its end.
    'dumps/large.log': `${'x'.repeat(600 * 1024)}\nkid=${KID}\n`,
    // Decoys: each needle one character off; nothing here may be reported
    'src/decoys.txt': [
      oneOff(KID),
      oneOff(thumbprint),
      oneOff(Buffer.from(thumbprint, 'base64url').toString('hex')),
      oneOff(modulusWindow),
    ].join('\n'),
    // Skipped: binary (a NUL in the first 8 KiB), over the cap, hidden, ignored
    'assets/blob.bin': Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00]), Buffer.from(JSON.stringify(jwk))]),
    'dumps/big.log': `${'y'.repeat(SIZE_CAP)}\nkid=${KID}\n`,
    '.env': `SIGNING_KEY=${spki.toString('base64')}\n`,
    '.gitignore': 'build/\n*.tmp\n',
    'build/key.json': JSON.stringify(jwk),
    'scratch.tmp': `kid: ${KID}\n`,
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), {recursive: true})
    writeFileSync(join(root, path), content)
  }
  symlinkSync(join(root, 'src/config/leaked.json'), join(root, 'link.json'))
  const keyFile = join(base, 'leaked-key.json')
  writeFileSync(keyFile, JSON.stringify(jwk), {mode: 0o600})

  const values = privateNeedles(jwk)
  return {
    base,
    root,
    jwk,
    keyFile,
    privateKey,
    thumbprint,
    secrets: [...values, ...values.flatMap((value) => value.match(/.{12}/g) ?? [])],
    expected: {
      'src/config/jwks.json': 'modulus',
      'src/config/leaked.json': 'private-member',
      'keys/public.pem': 'spki',
      'keys/private.pem': 'pkcs8',
      'deploy/app.yaml': 'kid',
      'logs/audit.log': 'thumbprint',
      'windows/notes.txt': 'kid',
      'dumps/large.log': 'kid',
    },
  }
}

/** The planted values that show in the text (should be none). */
export function leaked(text: string, secrets: string[]): string[] {
  return secrets.filter((secret) => text.includes(secret))
}
