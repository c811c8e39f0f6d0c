// The playbook engine: runs a loaded playbook step by step against an incident journal. It checks
// each step's condition, plans it, asks before side effects, runs it with retry and timeout, and
// journals every transition, so that a crash at any moment resumes at the first unfinished step
// and a side effect already made is never made twice (StepContext.effect).
import {Ajv} from 'ajv'
import {setTimeout as sleep} from 'node:timers/promises'

import {interruptionOf, JwkrError, type ErrorCode} from '../core/errors.js'
import type {SecretRegistry} from '../core/secrets.js'
import type {Journal} from '../incident/journal.js'
import {effectLedger} from '../incident/effect-ledger.js'
import type {ReconcileWindow} from '../incident/reconcile-effect.js'
import {createIncidentFold, type IncidentState} from '../core/journal/state.js'
import type {JournalEvent, StepStatus} from '../core/journal/types.js'
import {declaredPhase, phaseOf} from '../core/report/phases.js'
import {runOutcome, type RunOutcome} from '../core/report/run-outcome.js'
import {conditionSkipReason, foreseenSkipReason} from './describe-condition.js'
import {evaluate, evaluateCondition, interpolate, parseCondition, stepsReferencedBy} from './expression.js'
import type {Playbook, PlaybookStep} from './load-playbook.js'
import type {StepRegistry} from './registry.js'
import {StepSkipped} from './step-skipped.js'
import {
  INVENTORY_DISCOVERED,
  type PlannedCall,
  type RunEffect,
  type StepContext,
  type StepDefinition,
  type StepProgress,
} from './types.js'

/**
 * How a run ended. aborted: the responder stopped it (a No at a decision, "Stop the run here", "Abort
 * the run" after a failure); paused: it was interrupted (Ctrl-C, SIGTERM, SIGHUP) and `incident resume`
 * goes on; planned: a dry run, which did nothing.
 */
export type RunStatus = 'completed' | 'failed' | 'aborted' | 'paused' | 'waiting' | 'planned'

export interface StepOutcome {
  id: string
  uses: string
  /** As folded from the journal, or 'planned' for a step a dry run only planned. */
  status: StepStatus | 'planned'
  outputs: Record<string, unknown> | null
  error: {code: ErrorCode; message: string} | null
  startedAt: string | null
  finishedAt: string | null
  /** Why it was skipped, or why the run is waiting on it. */
  reason?: string
  plan?: PlannedCall[]
}

export interface RunResult {
  /** The incident's id (a discarded dry run's scratch incident is named `dry-run-…`: it is not kept). */
  incident: string
  status: RunStatus
  /** Set (true) for a dry run: nothing was done, every step only planned its calls. */
  dryRun?: true
  steps: StepOutcome[]
  /** Set when status is 'waiting': what the responder must do to go on. */
  waitingFor?: string
  /** What the run achieved, from its journal (core/report/run-outcome.ts): the outcome line and the exit code. */
  outcome: RunOutcome
  /** Why the run stopped before its end (a No at a gate, an abort), in words. */
  stopReason?: string
  /** Set when Ctrl-C stopped the run: the step it is paused at (null when between steps). */
  interrupted?: {step: string | null}
}

/** What the responder reads as a run starts or resumes. */
export interface RunHeader {
  incident: string
  resumed: boolean
  drill: boolean
  playbook: string
  inventoryPath: string | null
  dryRun: boolean
  /** The incident's artifacts folder (reports, evidence, generated keys). */
  artifacts: string
  /** The leaked key's path (the playbook's `key` input; a key given inline is kept as a file), for commands to print. */
  key: string | null
  /** Steps that succeeded before (a resume): they will not run again. */
  done: string[]
  /** Steps skipped before (a resume: by the responder, or for want of input): they will not run again either. */
  skippedBefore?: string[]
  /** Steps that will be skipped whatever happens before them, with the reason in words. */
  willSkip: Array<{id: string; reason: string}>
  /** Inputs the run took from elsewhere than the command line (the inventory's logs), in words. */
  notes?: string[]
}

