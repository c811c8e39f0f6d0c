// Which incident a new response to a key goes in. A key has at most one unfinished incident: a second
// `respond` for it is refused, naming the incident to resume (two runs would each rotate the key). An
// incident interrupted while being opened (its journal has no event) is taken over instead of left
// behind. A lock per key in the workspace makes the look and the opening one step, so two racing
// starts cannot both open an incident.
import {mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import pRetry from 'p-retry'

import {JwkrError} from '../core/errors.js'
import {readChainKey} from './chain-key.js'
import {acquireLock, isOwnerAlive, readLock, type IncidentLock} from './lock.js'
import {readJournal} from './verify-journal.js'
import {findIncident, isIdForKey, KEPT_KEY_FILE, listIncidents, type IncidentLocation, type IncidentSummary} from './workspace.js'

const LOCKS_DIR = 'locks'
/** Another start holds the key's lock only while it opens an incident: wait for it, about 10 s at most. */
export const OPENING_WAIT = {retries: 16, factor: 1.5, minTimeout: 50, maxTimeout: 1000}
/** A run of these has not finished: `incident resume` continues it. */
const UNFINISHED = new Set<IncidentSummary['status']>(['open', 'running', 'waiting', 'failed', 'aborted', 'paused', 'broken'])

/**
 * Takes the workspace's lock for opening an incident for this key, waiting while another start holds
 * it. Release it once the new incident's journal holds its opening.
 *
 * @example
 * const opening = await lockKeyForOpening(home, thumbprint)
 * try { refuseSecondIncident(await unfinishedIncidentFor(home, thumbprint)) … } finally { await opening.release() }
 */
export async function lockKeyForOpening(
  home: string,
  thumbprint: string,
  wait: Partial<typeof OPENING_WAIT> = {},
): Promise<IncidentLock> {
  const dir = join(home, LOCKS_DIR)
  await mkdir(dir, {recursive: true, mode: 0o700})
  // A thumbprint is base64url; anything else is encoded so that it stays one file name.
  const file = `open-${/^[A-Za-z0-9_-]+$/.test(thumbprint) ? thumbprint : Buffer.from(thumbprint).toString('hex')}.lock`
  try {
    return await pRetry(() => acquireLock(dir, {file}), {
      ...OPENING_WAIT,
      ...wait,
      shouldRetry: ({error}) => error instanceof JwkrError && error.code === 'ERR_INCIDENT_LOCKED',
    })
  } catch (error) {
    if (!(error instanceof JwkrError) || error.code !== 'ERR_INCIDENT_LOCKED') throw error
    const owner =
      error.details?.pid === undefined ? 'Another jwkr' : `Process ${String(error.details.pid)} on ${String(error.details.host)}`
    throw new JwkrError('ERR_INCIDENT_LOCKED', `${owner} is still opening an incident for the key ${thumbprint}.`, {
      hint: `Wait for it and run jwkr incident list to find its incident. If that process is stuck, stop it; if it is gone, delete ${join(dir, file)}.`,
      details: {thumbprint, ...error.details},
    })
  }
}

/** The key's unfinished incident (not a dry run, not a drill), newest first, if there is one. */
export async function unfinishedIncidentFor(home: string, thumbprint: string): Promise<IncidentSummary | undefined> {
  const incidents = await listIncidents(home)
  return incidents.find((incident) => incident.thumbprint === thumbprint && !incident.dryRun && UNFINISHED.has(incident.status))
}

/** The refusal of a second incident for a key that has an unfinished one. */
export function secondIncidentError(open: IncidentSummary): JwkrError {
  const since = open.openedAt ? ` since ${open.openedAt}` : ''
  const by = open.lockedBy ? `, driven now by process ${open.lockedBy.pid} on ${open.lockedBy.host}` : ''
  return new JwkrError(
    'ERR_INCIDENT_OPEN',
    `The key ${open.thumbprint ?? ''} already has an unfinished incident: ${open.id} (${open.status}${since}${by}). A second run would rotate it a second time.`,
    {
      hint: open.lockedBy
        ? `Let that run finish, or stop it and continue with jwkr incident resume ${open.id}.`
        : `Resume it with jwkr incident resume ${open.id}, or start another incident for the same key with jwkr respond --new (close an abandoned one with jwkr incident close ${open.id}).`,
      details: {incident: open.id, status: open.status, thumbprint: open.thumbprint, driven: open.lockedBy !== undefined},
    },
  )
}

/**
 * An incident for this key that was interrupted while being opened — its journal missing or without
 * a single event, nobody alive holding it, and no other key kept in it — to be opened again from the
 * top. `keyText` is the key as given, compared with a key kept in the folder.
 */
export async function interruptedIncidentFor(
  home: string,
  thumbprint: string,
  keyText: string | null,
): Promise<IncidentLocation | undefined> {
  const candidates = (await listIncidents(home)).filter(
    (incident) => incident.openedAt === undefined && isIdForKey(incident.id, thumbprint),
  )
  for (const candidate of candidates) {
    const location = await findIncident(home, candidate.id)
    if (await wasInterruptedWhileOpening(location, keyText)) return location
  }
  return undefined
}

/** True when the incident was interrupted while being opened, nobody alive holds it, and it keeps no other key. */
export async function wasInterruptedWhileOpening(location: IncidentLocation, keyText: string | null): Promise<boolean> {
  const owner = await readLock(location.dir)
  if (owner && isOwnerAlive(owner) !== false) return false
  if (await hasOpening(location)) return false
  const kept = await readFile(join(location.artifactsDir, 'keys', KEPT_KEY_FILE), 'utf8').catch(() => undefined)
  return kept === undefined || kept === keyText
}

/**
 * Whether the incident's journal records its opening (`incident.opened`). False for a journal that is
 * missing, empty, cut off in its first line, or holds only a repair: the incident was interrupted
 * while being opened. A journal that does not verify counts as opened: it is not ours to replace.
 */
export async function hasOpening(location: IncidentLocation): Promise<boolean> {
  const bytes = await readFile(location.journalPath).catch(() => Buffer.alloc(0))
  const chainKey = await readChainKey(location.dir).catch(() => undefined)
  const {events, broken} = readJournal(bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1).toString('utf8'), {chainKey})
  return broken !== undefined || events.some((event) => event.type === 'incident.opened')
}
