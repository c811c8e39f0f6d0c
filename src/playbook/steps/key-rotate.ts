// key.rotate: takes the leaked key out of service at every issuer that publishes it, in the order
// that keeps legitimate traffic working: publish a replacement, switch signing, remove the leaked
// key. Each stage runs through context.effect, and the replacement itself is generated once per
// incident (its private JWK in the artifacts, mode 0600), so a resumed run never makes a second key,
// provider or pull request (a key whose file was left torn, before anything published it, is made
// again). The work is
// services/key-change.ts, shared with key.revoke and tokens.invalidate.
import {planKeyChangeCalls, runKeyChange} from '../../services/key-change.js'
import {defineStep} from '../define-step.js'
import {Nullable, Type, type Static} from '../step-schema.js'
import {leakedKeyInput} from './leaked-key-input.js'
import {prose} from '../../core/prose.js'

export const KEY_INPUT_PROPERTIES = {
  ...leakedKeyInput,
  /** Issuer ids to act on (services.locate's `publishing`); null or absent: locate first. */
  issuers: Type.Optional(
    Nullable(
      Type.Array(Type.String(), {
        description: prose`
          Issuer ids to act on (e.g. steps.locate.outputs.publishing); when null or absent the step locates the key
          first.`,
      }),
    ),
  ),
  reason: Type.Optional(Type.String({description: 'Why, in one line (pull request bodies, change requests).'})),
}
const KeyRotateInput = Type.Object(
  {
    ...KEY_INPUT_PROPERTIES,
    newKid: Type.Optional(Type.String({minLength: 1, description: 'kid of the new key (default: its thumbprint).'})),
  },
  {additionalProperties: false},
)
const KeyRevokeInput = Type.Object(KEY_INPUT_PROPERTIES, {additionalProperties: false})

const ids = Type.Array(Type.String())
const nullableString = Nullable(Type.String())
const keyRefs = Type.Array(Type.Object({kid: nullableString, thumbprint: nullableString}))
/** An issuer's failure as outputs carry it (ErrorFacts), or null. */
export const ERROR_SCHEMA = Nullable(Type.Object({code: Type.String(), message: Type.String(), hint: nullableString}))
export const SKIPPED_SCHEMA = Type.Array(Type.Object({issuerId: Type.String(), reason: Type.String()}))
const IssuerResultOutput = Type.Object({
  issuerId: Type.String(),
  source: Type.String(),
  status: Type.Enum(['changed', 'unchanged', 'not-found', 'failed']),
  stages: ids,
  added: keyRefs,
  removed: keyRefs,
  signingSwitched: Nullable(Type.Boolean()),
  leakedStillListed: Type.Boolean(),
  warnings: ids,
  error: ERROR_SCHEMA,
})
const KeyChangeStepOutput = Type.Object(
  {
    thumbprint: Type.String(),
    /**
     * The new key's public facts and where its private JWK is (key.rotate only). privateKeyFile is null
     * when the issuer's webhook receiver generated the key (jwkr holds no private half); replacement is
     * null when jwkr generated none and no receiver reported one.
     */
    replacement: Nullable(
      Type.Object({
        kid: Type.String(),
        thumbprint: Type.String(),
        alg: nullableString,
        privateKeyFile: Nullable(
          Type.String({
            description: 'The 0600 file of the private JWK; null when a webhook receiver generated the key and keeps it.',
          }),
        ),
      }),
    ),
    issuers: Type.Array(IssuerResultOutput),
    /** Issuer ids changed (or found already changed). */
    changed: ids,
    /** Issuer ids where the key was not found. */
    notFound: ids,
    skipped: SKIPPED_SCHEMA,
  },
  {additionalProperties: false},
)
/** key.revoke takes the same input less newKid, so every key.revoke input is a KeyChangeStepInput. */
export type KeyChangeStepInput = Static<typeof KeyRotateInput>
export type IssuerResultOutput = Static<typeof IssuerResultOutput>
export type KeyChangeStepOutput = Static<typeof KeyChangeStepOutput>

/** The input and output schemas of key.rotate and key.revoke. */
export const KEY_ROTATE_SCHEMAS = {inputSchema: KeyRotateInput, outputSchema: KeyChangeStepOutput}
export const KEY_REVOKE_SCHEMAS = {inputSchema: KeyRevokeInput, outputSchema: KeyChangeStepOutput}

export const keyRotate = defineStep({
  id: 'key.rotate',
  title: 'Rotate the key at its issuers',
  description: prose`
    Publishes a replacement, makes the issuer sign with it where the key source can, then removes the leaked key
    (matched by thumbprint) from every issuer that publishes it, so legitimate tokens keep working and the
    attacker’s stop. File and repository sources get a key generated like the leaked one (its private JWK only in
    the incident artifacts, mode 0600); IdPs rotate with keys of their own, and a webhook receiver generates one and
    reports its public JWK. A resumed run never repeats a stage.`,
  ...KEY_ROTATE_SCHEMAS,
  sideEffects: true,
  requiresInventory: true,
  plan: (input, context) => planKeyChangeCalls('rotate', input, context),
  run: (input, context) => runKeyChange('rotate', input, context),
})
