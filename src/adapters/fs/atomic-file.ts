// Replaces a file so that a reader (the web server serving a JWKS) sees the old or the new version,
// never half of one, and a crash leaves one of the two on disk: a temp file in the same folder,
// fsync, rename over the original, fsync of the folder.
import {randomBytes} from 'node:crypto'
import {mkdir, open, rename, rm, stat} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

/** Writes `text` to `path` atomically, keeping the original's permission bits (or `mode` for a new file). */
export async function writeFileAtomic(path: string, text: string, mode = 0o644): Promise<void> {
  const dir = dirname(path)
  const existing = await stat(path).catch(() => undefined)
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(temp, 'wx', 0o600)
    try {
      // Set the mode explicitly: the one given to open is narrowed by the umask.
      await handle.chmod(existing ? existing.mode & 0o777 : mode)
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
  await syncFolder(dir)
}

/**
 * Writes `text` to `to` with mode 0600 unless `to` exists: the first backup of a resumed change is
 * the true original, and a later attempt must not replace it with a half-changed version.
 */
export async function backupOnce(text: string, to: string): Promise<boolean> {
  await mkdir(dirname(to), {recursive: true, mode: 0o700})
  let handle
  try {
    handle = await open(to, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return true
}

async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch {
    // Some file systems cannot fsync a folder; the file's own fsync still holds.
  } finally {
    await handle.close()
  }
}
