// The real effect ledger (src/incident/effect-ledger.ts) over a journal in a temp folder, for tests
// of code that makes effects (key sources, Slack): stages follow the engine's rule for an unknown effect (under --yes by default, as an
// unattended resume; or with a terminal's answer), and the runner can "crash" right after a stage's
// remote change, before its result is journaled. It records what the ledger did with each stage.
import {mkdtempSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {onTestFinished} from 'vitest'

import type {EffectRunner} from '../../src/adapters/idp/issuer-key-store.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {journalLedger, type UnknownEffectRule} from '../../src/incident/effect-ledger.js'
import {Journal} from '../../src/incident/journal.js'
import {foldIncident} from '../../src/core/journal/state.js'

export interface RunnerEvent {
  stage: string
  /** applied: its change was made; replayed: done before, not made; recovered: found by its check; repeated: made again after an interruption. */
  event: 'applied' | 'replayed' | 'recovered' | 'repeated'
}

export class SimulatedCrash extends Error {
  constructor(stage: string) {
    super(`simulated crash after the remote change of stage ${stage}`)
  }
}

const NO_WAIT = {retries: 0, factor: 1, minTimeout: 0, maxTimeout: 0}

export class LedgerRunner {
  readonly events: RunnerEvent[] = []
  readonly descriptions: string[] = []
  /** The next run of this stage crashes after `apply` returned, before `done` is journaled. */
  crashAfter: string | null = null
  readonly #journal: Promise<Journal>
  readonly #rule: Pick<UnknownEffectRule, 'yes' | 'confirmRepeat'>
  #opened: Journal | undefined

  constructor(rule: Pick<UnknownEffectRule, 'yes' | 'confirmRepeat'> = {yes: true}) {
    this.#rule = rule
    const dir = mkdtempSync(join(tmpdir(), 'jwkr-ledger-runner-'))
    this.#journal = Journal.create(join(dir, 'journal.jsonl'), {secrets: new SecretRegistry()})
    void this.#journal.then((journal) => {
      this.#opened = journal
    })
    onTestFinished(async () => {
      await (await this.#journal).close()
      await rm(dir, {recursive: true, force: true})
    })
  }

  readonly run: EffectRunner = async (stage, description, apply, check) => {
    const journal = await this.#journal
    const ledger = journalLedger(journal, {step: 'test', ...this.#rule, refusalHint: 'Resume with --yes.', window: NO_WAIT})
    const before = foldIncident(journal.events()).effects[stage]
    const seen = journal.events().length
    let made = false
    const ref = await ledger(
      stage,
      description,
      async () => {
        if (before) this.events.push({stage, event: 'repeated'})
        this.descriptions.push(description)
        const result = await apply()
        made = true
        this.events.push({stage, event: 'applied'})
        if (this.crashAfter === stage) {
          this.crashAfter = null
          throw new SimulatedCrash(stage)
        }
        return result
      },
      check,
    )
    if (!made) {
      const recovered = journal
        .events()
        .slice(seen)
        .some((event) => event.type === 'effect.done' && event.data.recovered)
      this.events.push({stage, event: recovered ? 'recovered' : 'replayed'})
    }
    return ref
  }

  /** The stages journaled done, with their refs. */
  get done(): Map<string, Record<string, unknown>> {
    return new Map(
      Object.entries(this.#effects()).flatMap(([stage, effect]) =>
        effect.status === 'done' ? [[stage, effect.ref ?? {}] as const] : [],
      ),
    )
  }

  /** What the journal says of this stage: intent, done or repeated (undefined: never run). */
  status(stage: string): string | undefined {
    return this.#effects()[stage]?.status
  }

  /** Stages whose apply ran, in order (a repeat shows twice). */
  applied(): string[] {
    return this.events.filter((item) => item.event === 'applied').map((item) => item.stage)
  }

  #effects() {
    return this.#opened ? foldIncident(this.#opened.events()).effects : {}
  }
}