export type GateAnswer = 'proceed' | 'skip' | 'abort'
export type FailureAnswer = 'retry' | 'skip' | 'abort'

/** The engine's view of the responder. The CLI implements it with prompts and spinners; tests with scripts. */
export interface EngineUi {
  /** May the engine ask questions? False without a terminal. */
  readonly interactive: boolean
  /** Once, before the first step: the incident, the inventory, what will be skipped. */
  runStarting?(header: RunHeader): void
  stepStarting?(step: PlaybookStep, definition: StepDefinition, plan: PlannedCall[]): void
  /**
   * Before a step with side effects or a `confirm:` question, on a terminal without --yes (read-only
   * steps and `confirm: false` run without asking).
   */
  confirmStep(step: PlaybookStep, definition: StepDefinition, plan: PlannedCall[], question: string): Promise<GateAnswer>
  /** A decision step (core.approve): yes goes on, no stops the run. Falls back to confirmStep when absent. */
  decide?(step: PlaybookStep, definition: StepDefinition, question: string): Promise<boolean>
  /** A step failed with onFailure: ask. */
  onFailure(step: PlaybookStep, error: JwkrError): Promise<FailureAnswer>
  /** An effect whose result is unknown after a crash: make it again? */
  confirmRepeat(step: PlaybookStep, description: string): Promise<boolean>
  /** A task for a person (e.g. a key changed by hand): shown, then "was it done?". */
  askPerson?(step: PlaybookStep, title: string, lines: string[]): Promise<boolean>
  progress?(step: PlaybookStep, update: StepProgress): void
  /**
   * The run now waits for a step that was running beside it (`background: true`), e.g. GitHub's
   * retries before the reports: show it as the step in progress again, with its latest progress.
   */
  waitingFor?(step: PlaybookStep): void
  stepFinished?(outcome: StepOutcome, step: PlaybookStep): void
  /** Something the responder should know about the run as a whole (e.g. an incident opened again). */
  notice?(message: string): void
}

export interface EngineOptions {
  playbook: Playbook
  registry: StepRegistry
  journal: Journal
  secrets: SecretRegistry
  incident: {id: string; dir: string; artifactsDir: string; drill: boolean}
  inputs: Record<string, unknown>
  inventoryPath: string | null
  ui: EngineUi
  /** --yes: approve every gate and repeat unknown effects without asking. */
  yes: boolean
  dryRun: boolean
  env?: Record<string, string | undefined>
  signal?: AbortSignal
  now?: () => Date
  /** Follow the run as it is journaled (keep a Slack message or a GitHub issue current). */
  observers?: EngineObserver[]
  /** How long a resume looks for an effect that may have happened before it makes it again (tests shorten it). */
  reconcileWindow?: ReconcileWindow
  /**
   * How long the end of the run waits for observers to catch up (default 60 s). Observers run beside
   * the steps, never in their way: a Slack or GitHub that hangs delays nothing but its own updates.
   */
  observerDrainMs?: number
}

/**
 * Something that follows a run: called after every journal event with the state folded so far.
 * Observers act only once the journal says they should (e.g. after a notify.slack step recorded
 * where its status message is); their errors are journaled as `observer.failed`, never thrown.
 */
export interface EngineObserver {
  name: string
  /**
   * Awaited at each event before the run goes on (a hook that must act before the next step, such as a
   * test's fault trigger). Others (Slack, GitHub) run beside the steps and never hold them up.
   */
  inline?: boolean
  onEvent(
    event: JournalEvent,
    context: {
      state: IncidentState
      secrets: SecretRegistry
      env: Record<string, string | undefined>
      signal: AbortSignal | undefined
    },
  ): Promise<void>
}

/** What `ui.decide` answers mean for a run that was stopped at a gate. */
export const DECLINED = 'declined at a decision'

class StopRun extends Error {
  constructor(
    readonly status: RunStatus,
    readonly reason: string,
  ) {
    super(reason)
  }
}

/**
 * Runs (or resumes) a playbook. Steps already succeeded or skipped in the journal are not run again.
 *
 * @example const result = await runPlaybook({playbook, registry, journal, …, ui: unattendedUi, yes: true, dryRun: false})
 */
