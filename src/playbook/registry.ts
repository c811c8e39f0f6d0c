// The step registry: the steps a playbook may `use`, by id. Like Backstage's TemplateActionRegistry
// it refuses a duplicate id, and an unknown id fails with the registered ids and the closest match,
// so a typo in a playbook is one glance away from its fix.
import {JwkrError} from '../core/errors.js'
import {suggestion} from '../core/yaml/load-yaml-document.js'
import {STEP_NAME_PATTERN} from './playbook-schema.js'
import type {StepDefinition} from './types.js'

export class StepRegistry {
  readonly #steps = new Map<string, StepDefinition>()

  /** Adds a step; refuses an id that is not `<area>.<verb>` or that is already registered. */
  register(definition: StepDefinition): this {
    const {id} = definition
    if (typeof id !== 'string' || !new RegExp(STEP_NAME_PATTERN).test(id)) {
      throw new JwkrError(
        'ERR_STEP_DEFINITION_INVALID',
        `A step id must look like <area>.<verb> (e.g. key.inspect), not '${String(id)}'.`,
        {
          hint: 'Name the step after its area and what it does: lower-case area, a dot, then the verb.',
        },
      )
    }
    if (this.#steps.has(id)) {
      throw new JwkrError('ERR_STEP_DEFINITION_INVALID', `The step ${id} is registered twice.`, {
        hint: 'Each step id must be unique: rename one of the two step definitions.',
      })
    }
    this.#steps.set(id, definition)
    return this
  }

  /** The step registered as `id`; unknown ids fail with ERR_PLAYBOOK_UNKNOWN_STEP. */
  get(id: string): StepDefinition {
    const step = this.#steps.get(id)
    if (step) return step
    throw new JwkrError('ERR_PLAYBOOK_UNKNOWN_STEP', `${capitalise(unknownStepMessage(id, this.ids()))}.`, {
      hint: 'Use one of the registered steps (`jwkr playbook show NAME` lists a playbook’s steps).',
      details: {step: id, known: this.ids(), suggestion: this.closest(id) ?? null},
    })
  }

  has(id: string): boolean {
    return this.#steps.has(id)
  }

  /** Every registered step, sorted by id. */
  list(): StepDefinition[] {
    return [...this.#steps.values()].sort((a, b) => a.id.localeCompare(b.id))
  }

  ids(): string[] {
    return this.list().map((step) => step.id)
  }

  /** The registered id closest to a likely typo, if any is close. */
  closest(id: string): string | undefined {
    return suggestion(id, this.ids())
  }
}

/** `unknown step 'key.inspcet' (did you mean 'key.inspect'?); registered: core.note, key.inspect`. */
export function unknownStepMessage(id: string, known: readonly string[]): string {
  const guess = suggestion(id, known)
  const list = known.length > 0 ? known.join(', ') : 'none'
  return `unknown step '${id}'${guess ? ` (did you mean '${guess}'?)` : ''}; registered steps: ${list}`
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

export function createRegistry(definitions: readonly StepDefinition[]): StepRegistry {
  const registry = new StepRegistry()
  for (const definition of definitions) registry.register(definition)
  return registry
}
