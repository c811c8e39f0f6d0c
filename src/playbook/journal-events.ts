// The incident's journal as a step reads it while the run goes on: what earlier steps and checks
// recorded (where the key was published, which canaries were sent, when the key was removed).
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {readChainKey} from '../incident/chain-key.js'
import type {JournalEvent} from '../core/journal/types.js'
import {readJournal} from '../incident/verify-journal.js'
import {JOURNAL_FILE} from '../incident/workspace.js'
import type {StepContext} from './types.js'

/**
 * The journal's events so far, or null when it cannot be read (a step run outside an incident's folder).
 *
 * @example const events = (await journalEvents(context)) ?? []
 */
export async function journalEvents(context: StepContext): Promise<JournalEvent[] | null> {
  try {
    const chainKey = await readChainKey(context.incident.dir, context.secrets)
    return readJournal(await readFile(join(context.incident.dir, JOURNAL_FILE), 'utf8'), {chainKey}).events
  } catch {
    return null
  }
}
