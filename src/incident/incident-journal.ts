// Acting on an incident outside a playbook run (`jwkr notify slack|github`, `jwkr incident close`):
// its journal opened under its lock, and side effects journaled with the engine's semantics, so a
// later run (or a resume) sees what the command did and never does it twice.
import type {RunEffect} from '../core/effect.js'
import type {SecretRegistry} from '../core/secrets.js'
import {readChainKey} from './chain-key.js'
import {Journal} from './journal.js'
import {acquireLock} from './lock.js'
import {reconcileEffect, type ReconcileWindow} from './reconcile-effect.js'
import {foldIncident} from '../core/journal/state.js'
import {findIncident, type IncidentLocation} from './workspace.js'

/** The same contract as a step's `context.effect`. */
export type JournalEffect = RunEffect

/** Runs `work` with the incident's journal open, holding its lock; always closes and releases. */
export async function withIncidentJournal<T>(
  home: string,
  id: string,
  options: {secrets: SecretRegistry; now?: () => Date},
  work: (journal: Journal, location: IncidentLocation) => Promise<T>,
): Promise<T> {
  const location = await findIncident(home, id)
  const lock = await acquireLock(location.dir)
  try {
    const chainKey = await readChainKey(location.dir, options.secrets)
    const journal = await Journal.open(location.journalPath, {secrets: options.secrets, now: options.now, chainKey})
    try {
      return await work(journal, location)
    } finally {
      await journal.close()
    }
  } finally {
    await lock.release()
  }
}

/**
 * Effects for a command, journaled as `step`: one done before returns its ref; otherwise the remote
 * is asked first (`check`; for an intent without its result, for a while: reconcile-effect.ts), and
 * the change is made only when it is not there yet.
 */
export function journalEffects(journal: Journal, step: string, window?: ReconcileWindow): JournalEffect {
  return async (key, description, apply, check) => {
    const known = foldIncident(journal.events()).effects[key]
    if (known?.status === 'done' && known.ref) return known.ref as Awaited<ReturnType<typeof apply>>
    // An intent without its result may have been applied and not be visible yet: look for a while.
    const found = check ? await (known ? reconcileEffect(check, {window}) : check()) : undefined
    if (found !== undefined && found !== 'unknown') {
      await journal.append('effect.done', {step, key, ref: found, recovered: true})
      return found
    }
    await journal.append('effect.intent', {step, key, description})
    const ref = await apply()
    await journal.append('effect.done', {step, key, ref})
    return ref
  }
}
