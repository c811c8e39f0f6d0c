// Writes files so that a reader (the web server serving a JWKS, a resumed run reading its key) sees
// the old version or the new one, never half of one, and a crash leaves one of the two on disk: a
// temp file in the same folder (mode 0600 from its creation), fsync, then rename over the original
// (or a hard link for a file that must not replace one), fsync of the folder. A crash can leave the
// temp file, named `.<name>.<pid>.<random>.tmp`; removeLeftoverTempFiles clears those of dead processes.
import {randomBytes} from 'node:crypto'
import {link, mkdir, open, readdir, rename, rm, stat} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

export interface AtomicWriteOptions {
  /** Keep the permission bits of a file already at the path (default true); false always sets `mode`. */
  keepMode?: boolean
}

/** Writes `text` to `path` atomically, keeping the original's permission bits (or `mode` for a new file). */
export async function writeFileAtomic(path: string, text: string, mode = 0o644, options: AtomicWriteOptions = {}): Promise<void> {
  const existing = options.keepMode === false ? undefined : await stat(path).catch(() => undefined)
  const temp = await writeTempBeside(path, text, existing ? existing.mode & 0o777 : mode)
  try {
    await rename(temp, path)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
  await syncFolder(dirname(path))
}

/**
 * Creates `path` with `text`, whole or not at all, and never over an existing file: throws an error
 * with `code` EEXIST when something is there (and leaves it as it was).
 *
 * @example await createFileAtomic('keys/new.private.jwk.json', jwkText, 0o600)
 */
export async function createFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  const temp = await writeTempBeside(path, text, mode)
  try {
    await linkNoClobber(temp, path)
  } finally {
    await rm(temp, {force: true})
  }
  await syncFolder(dirname(path))
}

/**
 * Writes `text` to `to` with mode 0600 unless `to` exists: the first backup of a resumed change is
 * the true original, and a later attempt must not replace it with a half-changed version. Atomic, so
 * a crash never leaves a half backup that would then be kept for good.
 */
export async function backupOnce(text: string, to: string): Promise<boolean> {
  await mkdir(dirname(to), {recursive: true, mode: 0o700})
  try {
    await createFileAtomic(to, text, 0o600)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

/** The temp files of the writes above: `.<name>.<pid>.<12 hex>.tmp`. */
const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/

/**
 * Removes, under `dir` and its subfolders, the temp files that writes of a process no longer running
 * left behind (a kill between creating and renaming one); returns their paths. Others' files are untouched.
 */
export async function removeLeftoverTempFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {withFileTypes: true}).catch(() => [])
  const removed: string[] = []
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) removed.push(...(await removeLeftoverTempFiles(path)))
    const pid = TEMP_FILE.exec(entry.name)?.[1]
    if (!entry.isFile() || pid === undefined || isRunning(Number(pid))) continue
    await rm(path, {force: true})
    removed.push(path)
  }
  return removed.sort()
}

/** A complete, synced temp file beside `path` with exactly `mode` (created 0600, so never wider meanwhile). */
async function writeTempBeside(path: string, text: string, mode: number): Promise<string> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(temp, 'wx', 0o600)
    try {
      // Set the mode explicitly: the one given to open is narrowed by the umask.
      await handle.chmod(mode)
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
  return temp
}

/** Links `temp` at `path`, failing with EEXIST when `path` exists; renames where hard links are not supported. */
async function linkNoClobber(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(code ?? '')) throw error
    if (
      await stat(path).then(
        () => true,
        () => false,
      )
    ) {
      throw Object.assign(new Error(`EEXIST: file already exists, link '${temp}' -> '${path}'`), {code: 'EEXIST'})
    }
    await rename(temp, path)
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
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