export async function runPlaybook(options: EngineOptions): Promise<RunResult> {
  const run = new PlaybookRun(options)
  return run.execute()
}

class PlaybookRun {
  /** The inventory a step discovered on the spot (undefined: not looked up yet). */
  #discovered: string | null | undefined = undefined
  readonly #o: EngineOptions
  readonly #now: () => Date
  readonly #ajv = new Ajv({allErrors: true, strict: false})
  readonly #planned = new Map<string, PlannedCall[]>()
  readonly #dryOutputs = new Map<string, Record<string, unknown>>()
  readonly #reasons = new Map<string, string>()
  /** The journal folded so far: asked for after every event, so folded only by what was added. */
  readonly #fold = createIncidentFold()
  #scopeView: Record<string, unknown> | undefined
  /** The step being run (asked, run or retried), for the message of an interruption. */
  #current: string | null = null
  /** The observers' updates, one after another, in journal order, off the steps' path. */
  #observed: Promise<void> = Promise.resolve()
  #behind = 0
  /**
   * Steps running beside the run (`background: true`), by id, until the run waits for them: `running`
   * resolves true when the step failed and the run goes on; `ended` once it has.
   */
  readonly #beside = new Map<string, {running: Promise<boolean>; ended: boolean}>()

  constructor(options: EngineOptions) {
    this.#o = options
    this.#now = options.now ?? (() => new Date())
  }

