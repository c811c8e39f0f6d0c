// The denylist as a file (`--denylist-file`): read, merge and replace it atomically (a temp file in
// the same folder, fsync, rename), so a reader such as a guard or a web server sees the old
// document or the new one, never half of one. Writers take an advisory lock (`<file>.lock`) around
// read-merge-write, so two jwkr processes merging at once both keep their entries. A missing file
// is created; its folder must exist. The reader is the published guard's (guard/denylist-file.ts).
import {dirname} from 'node:path'

import {
  createDenylistValidator,
  mergeEntries,
  serializeDenylist,
  type DenylistDocument,
  type DenylistEntry,
  type DenylistStore,
  type MergeResult,
} from '../../core/containment/denylist.js'
import {JwkrError} from '../../core/errors.js'
import {writeFileAtomic} from '../fs/atomic-file.js'
import {LOCK_STALE_MS, withFileLock} from '../fs/file-lock.js'
import {errnoOf, readDenylistFile} from '../../guard/denylist-file.js'

/** The denylist holds no secrets, and relying parties running as other users must read it. */
export const DENYLIST_FILE_MODE = 0o644

/** Replaces `file` with the document: the old file stays whole until the new one is complete and on disk. */
export async function writeDenylistFile(file: string, document: DenylistDocument): Promise<void> {
  try {
    await writeFileAtomic(file, serializeDenylist(document), DENYLIST_FILE_MODE)
  } catch (error) {
    throw writeError(file, error)
  }
}

/**
 * Reads the file (if any), merges the entries and writes it back only when something was added, all
 * under the file's lock: a writer that read the file before another one replaced it would otherwise
 * put back the old document and drop the other's entries.
 */
export async function mergeIntoDenylistFile(file: string, entries: readonly DenylistEntry[], now: Date): Promise<MergeResult> {
  const validator = createDenylistValidator()
  const merge = async (assertHeld: () => void) => {
    const current = await readDenylistFile(file, validator)
    const result = mergeEntries(current, entries, now, validator)
    if (current === undefined || result.added.length > 0) {
      assertHeld()
      await writeDenylistFile(file, result.document)
    }
    return result
  }
  try {
    return await withFileLock(file, merge)
  } catch (error) {
    if (error instanceof JwkrError) throw error
    throw ['ELOCKED', 'ECOMPROMISED'].includes(errnoOf(error) ?? '') ? lockedError(file, error) : writeError(file, error)
  }
}

/** The file as a DenylistStore, for callers that write to every store they are given. */
export function fileDenylistStore(file: string): DenylistStore {
  return {
    target: file,
    merge: async (entries, now) => ({added: (await mergeIntoDenylistFile(file, entries, now)).added}),
    close: async () => undefined,
  }
}

function writeError(file: string, error: unknown): JwkrError {
  const code = errnoOf(error)
  const hints: Record<string, string> = {
    ENOENT: `The folder ${dirname(file)} does not exist: create it, or pass another --denylist-file.`,
    EACCES: `You cannot write in ${dirname(file)}: run as a user who can, or pass another --denylist-file.`,
    ENOSPC: 'The disk is full: free some space and run the command again.',
    EFBIG: 'The file system refused the size of the file (a quota or file size limit): raise it and run the command again.',
  }
  return new JwkrError(
    'ERR_DENYLIST_WRITE',
    `Cannot write the denylist ${file}: ${code ?? (error as Error).message}. The previous file is unchanged.`,
    {
      hint: (code && hints[code]) ?? 'Check that the folder exists and is writable, then run the command again.',
      cause: error,
      details: {file, errno: code},
    },
  )
}

function lockedError(file: string, error: unknown): JwkrError {
  return new JwkrError(
    'ERR_DENYLIST_WRITE',
    `Cannot write the denylist ${file}: ${errnoOf(error) === 'ELOCKED' ? 'another process held its lock' : 'jwkr lost its lock'} (${file}.lock). Nothing was written by this run.`,
    {
      hint: `Run the command again; a lock left by a process that died is taken over after ${LOCK_STALE_MS / 1000} s.`,
      cause: error,
      details: {file, errno: errnoOf(error)},
    },
  )
}
