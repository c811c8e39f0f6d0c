// The contract between the playbook engine and the steps it runs (ARCHITECTURE.md, Playbook). A step is
// an object with an id, input and output schemas, a dry-run plan and a handler (like a Backstage
// scaffolder action); the registry refuses duplicate and unknown ids.
import type {PlannedCall, RunEffect} from '../core/effect.js'
import type {JsonSchema} from '../core/json-schema.js'
import type {SecretRegistry} from '../core/secrets.js'
import type {Static, TSchema} from './step-schema.js'
import type {IncidentState, JournalEvent} from '../core/journal/types.js'

export type {JsonSchema, PlannedCall, RunEffect}

/** The event a step journals when it discovered the run's inventory (its data.file is the inventory the rest of the run uses). */
export const INVENTORY_DISCOVERED = 'inventory.discovered'

export interface StepProgress {
  /** A short line about what is happening now. */
  message: string
  /** 0..1 when known. */
  fraction?: number
  /** When the step acts next (ISO 8601; e.g. containment's next check), for a countdown on the status line. */
  nextAt?: string
}

export interface EffectRecord {
  /** Stable across resumes: e.g. `${incidentId}:rotate:auth-main:add-key`. */
  key: string
  description: string
  /** What the remote gave back: Slack ts, PR number, new kid… (never secrets). */
  ref?: Record<string, unknown>
}

/** What a step's handler gets besides its input. */
export interface StepContext {
  signal: AbortSignal
  secrets: SecretRegistry
  incident: {id: string; dir: string; artifactsDir: string; drill: boolean}
  /** The inventory file of this run, or null when there is none (steps that need one are skipped). */
  inventoryPath: string | null
  /** True when the run may not ask the responder anything (no terminal, or --yes given). */
  unattended: boolean
  /** The step's id in the playbook (not its `uses`). */
  stepId: string
  /** Everything resolved at run start that steps may need (inventory path, env, base URLs). */
  env: Record<string, string | undefined>
  now(): Date
  progress(update: StepProgress): void
  /**
   * Evaluates a playbook expression (the text inside `${{ }}`) against the run's current scope
   * (inputs, steps.<id>.outputs, incident, now). Used by steps that poll a condition (core.wait).
   */
  evaluate(expression: string): unknown
  /**
   * Present only when a person can answer (a terminal, no --yes): shows a task to do by hand and asks
   * whether it was done (the manual key store). Steps without it must fail clearly instead of waiting.
   */
  askPerson?(title: string, lines: string[]): Promise<boolean>
  /**
   * Ends the step as skipped, with this reason in words ("SLACK_TOKEN not set: …", "no issuer
   * publishes the key"), never as succeeded: for a step that had nothing to do or could not act. The
   * engine journals `step.skipped` with the reason; a resumed run does not run the step again.
   * Throws (a StepSkipped), so `return context.skip(…)` or a bare call ends the handler.
   */
  skip(reason: string): never
  /**
   * The incident as the run's journal has it so far, earlier steps and this one included (which
   * steps are done and their outputs, effects, notes): folded as events are appended, never re-read.
   */
  state(): IncidentState
  /** The journal's events so far, in order (what earlier steps recorded: evidence, canaries sent…). */
  events(): readonly JournalEvent[]
  /** Appends an event to the journal (redacted). Use for evidence and findings. */
  record(type: string, data: Record<string, unknown>): Promise<void>
  /** Runs a side effect exactly once per incident (the effect rule: see RunEffect). */
  effect: RunEffect
}

export interface StepDefinition<I = Record<string, unknown>, O = Record<string, unknown>> {
  /** `<area>.<verb>`, e.g. `key.inspect`. */
  id: string
  title: string
  /** Why this step exists, shown to the responder before it runs. */
  description: string
  /** A TypeBox schema (a JSON Schema that also carries the type of `I`): `with:` is checked against it. */
  inputSchema: TSchema
  /** A TypeBox schema of what `run` returns; outputs are checked against it. */
  outputSchema: TSchema
  sideEffects: boolean
  /**
   * A decision for a person (core.approve): on a terminal it is asked as yes/no, and No stops the run;
   * unattended it needs --yes like a side effect.
   */
  decision?: boolean
  /** Skipped (with this reason shown) when the run has no inventory. */
  requiresInventory?: boolean
  /**
   * With these inputs the step makes the run's inventory itself when there is none (services.locate
   * --discover journals `inventory.discovered`), so it runs instead of being skipped.
   */
  discoversInventory?(input: I): boolean
  /**
   * Reads only local input and calls nothing outside (e.g. key.inspect): runs for real in a dry run,
   * so the plans of later steps see its outputs.
   */
  safeInDryRun?: boolean
  /**
   * Inputs passed to the handler as unevaluated expression text (the part inside `${{ }}`), for
   * steps that re-evaluate them over time with `context.evaluate` (core.wait's `until`).
   */
  rawInputs?: readonly string[]
  /** The calls the step would make, for --dry-run and for the confirm prompt. Makes none. */
  plan(input: I, context: StepContext): Promise<PlannedCall[]> | PlannedCall[]
  /** Does the work and returns its outputs; ends the step as skipped with `context.skip(reason)` when there is nothing to do. */
  run(input: I, context: StepContext): Promise<O>
}

/**
 * A step as `defineStep` declares it: its input and output types are its schemas' (one declaration).
 * It is a StepDefinition, so the registry holds every step under that one name.
 */
export interface TypedStepDefinition<In extends TSchema, Out extends TSchema> extends StepDefinition<Static<In>, Static<Out>> {
  inputSchema: In
  outputSchema: Out
}
