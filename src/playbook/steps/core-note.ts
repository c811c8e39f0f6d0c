// core.note: put a responder's note into the journal, where the timeline and the report find it.
import {defineStep} from '../define-step.js'

export const coreNote = defineStep<{text: string; author?: string}, {recorded: boolean}>({
  id: 'core.note',
  title: 'Record a note',
  description: 'Writes a note into the incident journal so that the timeline and the report carry it.',
  inputSchema: {
    type: 'object',
    required: ['text'],
    additionalProperties: false,
    properties: {text: {type: 'string', minLength: 1}, author: {type: 'string'}},
  },
  outputSchema: {type: 'object', required: ['recorded'], properties: {recorded: {type: 'boolean'}}},
  sideEffects: false,
  safeInDryRun: false,
  plan: (input) => [{kind: 'none', target: 'journal', description: `Record the note "${input.text}".`}],
  async run(input, context) {
    await context.record('note.added', {text: input.text, author: input.author ?? 'playbook'})
    return {recorded: true}
  },
})
