// core.note: put a responder's note into the journal, where the timeline and the report find it.
import {defineStep} from '../define-step.js'
import {Type} from '../step-schema.js'

export const coreNote = defineStep({
  id: 'core.note',
  title: 'Record a note',
  description: 'Writes a note into the incident journal so that the timeline and the report carry it.',
  inputSchema: Type.Object(
    {text: Type.String({minLength: 1}), author: Type.Optional(Type.String())},
    {additionalProperties: false},
  ),
  outputSchema: Type.Object({recorded: Type.Boolean()}),
  sideEffects: false,
  safeInDryRun: false,
  plan: (input) => [{kind: 'none', target: 'journal', description: `Record the note "${input.text}".`}],
  async run(input, context) {
    await context.record('note.added', {text: input.text, author: input.author ?? 'playbook'})
    return {recorded: true}
  },
})
