// Step definitions for loader, registry and export tests: shaped like the built-in steps but
// independent of them, so these tests keep their meaning as the real steps grow.
import type {StepDefinition} from '../../src/playbook/types.js'

function fakeStep(
  id: string,
  inputSchema: Record<string, unknown>,
  outputSchema: Record<string, unknown>,
  sideEffects = false,
): StepDefinition {
  return {
    id,
    title: `Fake ${id}`,
    description: `A fake ${id} for tests.`,
    inputSchema,
    outputSchema,
    sideEffects,
    plan: () => [],
    run: async () => ({}),
  }
}

export function fakeSteps(): StepDefinition[] {
  return [
    fakeStep(
      'key.inspect',
      {
        type: 'object',
        required: ['key'],
        additionalProperties: false,
        properties: {key: {type: 'string'}, kid: {type: 'string'}},
      },
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          thumbprint: {type: 'string'},
          private: {type: 'boolean'},
          kty: {type: 'string'},
          kid: {type: 'string'},
          severity: {type: 'string'},
        },
      },
    ),
    fakeStep(
      'core.note',
      {type: 'object', required: ['text'], additionalProperties: false, properties: {text: {type: 'string'}}},
      {type: 'object', properties: {recorded: {type: 'boolean'}}},
    ),
    fakeStep(
      'core.approve',
      {type: 'object', required: ['message'], additionalProperties: false, properties: {message: {type: 'string'}}},
      {type: 'object', properties: {approved: {type: 'boolean'}}},
      true,
    ),
    fakeStep(
      'notify.flag',
      {
        type: 'object',
        additionalProperties: false,
        properties: {enabled: {type: 'boolean'}, level: {enum: ['low', 'high']}, count: {type: 'integer', minimum: 1}},
      },
      {type: 'object', properties: {sent: {type: 'boolean'}}},
      true,
    ),
  ]
}
