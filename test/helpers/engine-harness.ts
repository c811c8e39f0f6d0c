// Shared set-up for engine tests: a temp workspace, a playbook file, a registry with the built-in
// and test steps, and a scripted responder standing in for the terminal.
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {SecretRegistry} from '../../src/core/secrets.js'
import type {JournalEvent} from '../../src/core/journal/types.js'
import type {EngineUi, FailureAnswer, GateAnswer} from '../../src/playbook/engine.js'
import {createRegistry} from '../../src/playbook/registry.js'
import {builtinSteps} from '../../src/playbook/steps/index.js'
import {testSteps, type TestStepsOptions} from './test-steps.js'

export interface ScriptedUi extends EngineUi {
  /** Every question asked, in order. */
  asked: string[]
}

export function scriptedUi(
  script: {
    gates?: GateAnswer[]
    failures?: FailureAnswer[]
    repeats?: boolean[]
    people?: boolean[]
    /** Answers to decisions (core.approve): true goes on. */
    decisions?: boolean[]
  } = {},
  interactive = true,
): ScriptedUi {
  const gates = [...(script.gates ?? [])]
  const failures = [...(script.failures ?? [])]
  const repeats = [...(script.repeats ?? [])]
  const people = [...(script.people ?? [])]
  const decisions = [...(script.decisions ?? [])]
  const asked: string[] = []
  return {
    interactive,
    asked,
    async confirmStep(step, _definition, _plan, question) {
      asked.push(`gate ${step.id}: ${question}`)
      return gates.shift() ?? 'abort'
    },
    async decide(step, _definition, question) {
      asked.push(`decide ${step.id}: ${question}`)
      return decisions.shift() ?? false
    },
    async onFailure(step) {
      asked.push(`failure ${step.id}`)
      return failures.shift() ?? 'abort'
    },
    async confirmRepeat(step) {
      asked.push(`repeat ${step.id}`)
      return repeats.shift() ?? false
    },
    async askPerson(step, title, lines) {
      asked.push(`person ${step.id}: ${title}: ${lines.join(' / ')}`)
      return people.shift() ?? false
    },
  }
}

export async function tempHome(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'jwkr-home-'))
}

export async function writePlaybook(dir: string, body: string, name = 'test-playbook'): Promise<string> {
  const file = join(dir, `${name}.yaml`)
  await writeFile(file, `apiVersion: jwkr/v1\nkind: Playbook\nname: ${name}\ndescription: A playbook for tests.\n${body}`)
  return file
}

export function registryWith(options: TestStepsOptions = {}) {
  return createRegistry([...builtinSteps(), ...testSteps(options)])
}

export function baseOptions(home: string) {
  return {home, secrets: new SecretRegistry(), yes: false, inventoryPath: null, dryRun: false, inputs: {}}
}

export async function readJournal(home: string, id: string, drill = false): Promise<JournalEvent[]> {
  const text = await readFile(join(home, drill ? 'drills' : 'incidents', id, 'journal.jsonl'), 'utf8')
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as JournalEvent)
}
