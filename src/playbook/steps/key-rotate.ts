// key.rotate: takes the leaked key out of service at every issuer that publishes it, in the order
// that keeps legitimate traffic working: publish a replacement, switch signing, remove the leaked
// key. Each stage runs through context.effect, and the replacement itself is generated once per
// incident (its private JWK in the artifacts, mode 0600), so a resumed run never makes a second key,
// provider or pull request (a key whose file was left torn, before anything published it, is made
// again). The work is services/key-change.ts, shared with key.revoke and tokens.invalidate.
import {planKeyChangeCalls, runKeyChange, type KeyChangeRequest, type KeyChangeResult} from '../../services/key-change.js'
import type {KeyOperation} from '../../services/contain-key.js'
import {defineStep} from '../define-step.js'
import {leakedKeyInput} from './leaked-key-input.js'
import type {JsonSchema} from '../types.js'

/** The step's input and output are the key-change service's request and result. */
export type KeyChangeStepInput = KeyChangeRequest
export type KeyChangeStepOutput = KeyChangeResult

const ids = {type: 'array', items: {type: 'string'}}
const nullableString = {type: ['string', 'null']}
const keyRefs = {
  type: 'array',
  items: {type: 'object', required: ['kid', 'thumbprint'], properties: {kid: nullableString, thumbprint: nullableString}},
}
export const ERROR_SCHEMA: JsonSchema = {
  type: ['object', 'null'],
  required: ['code', 'message', 'hint'],
  properties: {code: {type: 'string'}, message: {type: 'string'}, hint: nullableString},
}
export const SKIPPED_SCHEMA: JsonSchema = {
  type: 'array',
  items: {type: 'object', required: ['issuerId', 'reason'], properties: {issuerId: {type: 'string'}, reason: {type: 'string'}}},
}

/** The inputs shared by the three containment steps. */
export const KEY_INPUT_PROPERTIES: Record<string, JsonSchema> = {
  ...leakedKeyInput,
  issuers: {
    type: ['array', 'null'],
    items: {type: 'string'},
    description:
      'Issuer ids to act on (e.g. steps.locate.outputs.publishing); when null or absent the step locates the key first.',
  },
  reason: {type: 'string', description: 'Why, in one line (pull request bodies, change requests).'},
}

export function keyChangeSchemas(operation: KeyOperation): {inputSchema: JsonSchema; outputSchema: JsonSchema} {
  return {
    inputSchema: {
      type: 'object',
      required: ['key'],
      additionalProperties: false,
      properties: {
        ...KEY_INPUT_PROPERTIES,
        ...(operation === 'rotate'
          ? {newKid: {type: 'string', minLength: 1, description: 'kid of the new key (default: its thumbprint).'}}
          : {}),
      },
    },
    outputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['thumbprint', 'replacement', 'issuers', 'changed', 'notFound', 'skipped'],
      properties: {
        thumbprint: {type: 'string'},
        replacement: {
          type: ['object', 'null'],
          required: ['kid', 'thumbprint', 'alg', 'privateKeyFile'],
          properties: {
            kid: {type: 'string'},
            thumbprint: {type: 'string'},
            alg: nullableString,
            privateKeyFile: {
              ...nullableString,
              description: 'The 0600 file of the private JWK; null when a webhook receiver generated the key and keeps it.',
            },
          },
        },
        issuers: {
          type: 'array',
          items: {
            type: 'object',
            required: [
              'issuerId',
              'source',
              'status',
              'stages',
              'added',
              'removed',
              'signingSwitched',
              'leakedStillListed',
              'warnings',
              'error',
            ],
            properties: {
              issuerId: {type: 'string'},
              source: {type: 'string'},
              status: {enum: ['changed', 'unchanged', 'not-found', 'failed']},
              stages: ids,
              added: keyRefs,
              removed: keyRefs,
              signingSwitched: {type: ['boolean', 'null']},
              leakedStillListed: {type: 'boolean'},
              warnings: ids,
              error: ERROR_SCHEMA,
            },
          },
        },
        changed: ids,
        notFound: ids,
        skipped: SKIPPED_SCHEMA,
      },
    },
  }
}

export const keyRotate = defineStep<KeyChangeStepInput, KeyChangeStepOutput>({
  id: 'key.rotate',
  title: 'Rotate the key at its issuers',
  description:
    'Publishes a replacement, makes the issuer sign with it where the key source can, then removes the leaked key (matched ' +
    'by thumbprint) from every issuer that publishes it, so legitimate tokens keep working and the attacker’s stop. File ' +
    'and repository sources get a key generated like the leaked one (its private JWK only in the incident artifacts, mode ' +
    '0600); IdPs rotate with keys of their own, and a webhook receiver generates one and reports its public JWK. A ' +
    'resumed run never repeats a stage.',
  ...keyChangeSchemas('rotate'),
  sideEffects: true,
  requiresInventory: true,
  plan: (input, context) => planKeyChangeCalls('rotate', input, context),
  run: (input, context) => runKeyChange('rotate', input, context),
})
