// One process drives an incident at a time: a `lock` file in the incident folder names its owner
// (pid, host, since). A lock whose owner is gone (a dead pid on this host, or one from before this
// machine last booted) is stale and taken over; a live or unverifiable owner keeps everyone else out.
import {randomUUID} from 'node:crypto'
import {readFileSync, unlinkSync} from 'node:fs'
import {readFile, unlink, writeFile} from 'node:fs/promises'
import {hostname, uptime} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {JwkrError} from '../core/errors.js'

export const LOCK_FILE = 'lock'

export interface LockOwner {
  pid: number
  host: string
  /** ISO 8601, when the lock was taken. */
  since: string
}

export interface IncidentLock {
  path: string
  owner: LockOwner
  /** Set when a stale lock was taken over: whose it was (null where unreadable) and why it was stale. */
  tookOverFrom?: {pid: number | null; host: string | null; since: string | null; reason: string}
  /** Removes the lock if it is still ours. Safe to call twice. */
  release(): Promise<void>
  /** The same, for `process.on('exit')` handlers, which cannot wait. */
  releaseSync(): void
}

export interface AcquireLockOptions {
  /** The lock file's name in `dir` (default `lock`, the incident folder's). */
  file?: string
  pid?: number
  host?: string
  now?: () => Date
}

/** What is written in the lock file: the owner, plus a token so that release never removes another's lock. */
interface LockContent extends LockOwner {
  token: string
}

/** Lock contents can be empty for an instant, between the exclusive create and the write. */
const SETTLE_MS = 50
/** Tries before giving up when other processes keep creating and removing the lock. */
const ATTEMPTS = 3

/**
 * Takes the incident folder's lock, or throws ERR_INCIDENT_LOCKED naming the process that holds it.
 *
 * @example
 * const lock = await acquireLock(incident.dir)
 * try { await runPlaybook() } finally { await lock.release() }
 */
export async function acquireLock(dir: string, options: AcquireLockOptions = {}): Promise<IncidentLock> {
  const path = join(dir, options.file ?? LOCK_FILE)
  const host = options.host ?? hostname()
  const content: LockContent = {
    pid: options.pid ?? process.pid,
    host,
    since: (options.now?.() ?? new Date()).toISOString(),
    token: randomUUID(),
  }
  let tookOverFrom: IncidentLock['tookOverFrom']
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await createExclusive(path, content)) return heldLock(path, content, tookOverFrom)
    const existing = await readSettled(path)
    if (existing === undefined) continue
    const owner = parseOwner(existing)
    const stale = staleReason(owner, host)
    if (stale === undefined) throw lockedError(path, owner as LockOwner, host)
    // Remove it only if nobody replaced it since we read it (narrows the race between two takers).
    if ((await readRaw(path)) === existing) await unlink(path).catch(ignoreMissing)
    tookOverFrom = {pid: owner?.pid ?? null, host: owner?.host ?? null, since: owner?.since ?? null, reason: stale}
  }
  throw new JwkrError('ERR_INCIDENT_LOCKED', `Could not take the lock ${path}: other processes keep taking it.`, {
    hint: 'Another jwkr is starting on this incident right now. Let it run, or stop it and try again.',
  })
}

/** The owner named in an incident folder's lock, if there is a readable lock. */
export async function readLock(dir: string): Promise<LockOwner | undefined> {
  const content = parseOwner((await readRaw(join(dir, LOCK_FILE))) ?? '')
  return content && {pid: content.pid, host: content.host, since: content.since}
}

/** Whether a lock owner is still running: true or false on this host, undefined for another host. */
export function isOwnerAlive(owner: LockOwner, host = hostname()): boolean | undefined {
  if (owner.host !== host) return undefined
  return staleReason(owner, host) === undefined
}

async function createExclusive(path: string, content: LockContent): Promise<boolean> {
  try {
    await writeFile(path, JSON.stringify(content) + '\n', {flag: 'wx', mode: 0o600})
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new JwkrError('ERR_INCIDENT_LOCKED', `Cannot create the lock ${path}: ${(error as NodeJS.ErrnoException).code}.`, {
      hint: 'Check that the incident folder exists and is writable by you.',
      cause: error,
    })
  }
}

/** The lock's text, read again after a moment if it is not yet a complete owner record. */
async function readSettled(path: string): Promise<string | undefined> {
  const raw = await readRaw(path)
  if (raw === undefined || parseOwner(raw)) return raw
  await sleep(SETTLE_MS)
  return readRaw(path)
}

async function readRaw(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function parseOwner(raw: string): LockContent | undefined {
  try {
    const value = JSON.parse(raw) as Partial<LockContent>
    if (
      Number.isSafeInteger(value.pid) &&
      (value.pid as number) > 0 &&
      typeof value.host === 'string' &&
      typeof value.since === 'string'
    ) {
      return value as LockContent
    }
  } catch {
    // Unreadable: treated as stale below.
  }
  return undefined
}

/** Why the lock is stale, or undefined when its owner may still be running. */
function staleReason(owner: LockOwner | undefined, host: string): string | undefined {
  if (!owner) return 'the lock file was empty or unreadable (left by a crash)'
  if (owner.host !== host) return undefined
  const bootedAt = Date.now() - uptime() * 1000
  if (Date.parse(owner.since) < bootedAt) {
    return `process ${owner.pid} took it at ${owner.since}, before this machine last started`
  }
  try {
    process.kill(owner.pid, 0)
    return undefined
  } catch (error) {
    // EPERM: the process exists but belongs to someone else, so it is alive.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') return undefined
    return `process ${owner.pid} on ${owner.host} is no longer running`
  }
}

function lockedError(path: string, owner: LockOwner, host: string): JwkrError {
  const self = owner.pid === process.pid && owner.host === host ? ' (this very process)' : ''
  const message = `The incident is in use by process ${owner.pid}${self} on ${owner.host} since ${owner.since}.`
  const hint =
    owner.host === host
      ? `Wait for it to finish, or stop it (Ctrl-C in its terminal, or kill ${owner.pid}) and try again; the incident resumes where it stopped.`
      : `jwkr cannot check a process on another machine. If ${owner.host} is no longer working on this incident, delete ${path} and try again.`
  return new JwkrError('ERR_INCIDENT_LOCKED', message, {
    hint,
    details: {pid: owner.pid, host: owner.host, since: owner.since, lock: path},
  })
}

function heldLock(path: string, content: LockContent, tookOverFrom: IncidentLock['tookOverFrom']): IncidentLock {
  const {token, ...owner} = content
  const ours = (raw: string | undefined) => raw !== undefined && parseOwner(raw)?.token === token
  return {
    path,
    owner,
    ...(tookOverFrom ? {tookOverFrom} : {}),
    async release() {
      if (ours(await readRaw(path))) await unlink(path).catch(ignoreMissing)
    },
    releaseSync() {
      let raw: string | undefined
      try {
        raw = readFileSync(path, 'utf8')
      } catch {
        return
      }
      if (ours(raw)) {
        try {
          unlinkSync(path)
        } catch {
          // Already gone.
        }
      }
    },
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error
}
