// The one place a generated private key goes: a new file, mode 0600 from its creation, in a folder
// made 0700 when jwkr creates it, written atomically (temp file, fsync, link) and never over an
// existing file. Reading it back (on resume) yields the public half only, after registering the
// private members with the run's SecretRegistry.
import {chmod, mkdir, readFile} from 'node:fs/promises'
import {dirname} from 'node:path'

import {calculateJwkThumbprint, type JWK} from 'jose'

import {JwkrError} from '../../core/errors.js'
import {canonicalizeJwk} from '../../core/key/canonical-key.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {createFileAtomic} from '../fs/atomic-file.js'

export const PRIVATE_KEY_FILE_MODE = 0o600
export const PRIVATE_KEY_FOLDER_MODE = 0o700

/**
 * Writes the private JWK to a new file readable by the user only. Refuses to replace a file
 * (ERR_KEY_FILE_EXISTS): a key already written may be the one an issuer now signs with.
 *
 * @example await writePrivateKeyFile('./jwkr-replacement-abc.private.jwk.json', replacement.privateJwk)
 */
export async function writePrivateKeyFile(path: string, jwk: JWK): Promise<void> {
  const folder = dirname(path)
  try {
    const created = await mkdir(folder, {recursive: true, mode: PRIVATE_KEY_FOLDER_MODE})
    // The mode given to mkdir is narrowed by the umask, never widened; say it exactly.
    if (created !== undefined) await chmod(folder, PRIVATE_KEY_FOLDER_MODE)
  } catch (error) {
    throw unwritable(path, error)
  }
  try {
    // Whole or not at all: a crash while writing leaves a temp file (removed on resume), never a torn key.
    await createFileAtomic(path, `${JSON.stringify(jwk, null, 2)}\n`, PRIVATE_KEY_FILE_MODE)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new JwkrError('ERR_KEY_FILE_EXISTS', `${path} already exists; jwkr never overwrites a key file.`, {
        hint: 'Move it aside if it is no longer needed, or pass another --out.',
        details: {path},
      })
    }
    throw unwritable(path, error)
  }
}

export interface StoredKey {
  kid: string
  thumbprint: string
  alg: string | null
  kty: string
  /** The public JWK (kid, alg, use kept); null for a shared secret. */
  publicJwk: JWK | null
}

/**
 * The private JWK in a key file jwkr wrote, its private members registered before anything can fail.
 * Undefined when there is no file; ERR_KEY_INVALID (never quoting it) when it is not a whole JWK.
 */
export async function readPrivateJwk(path: string, secrets: SecretRegistry): Promise<Record<string, unknown> | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new JwkrError('ERR_INPUT_UNREADABLE', `Cannot read the key file ${path}.`, {
      hint: 'Check its owner and mode.',
      cause: error,
    })
  }
  secrets.addFromText(text)
  try {
    const jwk = JSON.parse(text) as Record<string, unknown>
    secrets.addJwk(jwk)
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw new Error('not an object')
    return jwk
  } catch {
    throw new JwkrError('ERR_KEY_INVALID', `The key file ${path} is not a whole JWK (was its writing interrupted?).`, {
      hint: 'Move it aside and run again: a new replacement key is generated.',
    })
  }
}

/**
 * The public facts of a key file jwkr wrote, registering its private members first. Undefined when
 * there is no file; ERR_KEY_INVALID (never quoting it) when the file is not a whole key.
 */
export async function readPrivateKeyFile(path: string, secrets: SecretRegistry): Promise<StoredKey | undefined> {
  const jwk = await readPrivateJwk(path, secrets)
  if (jwk === undefined) return undefined
  const canonical = canonicalizeJwk(jwk, `the key file ${path}`)
  const thumbprint = await calculateJwkThumbprint(canonical.thumbprintJwk, 'sha256')
  const named = {
    kid: typeof jwk.kid === 'string' ? jwk.kid : thumbprint,
    ...(typeof jwk.alg === 'string' ? {alg: jwk.alg} : {}),
    ...(typeof jwk.use === 'string' ? {use: jwk.use} : {}),
  }
  return {
    kid: named.kid,
    thumbprint,
    alg: named.alg ?? null,
    kty: canonical.kty,
    publicJwk: canonical.kty === 'oct' ? null : {...canonical.thumbprintJwk, ...named},
  }
}

function unwritable(path: string, error: unknown): JwkrError {
  const code = (error as NodeJS.ErrnoException).code ?? 'an I/O error'
  return new JwkrError('ERR_OUTPUT_UNWRITABLE', `Cannot write the new private key to ${path} (${code}).`, {
    hint: 'Pass --out with a path in a folder you can write to (keep it off shared or synced folders).',
    cause: error,
    details: {path},
  })
}