  async execute(): Promise<RunResult> {
    let status: RunStatus = 'completed'
    let waitingFor: string | undefined
    let stopReason: string | undefined
    let interrupted: {step: string | null} | undefined
    this.#o.ui.runStarting?.(this.#header())
    try {
      for (const step of this.#o.playbook.steps) {
        this.#o.signal?.throwIfAborted()
        const done = this.#state().steps[step.id]?.status
        if (done === 'succeeded' || done === 'skipped') continue
        if (this.#runsBeside(step)) {
          this.#startBeside(step)
          continue
        }
        if (await this.#join(this.#besideNeededBy(step))) status = 'failed'
        this.#current = step.id
        const failed = await this.#runStep(step)
        this.#current = null
        if (failed) status = 'failed'
      }
      if (await this.#join([...this.#beside.keys()])) status = 'failed'
    } catch (error) {
      // Whatever stopped the run, the steps beside it end first (Ctrl-C stops them too): nothing is
      // journaled after run.finished.
      await Promise.allSettled([...this.#beside.values()].map((beside) => beside.running))
      if (error instanceof StopRun) {
        status = error.status
        stopReason = error.reason
        if (error.status === 'waiting') waitingFor = error.reason
      } else if (this.#o.signal?.aborted) {
        status = 'paused'
        const at = this.#current ?? this.#firstUnfinished()
        interrupted = {step: at}
        const reason = `interrupted (${interruptionOf(this.#o.signal.reason)})`
        stopReason = `${reason}${at ? ` at step ${at}` : ''}`
        await this.#journal('run.interrupted', {reason, step: at})
      } else {
        throw error
      }
    }
    if (this.#o.dryRun && status === 'completed') status = 'planned'
    const finished = status
    const outcome = runOutcome(this.#o.journal.events(), {runStatus: finished, contains: this.#o.playbook.contains})
    await this.#journal('run.finished', {
      status: finished,
      dryRun: this.#o.dryRun,
      outcome: outcome.status,
      missing: outcome.missing,
      ...(stopReason ? {reason: stopReason} : {}),
    })
    await this.#drainObservers()
    return {
      incident: this.#o.incident.id,
      status,
      ...(this.#o.dryRun ? {dryRun: true as const} : {}),
      steps: this.#outcomes(),
      ...(waitingFor ? {waitingFor} : {}),
      ...(stopReason ? {stopReason} : {}),
      ...(interrupted ? {interrupted} : {}),
      outcome,
    }
  }

  /**
   * The step a resume starts with: the first one neither succeeded nor skipped. It names where an
   * interruption stopped the run when it came between two steps (or while a step ran beside it).
   */
  #firstUnfinished(): string | null {
    const state = this.#state()
    const step = this.#o.playbook.steps.find((one) => !['succeeded', 'skipped'].includes(state.steps[one.id]?.status ?? ''))
    return step?.id ?? null
  }

  /** The run's opening facts: what is done already and which steps will be skipped whatever happens. */
  #header(): RunHeader {
    const state = this.#state()
    const notes = openingNotes(this.#o.journal.events())
    const ended = (status: string) =>
      this.#o.playbook.steps.filter((step) => state.steps[step.id]?.status === status).map((step) => step.id)
    const done = ended('succeeded')
    const skippedBefore = ended('skipped')
    const willSkip = this.#o.playbook.steps
      .filter((step) => !done.includes(step.id) && !skippedBefore.includes(step.id))
      .flatMap((step) => {
        const reason = this.#inventorySkipReason(step) ?? foreseenSkipReason(step.if, this.#scope())
        return reason === undefined ? [] : [{id: step.id, reason}]
      })
    return {
      incident: this.#o.incident.id,
      resumed: this.#o.journal.events().some((event) => event.type === 'incident.resumed'),
      drill: this.#o.incident.drill,
      playbook: this.#o.playbook.name,
      inventoryPath: this.#o.inventoryPath,
      dryRun: this.#o.dryRun,
      artifacts: this.#o.incident.artifactsDir,
      key: typeof this.#o.inputs.key === 'string' ? this.#o.inputs.key : null,
      done,
      ...(skippedBefore.length > 0 ? {skippedBefore} : {}),
      willSkip,
      ...(notes.length > 0 ? {notes} : {}),
    }
  }

  /** No inventory, and no step of the playbook discovers one on the spot (services.locate --discover). */
  #inventorySkipReason(step: PlaybookStep): string | undefined {
    if (this.#inventoryPath() !== null || !this.#o.registry.get(step.uses).requiresInventory) return undefined
    return this.#discovering() ? undefined : NO_INVENTORY
  }

  #discovering(): boolean {
    const scope = this.#scope()
    return this.#o.playbook.steps.some((step) => {
      const definition = this.#o.registry.get(step.uses)
      if (definition.discoversInventory === undefined) return false
      try {
        return definition.discoversInventory(this.#input(step, definition, scope))
      } catch {
        return false // its input depends on outputs not there yet: cannot tell before the run
      }
    })
  }

  /**
   * Whether a step runs beside the steps after it: it says `background: true`, and nobody is asked
   * anything (--yes), so no question of the step's can interleave with another's. A dry run plans in order.
   */
  #runsBeside(step: PlaybookStep): boolean {
    return step.background === true && this.#o.yes && !this.#o.dryRun
  }

  #startBeside(step: PlaybookStep): void {
    const beside = {running: this.#runStep(step), ended: false}
    // Its failure is seen when the run waits for it (#join); until then it must not count as unhandled.
    void beside.running.catch(() => undefined).finally(() => (beside.ended = true))
    this.#beside.set(step.id, beside)
  }

  /**
   * The steps beside the run that a step must wait for: those whose outputs its `if` or `with` reads,
   * and all of them before a step of the communicate phase (the reports and drafts read the whole journal).
   */
  #besideNeededBy(step: PlaybookStep): string[] {
    if (this.#beside.size === 0) return []
    const phase = declaredPhase(step.phase) ?? (step.uses.startsWith('core.') ? null : phaseOf(step.uses))
    if (phase === 'communicate') return [...this.#beside.keys()]
    return stepsReferencedBy(step).filter((id) => this.#beside.has(id))
  }

  /**
   * Waits for these steps beside the run. True when one of them failed and the run goes on. While it
   * waits, that step is the run's current one: a Ctrl-C then names it as the step the run is paused at.
   */
  async #join(ids: readonly string[]): Promise<boolean> {
    let failed = false
    for (const id of ids) {
      const beside = this.#beside.get(id)
      if (!beside) continue
      this.#current = id
      const step = this.#o.playbook.steps.find((one) => one.id === id)
      if (step && !beside.ended) this.#o.ui.waitingFor?.(step)
      try {
        if (await beside.running) failed = true
      } finally {
        this.#beside.delete(id)
      }
      this.#current = null
    }
    return failed
  }

  /** Runs one step to a final state. Returns true when it failed and the run goes on (onFailure: continue). */
  async #runStep(step: PlaybookStep): Promise<boolean> {
    const definition = this.#o.registry.get(step.uses)
    const scope = this.#scope()
    if (!evaluateCondition(step.if, scope)) {
      await this.#skip(step, conditionSkipReason(step.if, scope))
      return false
    }
    const discovers = (): boolean => definition.discoversInventory?.(this.#input(step, definition, scope)) ?? false
    if (definition.requiresInventory && this.#inventoryPath() === null && !discovers()) {
      await this.#skip(step, NO_INVENTORY)
      return false
    }
    const input = this.#input(step, definition, scope)
    const context = this.#context(step, new AbortController().signal)
    const plan = await definition.plan(input, context)
    this.#planned.set(step.id, plan)
    await this.#journal('step.planned', {step: step.id, uses: step.uses, calls: plan})
    if (this.#o.dryRun) {
      if (definition.safeInDryRun) {
        try {
          this.#dryOutputs.set(step.id, await definition.run(input, context))
        } catch (error) {
          if (!(error instanceof StepSkipped)) throw error
          await this.#skip(step, error.reason)
          return false
        }
      }
      this.#o.ui.stepFinished?.(this.#outcome(step), step)
      return false
    }
    for (;;) {
      const gate = await this.#gate(step, definition, plan)
      if (gate === 'skip') {
        await this.#skip(step, 'skipped by the responder')
        return false
      }
      const error = await this.#attempts(step, definition, input)
      if (error instanceof StepSkipped) {
        await this.#skip(step, error.reason)
        return false
      }
      if (!error) {
        this.#o.ui.stepFinished?.(this.#outcome(step), step)
        return false
      }
      this.#o.ui.stepFinished?.(this.#outcome(step), step)
      const decision = await this.#decideOnFailure(step, error)
      if (decision === 'continue') return true
      if (decision === 'skip') {
        await this.#skip(step, `skipped by the responder after it failed: ${error.message}`)
        return false
      }
      if (decision === 'abort') throw new StopRun(step.onFailure === 'abort' ? 'failed' : 'aborted', error.message)
    }
  }

  async #decideOnFailure(step: PlaybookStep, error: JwkrError): Promise<'continue' | 'skip' | 'abort' | 'retry'> {
    if (step.onFailure === 'continue') return 'continue'
    if (step.onFailure === 'ask' && this.#o.ui.interactive && !this.#o.yes) {
      const answer = await this.#o.ui.onFailure(step, error)
      return answer
    }
    return 'abort'
  }

  async #gate(step: PlaybookStep, definition: StepDefinition, plan: PlannedCall[]): Promise<GateAnswer> {
    // Only where a person decides: a step with side effects, or one the playbook asks about.
    // `confirm: false` runs a step without asking; a read-only step asks only when given `confirm:`.
    // A plan of nothing but `none` calls (no hook, no target) has nothing to decide.
    const noOp = plan.length > 0 && plan.every((call) => call.kind === 'none')
    const needsApproval = step.confirm === undefined ? definition.sideEffects && !noOp : step.confirm !== false
    if (!needsApproval) return 'proceed'
    if (this.#o.yes) {
      if (needsApproval) await this.#journal('step.approved', {step: step.id, by: '--yes'})
      return 'proceed'
    }
    if (!this.#o.ui.interactive) {
      throw new StopRun(
        'waiting',
        `Step "${step.id}" (${definition.title}) has side effects and needs approval: rerun with --yes, or run it on a terminal.`,
      )
    }
    const question =
      typeof step.confirm === 'string' ? String(interpolate(step.confirm, this.#scope())) : this.#question(step, definition)
    if (definition.decision && this.#o.ui.decide) {
      if (!(await this.#o.ui.decide(step, definition, question))) {
        throw new StopRun('aborted', `The responder answered No at "${step.id}": ${DECLINED}, nothing after it ran.`)
      }
      await this.#journal('step.approved', {step: step.id, by: 'responder'})
      return 'proceed'
    }
    const answer = await this.#o.ui.confirmStep(step, definition, plan, question)
    if (answer === 'abort') throw new StopRun('aborted', `The responder stopped the run before step "${step.id}".`)
    if (answer === 'proceed') await this.#journal('step.approved', {step: step.id, by: 'responder'})
    return answer
  }

  /** The question of a step without its own: a decision step's message, else the step's title. */
  #question(step: PlaybookStep, definition: StepDefinition): string {
    const message = definition.decision ? step.with?.message : undefined
    if (typeof message === 'string') return String(interpolate(message, this.#scope()))
    return `${step.title ?? definition.title}?`
  }

  /**
   * Runs the attempts a step's retry allows. Returns the final error, the StepSkipped of a handler
   * that had nothing to do (never retried), or undefined on success.
   */
  async #attempts(
    step: PlaybookStep,
    definition: StepDefinition,
    input: Record<string, unknown>,
  ): Promise<JwkrError | StepSkipped | undefined> {
    const attempts = step.retry?.attempts ?? 1
    for (let attempt = 1; ; attempt++) {
      await this.#journal('step.started', {step: step.id, uses: step.uses, attempt, input})
      this.#o.ui.stepStarting?.(step, definition, this.#planned.get(step.id) ?? [])
      try {
        const outputs = await this.#withTimeout(step, (signal) => definition.run(input, this.#context(step, signal)))
        this.#checkOutputs(definition, outputs)
        await this.#journal('step.succeeded', {step: step.id, outputs})
        return undefined
      } catch (caught) {
        if (this.#o.signal?.aborted) throw caught
        if (caught instanceof StepSkipped) return caught
        const error = asJwkrError(caught, step)
        const final = attempt >= attempts
        await this.#journal('step.failed', {step: step.id, error: {code: error.code, message: error.message}, attempt, final})
        if (final) return error
        const delayMs = (step.retry?.backoffMs ?? 1000) * 2 ** (attempt - 1)
        await this.#journal('step.retrying', {step: step.id, attempt: attempt + 1, delayMs})
        await sleep(delayMs, undefined, {signal: this.#o.signal})
      }
    }
  }

  async #withTimeout<T>(step: PlaybookStep, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    const signals = [controller.signal, ...(this.#o.signal ? [this.#o.signal] : [])]
    const signal = AbortSignal.any(signals)
    const timer = step.timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(), step.timeoutMs)
    try {
      const aborted = new Promise<never>((_, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), {once: true})
      })
      return await Promise.race([fn(signal), aborted])
    } catch (error) {
      if (controller.signal.aborted && !this.#o.signal?.aborted) {
        throw new JwkrError('ERR_STEP_TIMEOUT', `Step "${step.id}" did not finish within its timeout.`, {
          hint: "Raise the step's timeout in the playbook, or resume the incident to try again.",
        })
      }
      throw error
    } finally {
      if (timer) clearTimeout(timer)
    }
  }

  #checkOutputs(definition: StepDefinition, outputs: unknown): void {
    const validate = this.#ajv.compile(definition.outputSchema)
    if (!validate(outputs)) {
      throw new JwkrError(
        'ERR_STEP_FAILED',
        `Step ${definition.id} returned outputs that do not fit its schema: ${this.#ajv.errorsText(validate.errors)}.`,
        {
          hint: 'This is a bug in the step; report it with the incident journal.',
        },
      )
    }
  }

  #input(step: PlaybookStep, definition: StepDefinition, scope: Record<string, unknown>): Record<string, unknown> {
    const raw = new Set(definition.rawInputs ?? [])
    // An expression that comes out null (an optional input not given) leaves the input out.
    // Built as entries: `input[name] = …` with a name of __proto__ would replace the object's prototype.
    const input: Record<string, unknown> = Object.fromEntries(
      Object.entries(step.with ?? {})
        .map(([name, value]) => [name, raw.has(name) ? value : interpolate(value, scope)] as const)
        .filter(([, resolved]) => resolved !== null && resolved !== undefined),
    )
    const validate = this.#ajv.compile(definition.inputSchema)
    if (!validate(input)) {
      throw new StopRun(
        'failed',
        `Step "${step.id}" got inputs that do not fit ${definition.id}: ${this.#ajv.errorsText(validate.errors, {dataVar: 'with'})}.`,
      )
    }
    return input
  }

