// key.revoke: removes the leaked key from every issuer that publishes it, adding nothing: for a key
// that no longer signs, or one already rotated out elsewhere. Same flow as key.rotate (services/key-change.ts),
// each stage once per incident.
import {planKeyChangeCalls, runKeyChange} from '../../services/key-change.js'
import {defineStep} from '../define-step.js'
import {KEY_REVOKE_SCHEMAS} from './key-rotate.js'
import {prose} from '../../core/prose.js'

export const keyRevoke = defineStep({
  id: 'key.revoke',
  title: 'Remove the key from its issuers',
  description: prose`
    Removes (or disables and deletes) the leaked key, matched by thumbprint, at every issuer that publishes it,
    without publishing a replacement. Right for a key that no longer signs; an issuer still signing with it would
    issue tokens nobody can verify, so rotate there instead. A resumed run never repeats a stage.`,
  ...KEY_REVOKE_SCHEMAS,
  sideEffects: true,
  requiresInventory: true,
  plan: (input, context) => planKeyChangeCalls('revoke', input, context),
  run: (input, context) => runKeyChange('revoke', input, context),
})
