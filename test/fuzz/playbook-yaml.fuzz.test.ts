// Fuzz budget, playbook YAML: playbooks with hostile step ids and inputs, expressions everywhere,
// nesting, anchors and aliases, and the built-in playbooks cut and edited. The checker answers
// with problems at a line (never a throw other than a JwkrError), within the deadline, without
// touching Object.prototype; a playbook it accepts dry-runs to an end.
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {stringify} from 'yaml'

import {SecretRegistry} from '../../src/core/secrets.js'
import {runPlaybook} from '../../src/playbook/engine.js'
import {checkPlaybook, registerPlaybookSecrets} from '../../src/playbook/load-playbook.js'
import {createRegistry} from '../../src/playbook/registry.js'
import {builtinSteps} from '../../src/playbook/steps/index.js'
import {scriptedUi} from '../helpers/engine-harness.js'
import {memoryJournal} from '../helpers/memory-journal.js'
import {projectRoot} from '../helpers/run.js'
import {budget, counted, SURFACE_TIMEOUT_MS, expectNoNeedle, hostileText, oneCase, prototypeNames} from './fuzz-kit.js'
import {expressionText, mutatedYaml, nestedValue, templateText} from './generators.js'
import {REGRESSIONS} from './regressions.js'

const registry = createRegistry(builtinSteps())
const dir = mkdtempSync(join(tmpdir(), 'jwkr-fuzz-playbook-'))
const keyFile = join(dir, 'leaked.json')
writeFileSync(keyFile, readFileSync(join(projectRoot, 'examples/leaked-signing-key.json')))

/** A private value written into a playbook (an inline JWK): the needle. */
const SECRET = 'SxPlaybookInlineSecret0123456789'
const INLINE_KEY = JSON.stringify({kty: 'oct', k: SECRET})

const stepId = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,12}$/),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'inspect'),
  hostileText,
)

const step = fc.record(
  {
    id: stepId,
    uses: fc.constantFrom('core.note', 'key.inspect', 'core.wait', 'services.locate', 'nope.step', 'Key.Inspect'),
    with: fc.oneof(
      fc.record({text: templateText}),
      fc.record({key: fc.oneof(fc.constant(keyFile), fc.constant('${{ inputs.key }}'), fc.constant(INLINE_KEY), templateText)}),
      fc.dictionary(fc.oneof(fc.string({maxLength: 8}), fc.constant('__proto__')), fc.oneof(templateText, nestedValue(100)), {
        maxKeys: 3,
      }),
    ),
    if: fc.oneof(
      expressionText,
      expressionText.map((expression) => `\${{ ${expression} }}`),
      fc.boolean(),
    ),
    confirm: templateText,
    retry: fc.record({attempts: fc.integer({min: -1, max: 3}), backoff: fc.constantFrom('1ms', '2s', 'soon')}),
    onFailure: fc.constantFrom('abort', 'continue', 'ask', 'explode'),
  },
  {requiredKeys: ['id', 'uses']},
)

const playbookObject = fc.record(
  {
    apiVersion: fc.constantFrom('jwkr/v1', 'jwkr/v2'),
    kind: fc.constant('Playbook'),
    name: fc.oneof(fc.constant('fuzz'), hostileText),
    inputs: fc.dictionary(
      fc.oneof(fc.constant('key'), fc.constant('__proto__'), fc.stringMatching(/^[a-z]{1,6}$/)),
      fc.record(
        {type: fc.constantFrom('string', 'number', 'object', 'bogus'), default: fc.jsonValue({maxDepth: 2})},
        {requiredKeys: ['type']},
      ),
      {maxKeys: 3},
    ),
    steps: fc.oneof(
      {arbitrary: fc.array(step, {minLength: 1, maxLength: 6}), weight: 60},
      {arbitrary: fc.array(step, {minLength: 1001, maxLength: 1001}), weight: 1},
    ),
  },
  {requiredKeys: ['apiVersion', 'kind', 'name', 'steps']},
)

const builtin = ['playbooks/leaked-signing-key.yaml', 'playbooks/inspect-only.yaml'].map((file) =>
  readFileSync(join(projectRoot, file), 'utf8'),
)

const playbookText = fc.oneof(
  playbookObject.map((playbook) => stringify(playbook)),
  mutatedYaml(playbookObject.map((playbook) => stringify(playbook))),
  mutatedYaml(fc.constantFrom(...builtin)),
)

describe('fuzz: playbook YAML', () => {
  it(
    'is checked to problems at a line, or dry-runs, and Object.prototype is never touched',
    {timeout: SURFACE_TIMEOUT_MS},
    async () => {
      const before = prototypeNames()
      await fc.assert(
        fc.asyncProperty(
          playbookText,
          counted('playbook YAML', async (text) => {
            const {value: check} = await oneCase('playbook YAML', () => checkPlaybook(text, 'fuzz.yaml', registry))
            expect(prototypeNames()).toEqual(before)
            // What `jwkr playbook validate` does before it prints a problem
            const secrets = new SecretRegistry()
            registerPlaybookSecrets(check?.raw, secrets)
            for (const problem of check?.problems ?? []) {
              expect(problem.line).toBeGreaterThanOrEqual(1)
              expect(problem.column).toBeGreaterThanOrEqual(1)
              expect(problem.message).not.toMatch(/Maximum call stack|\[object Object\]/)
              expectNoNeedle(secrets.redact(problem.message), [SECRET])
            }
            if (!check?.playbook) return
            await oneCase('playbook YAML', () =>
              runPlaybook({
                playbook: check.playbook!,
                registry,
                journal: memoryJournal(),
                secrets: new SecretRegistry(),
                incident: {id: 'INC-FUZZ', dir, artifactsDir: join(dir, 'artifacts'), drill: false},
                inputs: {key: keyFile},
                inventoryPath: null,
                ui: scriptedUi({}, false),
                yes: false,
                dryRun: true,
              }),
            )
            expect(prototypeNames()).toEqual(before)
          }),
        ),
        budget('playbook YAML', REGRESSIONS.playbookYaml),
      )
    },
  )
})
