// The per-incident secret that keys the journal's hash chain (HMAC-SHA-256, event-line.ts), so that a
// journal rewritten from the top with the published formula no longer verifies. It is made with the
// incident, kept in the incident folder beside the journal (journal-chain.key, mode 0600, like the
// key files; not in artifacts/, which holds what is shared) and never printed: it is registered as a
// secret wherever it is read.
import {randomBytes} from 'node:crypto'
import {open, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {JwkrError} from '../core/errors.js'
import type {SecretRegistry} from '../core/secrets.js'

export const CHAIN_KEY_FILE = 'journal-chain.key'
const KEY_BYTES = 32

/** Where an incident keeps its chain key. */
export function chainKeyPath(incidentDir: string): string {
  return join(incidentDir, CHAIN_KEY_FILE)
}

/**
 * Makes a new chain key for an incident whose journal has no events yet, replacing one that an
 * interrupted opening left behind. It is made before the journal's first line, so a crash while it
 * is written leaves an incident that was never opened, and the next opening makes it again.
 *
 * @example const chainKey = await createChainKey(incident.dir, secrets)
 */
export async function createChainKey(incidentDir: string, secrets?: SecretRegistry): Promise<Uint8Array> {
  const key = randomBytes(KEY_BYTES)
  const text = key.toString('base64url')
  secrets?.add(text)
  const path = chainKeyPath(incidentDir)
  await rm(path, {force: true})
  const handle = await open(path, 'wx', 0o600)
  try {
    await handle.writeFile(`${text}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return key
}

/**
 * The incident's chain key, or undefined for an incident opened before journals were keyed. A file
 * that does not hold a whole key is refused: without it the journal cannot be checked.
 */
export async function readChainKey(incidentDir: string, secrets?: SecretRegistry): Promise<Uint8Array | undefined> {
  const path = chainKeyPath(incidentDir)
  let text: string
  try {
    text = (await readFile(path, 'utf8')).trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new JwkrError(
      'ERR_JOURNAL_CORRUPT',
      `Cannot read the journal's chain key ${path}: ${(error as NodeJS.ErrnoException).code}.`,
      {
        hint: 'Check that the incident folder is readable by you; the journal cannot be checked without its chain key.',
        cause: error,
      },
    )
  }
  secrets?.add(text)
  const key = Buffer.from(text, 'base64url')
  if (key.length !== KEY_BYTES || key.toString('base64url') !== text) {
    throw new JwkrError(
      'ERR_JOURNAL_CORRUPT',
      `The journal's chain key ${path} is damaged: it does not hold a ${KEY_BYTES}-byte key.`,
      {
        hint: 'Restore it from a backup of the incident folder; without it the journal cannot be checked or continued.',
        details: {file: path},
      },
    )
  }
  return key
}
