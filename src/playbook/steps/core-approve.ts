// core.approve: an explicit human gate. The engine asks before every step with side effects; this
// step is one (it does nothing else), so a playbook can stop for a decision wherever it needs one.
import {defineStep} from '../define-step.js'
import {Type} from '../step-schema.js'

export const coreApprove = defineStep({
  id: 'core.approve',
  title: 'Wait for a decision',
  description: 'Stops the run until a responder approves (on a terminal), or proceeds under --yes.',
  inputSchema: Type.Object({message: Type.String({minLength: 1})}, {additionalProperties: false}),
  outputSchema: Type.Object({approved: Type.Boolean()}),
  sideEffects: true,
  decision: true,
  plan: (input) => [{kind: 'manual', target: 'responder', description: input.message}],
  run: async () => ({approved: true}),
})
