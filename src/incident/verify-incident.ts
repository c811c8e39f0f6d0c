// `jwkr incident verify`: recomputes an incident journal's hash chain (keyed with the incident's chain
// key when it has one) and names the first broken event. A journal that is missing or holds no event
// never verifies: there is nothing to vouch for, and deleting or emptying it must not pass as intact.
import {readdir, readFile, stat} from 'node:fs/promises'
import {basename, join} from 'node:path'

import {JwkrError} from '../core/errors.js'
import {chainKeyPath, readChainKey} from './chain-key.js'
import {corruptJournal} from './read-incident.js'
import {readJournal} from './verify-journal.js'
import {findIncident, KEPT_KEY_FILE, type IncidentLocation} from './workspace.js'

export interface IncidentVerification {
  id: string
  journal: string
  ok: true
  events: number
  /** The last event's hash: record it elsewhere to detect later truncation, which the chain alone cannot. */
  head: string | null
  firstEventAt: string | null
  lastEventAt: string | null
  /** `keyed`: HMAC-SHA-256 under the incident's chain key; `unkeyed`: an incident opened before chains were keyed. */
  chain: 'keyed' | 'unkeyed'
  /** What the check cannot vouch for, in words. */
  warnings: string[]
}

/** What an unkeyed chain cannot show. */
export const UNKEYED_WARNING =
  'unkeyed chain: the incident was opened before jwkr kept a chain key, so an edited, inserted or deleted line is ' +
  'detected, but a journal rewritten from the top with recomputed hashes would pass.'

/**
 * Checks an incident's whole journal; throws ERR_JOURNAL_CORRUPT (with seq, line and reason) if it is
 * broken, and ERR_JOURNAL_MISSING if it is missing or empty.
 */
export async function verifyIncident(home: string, id: string): Promise<IncidentVerification> {
  const location = await findIncident(home, id)
  const text = await readFile(location.journalPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (text === undefined || text === '') throw await missingJournal(location, text === undefined ? 'missing' : 'empty')
  const chainKey = await readChainKey(location.dir)
  const {events, broken} = readJournal(text, {chainKey})
  if (broken) {
    const lostKey =
      chainKey === undefined && broken.seq === 1
        ? ` If this incident's chain key (${chainKeyPath(location.dir)}) was removed, put it back: the journal cannot be checked without it.`
        : ''
    throw corruptJournal(location, {...broken, reason: broken.reason + lostKey})
  }
  return {
    id: location.id,
    journal: location.journalPath,
    ok: true,
    events: events.length,
    head: events.at(-1)?.hash ?? null,
    firstEventAt: events[0]?.ts ?? null,
    lastEventAt: events.at(-1)?.ts ?? null,
    chain: chainKey ? 'keyed' : 'unkeyed',
    warnings: chainKey ? [] : [UNKEYED_WARNING],
  }
}

/**
 * The refusal for a journal that is missing or empty, saying whether the folder shows that the
 * incident ran (then the journal was deleted or emptied) or holds only what an opening leaves.
 */
async function missingJournal(location: IncidentLocation, how: 'missing' | 'empty'): Promise<JwkrError> {
  const made = await filesMadeByARun(location)
  const what = `The journal of incident ${location.id} is ${how} (${location.journalPath}).`
  if (made.length > 0) {
    const shown = made.slice(0, 5).join(', ') + (made.length > 5 ? ` and ${made.length - 5} more` : '')
    return new JwkrError(
      'ERR_JOURNAL_MISSING',
      `${what} Its folder holds what a run made (${shown}), so the journal was deleted or emptied after the incident ran.`,
      {
        hint: 'Keep the incident folder as evidence and restore the journal from a backup; nothing in it can be verified without one.',
        details: {incident: location.id, journal: location.journalPath, journalState: how, artifacts: made},
      },
    )
  }
  return new JwkrError(
    'ERR_JOURNAL_MISSING',
    `${what} Nothing else in its folder shows that it ran: it was interrupted while being opened, or its journal was deleted or emptied.`,
    {
      hint: 'If it was interrupted while being opened, run jwkr respond --key FILE again: it takes this folder over. Otherwise restore the journal from a backup.',
      details: {incident: location.id, journal: location.journalPath, journalState: how, artifacts: []},
    },
  )
}

/** The artifacts of an incident other than the one its opening writes (a key given on stdin, kept). */
async function filesMadeByARun(location: IncidentLocation): Promise<string[]> {
  const names = await readdir(location.artifactsDir, {recursive: true}).catch(() => [] as string[])
  const made: string[] = []
  for (const name of names.filter((name) => basename(name) !== KEPT_KEY_FILE).sort()) {
    if ((await stat(join(location.artifactsDir, name)).catch(() => undefined))?.isFile()) made.push(name)
  }
  return made
}
