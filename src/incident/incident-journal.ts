// Acting on an incident outside a playbook run (`jwkr notify slack|github`, `jwkr incident close`):
// its journal opened under its lock, and side effects run through the incident's effect ledger (the
// engine's), so a later run (or a resume) sees what the command did and never does it twice.
import type {RunEffect} from '../core/effect.js'
import type {SecretRegistry} from '../core/secrets.js'
import {readChainKey} from './chain-key.js'
import {Journal} from './journal.js'
import {acquireLock} from './lock.js'
import {journalLedger, processLedger, type UnknownEffectRule} from './effect-ledger.js'
import type {ReconcileWindow} from './reconcile-effect.js'
import {findIncident, type IncidentLocation} from './workspace.js'

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

/** How a command answers for an effect whose outcome is unknown (its --yes, and a prompt on a terminal). */
export type UnknownEffectAnswer = Pick<UnknownEffectRule, 'yes' | 'confirmRepeat'>

/**
 * The effect ledger of a command acting on an incident, journaled as `command`. With `lookFirst`, the
 * remote is asked before an effect the journal has never seen: a run's observers (the Slack status,
 * the tracking issue) make theirs without journaling them.
 */
export function commandEffects(
  journal: Journal,
  command: string,
  answer: UnknownEffectAnswer,
  options: {lookFirst?: boolean; window?: ReconcileWindow} = {},
): RunEffect {
  return journalLedger(journal, {step: command, ...answer, ...options, refusalHint: refusalHint(command)})
}

/**
 * Runs `work` with the effects of a command that names an incident (`jwkr key rotate --incident ID`):
 * the incident's ledger, under its lock, when the workspace holds it, so what a run did is not done
 * again and what it left unknown follows the rule; otherwise a ledger of this process only.
 */
export async function withCommandEffects<T>(
  home: string,
  id: string | undefined,
  options: {secrets: SecretRegistry; command: string; answer: UnknownEffectAnswer},
  work: (effect: RunEffect) => Promise<T>,
): Promise<T> {
  const known = id === undefined ? undefined : await findIncident(home, id).catch(() => undefined)
  if (id === undefined || known === undefined) {
    return work(processLedger({step: options.command, ...options.answer, refusalHint: refusalHint(options.command)}))
  }
  return withIncidentJournal(home, id, {secrets: options.secrets}, (journal) =>
    work(commandEffects(journal, options.command, options.answer)),
  )
}

function refusalHint(command: string): string {
  return `Check by hand whether it happened, then run ${command} again with --yes to repeat it, or on a terminal to be asked.`
}
