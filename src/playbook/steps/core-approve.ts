// core.approve: an explicit human gate. The engine asks before every step with side effects; this
// step is one (it does nothing else), so a playbook can stop for a decision wherever it needs one.
import {defineStep} from '../define-step.js'

export const coreApprove = defineStep<{message: string}, {approved: boolean}>({
  id: 'core.approve',
  title: 'Wait for a decision',
  description: 'Stops the run until a responder approves (on a terminal), or proceeds under --yes.',
  inputSchema: {
    type: 'object',
    required: ['message'],
    additionalProperties: false,
    properties: {message: {type: 'string', minLength: 1}},
  },
  outputSchema: {type: 'object', required: ['approved'], properties: {approved: {type: 'boolean'}}},
  sideEffects: true,
  decision: true,
  plan: (input) => [{kind: 'manual', target: 'responder', description: input.message}],
  run: async () => ({approved: true}),
})
