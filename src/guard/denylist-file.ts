// Reads the denylist file (ARCHITECTURE.md, Denylist). It lives in the published guard, which
// follows the file from a relying party's process and must stand alone; jwkr's writer
// (adapters/denylist/file-store.ts) reads through it too.
import {readFile} from 'node:fs/promises'

import {parseDenylist, type DenylistDocument, type DenylistValidator} from '../core/containment/denylist.js'
import {JwkrError} from '../core/errors.js'

/** The document in `file`, or undefined when there is no such file. Throws ERR_DENYLIST_INVALID for a malformed one. */
export async function readDenylistFile(file: string, validator?: DenylistValidator): Promise<DenylistDocument | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined
    throw new JwkrError('ERR_DENYLIST_READ', `Cannot read the denylist ${file}: ${errnoOf(error) ?? (error as Error).message}.`, {
      hint: 'Check that the path names a file you can read.',
      cause: error,
      details: {file},
    })
  }
  return parseDenylist(text, file, validator)
}

/** The errno code of a file system error (ENOENT, EACCES, …), if it has one. */
export function errnoOf(error: unknown): string | undefined {
  return typeof (error as NodeJS.ErrnoException)?.code === 'string' ? (error as NodeJS.ErrnoException).code : undefined
}
