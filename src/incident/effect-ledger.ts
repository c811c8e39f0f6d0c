// The effect ledger: the one implementation of "do this effect exactly once" (ARCHITECTURE.md, The
// effect rule), over an incident's journal. The playbook engine, commands acting on an incident
// outside a run, and tests all run their effects through it, so an effect whose outcome is unknown
// (its intent journaled, its result not) is treated the same everywhere.
import type {RunEffect} from '../core/effect.js'
import {JwkrError} from '../core/errors.js'
import type {Journal} from './journal.js'
import {reconcileEffect, type ReconcileWindow} from './reconcile-effect.js'
import {createIncidentFold} from '../core/journal/state.js'
import type {EffectState, JournalEvent} from '../core/journal/types.js'

/** What to do with an effect whose outcome is unknown and whose remote cannot tell. */
export interface UnknownEffectRule {
  /** --yes: repeat it without asking, and say so in the journal. */
  yes: boolean
  /** Present only when a person can answer (a terminal, no --yes): asks whether to make it (again). */
  confirmRepeat?: (description: string) => Promise<boolean>
  /** The refusal's hint: how to settle it (e.g. "Check by hand, then resume with --yes to repeat it."). */
  refusalHint: string
}

export interface LedgerOptions extends UnknownEffectRule {
  /** Written into every effect event: the step id, or the command (`jwkr notify slack`). */
  step: string
  /** The effects folded from the journal so far. */
  effects: () => Readonly<Record<string, EffectState>>
  /** Appends one event to the journal (on disk, with fsync, before it resolves). */
  append: (type: string, data: Record<string, unknown>) => Promise<unknown>
  /**
   * Ask the remote before making an effect the journal has never seen: for commands, whose effects
   * a run's observers (which keep no ledger) may have made already.
   */
  lookFirst?: boolean
  /** How long an unknown effect is looked for remotely (tests shorten it). */
  window?: ReconcileWindow
  signal?: AbortSignal
}

/**
 * The effect runner of one step or command. A done effect returns its recorded ref. An unknown one
 * is looked for remotely when it offers a `check` (found: recorded as recovered; not made: made);
 * when the remote cannot tell, or there is no check, a person is asked, else `--yes` repeats it
 * (journaled as `effect.repeated`), else it is refused with ERR_APPROVAL_REQUIRED. The intent is on
 * disk before `apply` runs, so a crash at any instant leaves the effect done or unknown, never lost.
 *
 * @example
 * const effect = effectLedger({step: 'rotate', effects: () => state().effects, append, yes: false, refusalHint})
 * const {kid} = await effect(`${incident}:rotate:auth-main:add-key`, 'Publish the new key', publish, findPublished)
 */
export function effectLedger(options: LedgerOptions): RunEffect {
  const {step, append} = options
  return async (key, description, apply, check) => {
    type R = Awaited<ReturnType<typeof apply>>
    const known = options.effects()[key]
    if (known?.status === 'done') return (known.ref ?? {}) as R
    if (known || (options.lookFirst && check)) {
      // Written before the interruption, it may not be visible to the lookup yet: look for a while.
      const found = check ? await (known ? reconcileEffect(check, options) : check()) : 'unknown'
      if (found !== undefined && found !== 'unknown') {
        await append('effect.done', {step, key, ref: found, recovered: true})
        return found
      }
      if (known && found === 'unknown') await repeatUnknown(options, key, description)
    }
    await append('effect.intent', {step, key, description})
    const ref = await apply()
    await append('effect.done', {step, key, ref})
    return ref
  }
}

/** The rule for an unknown effect the remote cannot settle: ask, else --yes, else refuse. */
async function repeatUnknown(options: LedgerOptions, key: string, description: string): Promise<void> {
  const by = options.yes
    ? 'repeated under --yes'
    : options.confirmRepeat && (await options.confirmRepeat(description))
      ? 'repeated by the responder'
      : undefined
  if (by === undefined) {
    throw new JwkrError(
      'ERR_APPROVAL_REQUIRED',
      `Cannot tell whether "${description}" already happened before the interruption.`,
      {
        hint: options.refusalHint,
        details: {effect: key},
      },
    )
  }
  await options.append('effect.repeated', {step: options.step, key, reason: by})
}

/**
 * The ledger over a journal opened by this process (a command holding the incident's lock). The
 * journal is folded incrementally: each effect reads only the events appended since the last.
 */
export function journalLedger(journal: Journal, options: Omit<LedgerOptions, 'effects' | 'append'>): RunEffect {
  const fold = createIncidentFold()
  return effectLedger({
    ...options,
    effects: () => fold(journal.events()).effects,
    append: (type, data) => journal.append(type, data),
  })
}

/**
 * The ledger of a command that has no incident to journal in: its effects are kept for this process
 * only (nothing can resume it, so no effect is ever unknown).
 */
export function processLedger(options: Omit<LedgerOptions, 'effects' | 'append' | 'lookFirst'>): RunEffect {
  const events: JournalEvent[] = []
  const fold = createIncidentFold()
  return effectLedger({
    ...options,
    effects: () => fold(events).effects,
    append: async (type, data) => {
      events.push({seq: events.length + 1, ts: new Date().toISOString(), type, data, prev: '', hash: ''})
    },
  })
}
