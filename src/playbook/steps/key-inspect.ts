// key.inspect: read the leaked key and identify it. Every later step acts on its outputs.
import {loadKeySource} from '../../services/identify.js'
import {inspectKeySet} from '../../core/key/inspect-key.js'
import {defineStep} from '../define-step.js'
import {leakedKeyInput} from './leaked-key-input.js'

export interface KeyInspectInput {
  key: string
  kid?: string
  thumbprint?: string
}

export interface KeyInspectOutput extends Record<string, unknown> {
  thumbprint: string | null
  thumbprintUri: string | null
  kid: string | null
  kty: string | null
  alg: string | null
  private: boolean
  privateMembers: string[]
  severity: string
  keys: number
  warnings: string[]
}

export const keyInspect = defineStep<KeyInspectInput, KeyInspectOutput>({
  id: 'key.inspect',
  title: 'Identify the leaked key',
  description:
    'Reads the key as it was found and computes its RFC 7638 thumbprint, the identity every later step matches on. ' +
    'Says whether private material is exposed.',
  inputSchema: {
    type: 'object',
    required: ['key'],
    additionalProperties: false,
    properties: {
      ...leakedKeyInput,
    },
  },
  outputSchema: {
    type: 'object',
    required: ['thumbprint', 'private', 'severity'],
    properties: {
      thumbprint: {type: ['string', 'null']},
      thumbprintUri: {type: ['string', 'null']},
      kid: {type: ['string', 'null']},
      kty: {type: ['string', 'null']},
      alg: {type: ['string', 'null']},
      private: {type: 'boolean'},
      privateMembers: {type: 'array', items: {type: 'string'}},
      severity: {enum: ['critical', 'info']},
      keys: {type: 'integer'},
      warnings: {type: 'array', items: {type: 'string'}},
    },
  },
  sideEffects: false,
  safeInDryRun: true,
  plan: (input) => [{kind: 'none', target: input.key, description: 'Read the key and compute its thumbprint (no network).'}],
  async run(input, context) {
    const set = await loadKeySource(input.key, {secrets: context.secrets, kid: input.kid, thumbprint: input.thumbprint})
    const result = inspectKeySet(set, input.key)
    // The leaked key is the first one that exposes private material, else the first key.
    const main = result.keys.find((key) => key.private || key.thumbprintDerivedFromSecret) ?? result.keys[0]
    return {
      thumbprint: main?.thumbprint ?? null,
      thumbprintUri: main?.thumbprintUri ?? null,
      kid: main?.kid ?? null,
      kty: main?.kty ?? null,
      alg: main?.alg ?? null,
      private: Boolean(main && (main.private || main.thumbprintDerivedFromSecret)),
      privateMembers: main?.privateMembers ?? [],
      severity: result.severity,
      keys: result.keys.length,
      warnings: [...result.warnings, ...(main?.warnings ?? [])],
    }
  },
})