  /**
   * The run's inventory: the one it was given, else the one a step discovered on the spot and journaled
   * (`inventory.discovered`, services.locate --discover), so the later steps and a resume act on it too.
   */
  #inventoryPath(): string | null {
    if (this.#o.inventoryPath !== null) return this.#o.inventoryPath
    // Read from the journal once (a resume), then kept as the step records it: not a scan per step
    if (this.#discovered === undefined) {
      const event = this.#o.journal
        .events()
        .findLast((candidate) => candidate.type === INVENTORY_DISCOVERED && typeof candidate.data.file === 'string')
      this.#discovered = event ? (event.data.file as string) : null
    }
    return this.#discovered
  }

  #context(step: PlaybookStep, signal: AbortSignal): StepContext {
    return {
      signal,
      secrets: this.#o.secrets,
      incident: this.#o.incident,
      inventoryPath: this.#inventoryPath(),
      unattended: this.#o.yes || !this.#o.ui.interactive,
      stepId: step.id,
      env: this.#o.env ?? {},
      now: this.#now,
      progress: (update) => this.#o.ui.progress?.(step, update),
      skip: (reason) => {
        throw new StepSkipped(reason)
      },
      state: () => this.#state(),
      events: () => this.#o.journal.events().slice(),
      record: async (type, data) => {
        await this.#journal(type, {step: step.id, ...data})
        if (type === INVENTORY_DISCOVERED && typeof data.file === 'string') this.#discovered = data.file
      },
      evaluate: (expression) => evaluate(parseCondition(expression), this.#scope()),
      effect: this.#ledger(step),
      ...(this.#o.ui.interactive && !this.#o.yes && this.#o.ui.askPerson
        ? {askPerson: (title: string, lines: string[]) => this.#o.ui.askPerson!(step, title, lines)}
        : {}),
    }
  }

  /** The step's effect runner: the incident's effect ledger, with the run's answer to an unknown effect. */
  #ledger(step: PlaybookStep): RunEffect {
    const {ui, yes} = this.#o
    return effectLedger({
      step: step.id,
      effects: () => this.#state().effects,
      append: (type, data) => this.#journal(type, data),
      yes,
      ...(ui.interactive && !yes ? {confirmRepeat: (description: string) => ui.confirmRepeat(step, description)} : {}),
      refusalHint: 'Check by hand, then resume with --yes to repeat it, or skip the step on a terminal.',
      window: this.#o.reconcileWindow,
      signal: this.#o.signal,
    })
  }

