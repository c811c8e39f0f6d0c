// An advisory lock between processes that read, change and replace one file (the denylist):
// proper-lockfile's `<file>.lock` folder, whose mtime the holder keeps fresh, so a lock left by a
// killed process goes stale and is taken over. Chosen over `lockfile` (ctime-based staleness, no
// longer maintained) and fs-ext's flock (a native addon to compile); it is pure JS and runs on Node 20.
import {realpath} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

/** A lock untouched this long is stale: its holder died. proper-lockfile refreshes a live one every half of it. */
export const LOCK_STALE_MS = 10_000

/** Waits, with growing pauses, a little longer than LOCK_STALE_MS in all: a writer behind a killed one gets through. */
const LOCK_RETRIES = {retries: 60, factor: 1.3, minTimeout: 20, maxTimeout: 500, randomize: true}

/**
 * Runs `work` holding the lock of `file` (which need not exist; its folder must). Rejects with the
 * library's error (`code` ELOCKED when the wait ran out, an fs errno otherwise) when the lock cannot
 * be taken. `assertHeld` throws an error with `code` ECOMPROMISED when the lock was lost meanwhile
 * (its refresh failed or someone took it over), so `work` can refuse to replace the file unlocked.
 *
 * @example await withFileLock('/srv/denylist.json', async (assertHeld) => { …read…; assertHeld(); …replace… })
 */
export async function withFileLock<T>(file: string, work: (assertHeld: () => void) => Promise<T>): Promise<T> {
  // Loaded here, not at import: the library installs process-wide signal handlers (to remove its
  // locks on exit), which a process that only reads the file (a relying party's guard) should not get.
  const {lock} = await import('proper-lockfile')
  keepIgnoringFileSizeSignal()
  let compromised: Error | undefined
  // The real folder, so that two paths to one file (through a symlinked folder) share one lock.
  const target = join(await realpath(dirname(file)), basename(file))
  const release = await lock(target, {
    realpath: false,
    stale: LOCK_STALE_MS,
    retries: LOCK_RETRIES,
    onCompromised: (error) => {
      compromised = error
    },
  })
  try {
    return await work(() => {
      if (compromised) throw Object.assign(new Error(compromised.message, {cause: compromised}), {code: 'ECOMPROMISED'})
    })
  } finally {
    // A lock already lost is not ours to remove.
    if (!compromised) await release().catch(() => undefined)
  }
}

/**
 * Node ignores SIGXFSZ, so a write over a file size limit fails with EFBIG and the caller can say
 * so. signal-exit (proper-lockfile's exit hook) listens to it and, being the only listener, kills
 * the process instead; one listener more keeps Node's behaviour.
 */
function keepIgnoringFileSizeSignal(): void {
  if (!process.listeners('SIGXFSZ').includes(ignoreSignal)) process.on('SIGXFSZ', ignoreSignal)
}

function ignoreSignal(): void {}
