// The JSON Schema of a playbook file (ARCHITECTURE.md, Playbook). `jwkr playbook schema` prints it so
// editors can validate playbooks as they are written; the loader checks every file against it.
// `title` on a pattern is what an error message calls the expected form.
import type {JsonSchema} from './types.js'

export const PLAYBOOK_API_VERSION = 'jwkr/v1'

/**
 * Step ids and input names: they appear in expressions as `steps.<id>` and `inputs.<name>`, and key
 * the objects that hold step outputs, so the names JavaScript objects give a meaning to are refused.
 */
export const IDENTIFIER_PATTERN = '^(?!(?:__proto__|constructor|prototype)$)[A-Za-z_][A-Za-z0-9_-]*$'
/** Registered step names: `<area>.<verb>`, e.g. `key.inspect`, `notify.slack`. */
export const STEP_NAME_PATTERN = '^[a-z][a-z0-9-]*\\.[a-z][a-zA-Z0-9-]*$'
/** More steps than a responder could follow is a mistake (or an attack on the checker): refused. */
export const MAX_PLAYBOOK_STEPS = 1000
/** Durations: `500ms`, `2s`, `5m`, `1h`, `1h30m`. */
import {DURATION_PATTERN} from '../core/duration.js'

export {DURATION_PATTERN}

const identifier = (what: string) => ({
  type: 'string',
  pattern: IDENTIFIER_PATTERN,
  title: `${what} (a letter or _, then letters, digits, _ or -; not __proto__, constructor or prototype)`,
})

export const playbookSchema: JsonSchema = Object.freeze({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:jwk-responder:schema:playbook:v1',
  title: 'jwkr playbook',
  description: 'A jwkr playbook: the steps a responder is guided through when a JSON Web Key leaks.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'name', 'steps'],
  properties: {
    apiVersion: {const: PLAYBOOK_API_VERSION, description: 'The playbook format version.'},
    kind: {const: 'Playbook'},
    name: {
      type: 'string',
      pattern: '^[a-z][a-z0-9]*(-[a-z0-9]+)*$',
      title: 'kebab-case name like leaked-signing-key',
      description: 'The name `jwkr respond --playbook NAME` and `jwkr playbook show NAME` use.',
    },
    description: {type: 'string', description: 'What situation this playbook is for.'},
    contains: {
      type: 'boolean',
      description:
        'Whether a run attempts to contain the key: it then ends with containment proven (exit 0), not proven or not ' +
        'attempted (exit 4). Default: true when a step uses containment.verify. Set false for playbooks that only look.',
    },
    inputs: {
      type: 'object',
      description: 'Values given when the playbook runs, used as `${{ inputs.<name> }}`.',
      propertyNames: identifier('input name'),
      additionalProperties: {$ref: '#/$defs/input'},
    },
    steps: {type: 'array', minItems: 1, maxItems: MAX_PLAYBOOK_STEPS, items: {$ref: '#/$defs/step'}},
  },
  $defs: {
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: {enum: ['string', 'number', 'boolean', 'object', 'array']},
        required: {type: 'boolean', default: false},
        description: {type: 'string'},
        default: {description: 'Used when the input is not given; must have the declared type.'},
      },
    },
    duration: {
      type: 'string',
      pattern: DURATION_PATTERN,
      title: 'duration like 500ms, 2s, 5m or 1h',
    },
    step: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'uses'],
      properties: {
        id: {
          ...identifier('step id'),
          description: 'Unique in the playbook; later steps use `${{ steps.<id>.outputs.<name> }}`.',
        },
        uses: {
          type: 'string',
          pattern: STEP_NAME_PATTERN,
          title: 'step name like key.inspect (<area>.<verb>)',
          description: 'The registered step to run.',
        },
        title: {type: 'string', description: 'A short line shown to the responder (defaults to the step’s own title).'},
        name: {type: 'string', description: 'Same as title.'},
        phase: {
          enum: ['assess', 'locate', 'contain', 'prove', 'communicate'],
          description: 'Where the step sits in the response (the RCA’s phases and timeline bars); default: from its `uses`.',
        },
        description: {type: 'string', description: 'Why this step exists, shown to the responder before it runs.'},
        background: {
          type: 'boolean',
          description:
            'Run beside the steps after it when nobody is asked anything (--yes): the run waits for it only before a step that reads its outputs, before a step of the communicate phase, and at its end. A guided run and a dry run take it in order.',
        },
        with: {type: 'object', description: 'The step’s input; strings may hold `${{ expressions }}`.'},
        if: {
          type: ['string', 'boolean'],
          description: 'Run the step only when this expression holds, e.g. `${{ steps.inspect.outputs.private }}`.',
        },
        confirm: {
          type: ['string', 'boolean'],
          description:
            'A question the responder must answer yes to before the step runs, or false to run it without asking (steps with side effects ask by default; read-only steps never do).',
        },
        retry: {
          type: 'object',
          additionalProperties: false,
          required: ['attempts'],
          properties: {
            attempts: {type: 'integer', minimum: 1, description: 'How many times to try in all.'},
            backoff: {$ref: '#/$defs/duration', description: 'The pause between attempts (1s when not given).'},
          },
        },
        timeout: {$ref: '#/$defs/duration'},
        onFailure: {enum: ['abort', 'continue', 'ask'], default: 'abort'},
      },
    },
  },
})