  async #skip(step: PlaybookStep, reason: string): Promise<void> {
    this.#reasons.set(step.id, reason)
    await this.#journal('step.skipped', {step: step.id, reason})
    this.#o.ui.stepFinished?.(this.#outcome(step), step)
  }

  async #journal(type: string, data: Record<string, unknown>): Promise<void> {
    const event = await this.#o.journal.append(type, data)
    const observers = this.#o.observers ?? []
    if (observers.length === 0) return
    const state = this.#state()
    for (const observer of observers.filter((one) => one.inline)) await this.#notify(observer, event, state)
    // The others (e.g. the Slack status message) follow the run beside it: queued, never awaited here,
    // so a notification service that hangs cannot hold up a rotation. Their failures never stop it.
    const beside = observers.filter((one) => !one.inline)
    if (beside.length === 0) return
    this.#behind++
    this.#observed = this.#observed.then(async () => {
      for (const observer of beside) await this.#notify(observer, event, state)
      this.#behind--
    })
  }

  /** One observer told of one event; a failure is journaled as observer.failed, never thrown. */
  async #notify(observer: EngineObserver, event: JournalEvent, state: IncidentState): Promise<void> {
    try {
      await observer.onEvent(event, {state, secrets: this.#o.secrets, env: this.#o.env ?? {}, signal: this.#o.signal})
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      await this.#o.journal.append('observer.failed', {observer: observer.name, event: event.seq, message}).catch(() => {})
    }
  }

  /** Lets the observers catch up before the run returns, for at most observerDrainMs; says so when they could not. */
  async #drainObservers(): Promise<void> {
    if (!this.#o.observers?.length) return
    // After Ctrl-C the responder is waiting for the prompt back: a short grace, then the updates are left.
    const limitMs = this.#o.signal?.aborted
      ? Math.min(2000, this.#o.observerDrainMs ?? 2000)
      : (this.#o.observerDrainMs ?? 60_000)
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), limitMs)
    })
    const ended = await Promise.race([this.#observed.then(() => 'caught-up' as const), late])
    clearTimeout(timer)
    if (ended === 'late') {
      const names = this.#o.observers.map((observer) => observer.name).join(', ')
      const message = `${this.#behind} update(s) not sent within ${Math.round(limitMs / 1000)} s of the run's end: the service is slow or not answering`
      await this.#o.journal.append('observer.failed', {observer: names, message})
    }
  }

  #state(): IncidentState {
    return this.#fold(this.#o.journal.events())
  }

  /**
   * What expressions read. Built once per run: each step's entry and `now` are getters that read the
   * journal when an expression asks (building every step's entry before every step was quadratic).
   */
  #scope(): Record<string, unknown> {
    if (this.#scopeView) return this.#scopeView
    const steps: Record<string, unknown> = Object.create(null) as Record<string, unknown>
    for (const {id} of this.#o.playbook.steps) {
      Object.defineProperty(steps, id, {
        enumerable: true,
        get: () => {
          const folded = this.#state().steps[id]
          return {outputs: this.#dryOutputs.get(id) ?? folded?.outputs ?? {}, status: folded?.status ?? 'pending'}
        },
      })
    }
    const now = this.#now
    this.#scopeView = {
      inputs: this.#o.inputs,
      steps,
      incident: {id: this.#o.incident.id, drill: this.#o.incident.drill, dir: this.#o.incident.dir},
      get now() {
        return now().toISOString()
      },
    }
    return this.#scopeView
  }

  #outcomes(): StepOutcome[] {
    return this.#o.playbook.steps.map((step) => this.#outcome(step))
  }

  #outcome(step: PlaybookStep): StepOutcome {
    const folded = this.#state().steps[step.id]
    const planned = this.#planned.get(step.id)
    const status: StepOutcome['status'] =
      this.#o.dryRun && planned && !folded?.status?.match(/succeeded|skipped/) ? 'planned' : (folded?.status ?? 'pending')
    return {
      id: step.id,
      uses: step.uses,
      status,
      outputs: this.#dryOutputs.get(step.id) ?? folded?.outputs ?? null,
      error: folded?.error ?? null,
      startedAt: folded?.startedAt ?? null,
      finishedAt: folded?.finishedAt ?? null,
      ...(folded?.status === 'skipped' || this.#reasons.has(step.id)
        ? {reason: this.#reasons.get(step.id) ?? folded?.reason}
        : {}),
      ...(planned ? {plan: planned} : {}),
    }
  }
}

const NO_INVENTORY = 'no inventory (pass --inventory FILE or create ./jwkr.inventory.yaml)'

function asJwkrError(error: unknown, step: PlaybookStep): JwkrError {
  if (error instanceof JwkrError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new JwkrError('ERR_STEP_FAILED', `Step "${step.id}" failed: ${message}`, {cause: error})
}

/** The notes the opening journaled (inputs taken from the inventory), for the header of a start and of a resume. */
function openingNotes(events: readonly JournalEvent[]): string[] {
  const notes = events.find((event) => event.type === 'incident.opened')?.data.inputNotes
  return Array.isArray(notes) ? notes.filter((note): note is string => typeof note === 'string') : []
}
