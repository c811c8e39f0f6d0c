// key.inspect: read the leaked key and identify it. Every later step acts on its outputs.
import {loadKeySource} from '../../services/identify.js'
import {inspectKeySet} from '../../core/key/inspect-key.js'
import {defineStep} from '../define-step.js'
import {Nullable, Type, type Static} from '../step-schema.js'
import {leakedKeyInput} from './leaked-key-input.js'
import {prose} from '../../core/prose.js'

const KeyInspectInput = Type.Object({...leakedKeyInput}, {additionalProperties: false})
const KeyInspectOutput = Type.Object({
  thumbprint: Nullable(Type.String()),
  thumbprintUri: Type.Optional(Nullable(Type.String())),
  kid: Type.Optional(Nullable(Type.String())),
  kty: Type.Optional(Nullable(Type.String())),
  alg: Type.Optional(Nullable(Type.String())),
  private: Type.Boolean(),
  privateMembers: Type.Optional(Type.Array(Type.String())),
  severity: Type.Enum(['critical', 'info']),
  keys: Type.Optional(Type.Integer()),
  warnings: Type.Optional(Type.Array(Type.String())),
})
export type KeyInspectInput = Static<typeof KeyInspectInput>
export type KeyInspectOutput = Static<typeof KeyInspectOutput>

export const keyInspect = defineStep({
  id: 'key.inspect',
  title: 'Identify the leaked key',
  description: prose`
    Reads the key as it was found and computes its RFC 7638 thumbprint, the identity every later step matches on.
    Says whether private material is exposed.`,
  inputSchema: KeyInspectInput,
  outputSchema: KeyInspectOutput,
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
