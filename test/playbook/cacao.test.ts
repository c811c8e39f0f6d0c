import {describe, expect, it} from 'vitest'

import {toCacao, uuidV5, type CacaoPlaybook, type CacaoStep} from '../../src/playbook/cacao.js'
import {loadPlaybook} from '../../src/playbook/load-playbook.js'
import {createRegistry} from '../../src/playbook/registry.js'
import {fakeSteps} from './fake-steps.js'

const registry = createRegistry(fakeSteps())
const now = new Date('2026-11-29T10:00:00.123Z')

const text = `apiVersion: jwkr/v1
kind: Playbook
name: cacao-test
description: Every shape the exporter knows.
inputs:
  key: {type: string, required: true, description: The leaked key}
  level: {type: string, default: high}
steps:
  - id: inspect
    uses: key.inspect
    timeout: 30s
    with: {key: "\${{ inputs.key }}"}
  - id: maybe
    uses: notify.flag
    if: "\${{ steps.inspect.outputs.private }}"
    onFailure: continue
    with: {level: "\${{ inputs.level }}"}
  - id: approve
    uses: core.approve
    with: {message: "Rotate it?"}
  - id: tell
    uses: notify.flag
    title: Tell everyone
    confirm: "Tell everyone about \${{ steps.inspect.outputs.thumbprint }}?"
    onFailure: continue
    with: {enabled: true}
  - id: record
    uses: core.note
    title: Record the outcome
    with: {text: "it's done"}
`

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'
// CACAO 2.0 §3.1: the properties a playbook MUST have.
const REQUIRED = ['type', 'spec_version', 'id', 'name', 'created_by', 'created', 'modified', 'workflow_start', 'workflow']
// CACAO 2.0 §10.16 timestamp, to the millisecond as §3.1 asks for created/modified.
const TIMESTAMP = /^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/

function exported(): CacaoPlaybook {
  return toCacao(loadPlaybook(text, 'cacao-test.yaml', registry), registry, {now})
}

function links(step: CacaoStep): string[] {
  return [step.on_completion, step.on_success, step.on_failure, step.on_true].filter((id): id is string => id !== undefined)
}

function actionNamed(doc: CacaoPlaybook, name: string): [string, CacaoStep] {
  const entry = Object.entries(doc.workflow).find(([, step]) => step.type === 'action' && step.name === name)
  if (!entry) throw new Error(`no action named ${name}`)
  return entry
}

describe('toCacao', () => {
  it('has every property CACAO 2.0 requires, with well-formed ids and timestamps', () => {
    // Given a playbook exported to CACAO
    const doc = exported()
    // Then the required properties are there and well-formed
    for (const property of REQUIRED) expect(doc, property).toHaveProperty(property)
    expect(doc.type).toBe('playbook')
    expect(doc.spec_version).toBe('cacao-2.0')
    expect(doc.id).toMatch(new RegExp(`^playbook--${UUID}$`))
    expect(doc.created_by).toMatch(new RegExp(`^identity--${UUID}$`))
    expect(doc.created).toMatch(TIMESTAMP)
    expect(doc.created).toBe('2026-11-29T10:00:00.123Z')
    expect(doc.modified).toBe(doc.created)
    expect(doc.name).toBe('cacao-test')
    expect(doc.description).toBe('Every shape the exporter knows.')
  })

  it('uses only start, action, end and if-condition steps, each id prefixed by its type', () => {
    const doc = exported()
    const types = new Set<string>()
    for (const [id, step] of Object.entries(doc.workflow)) {
      expect(id).toMatch(new RegExp(`^${step.type}--${UUID}$`))
      types.add(step.type)
    }
    expect([...types].sort()).toEqual(['action', 'end', 'if-condition', 'start'])
    expect(Object.values(doc.workflow).filter((step) => step.type === 'start')).toHaveLength(1)
    expect(doc.workflow[doc.workflow_start]?.type).toBe('start')
  })

  it('links only to steps that exist, reaches every step from the start, and names a defined agent', () => {
    // Given the exported workflow
    const doc = exported()
    // When it is walked from workflow_start
    const seen = new Set<string>()
    const queue = [doc.workflow_start]
    while (queue.length > 0) {
      const id = queue.shift()!
      if (seen.has(id)) continue
      seen.add(id)
      const step = doc.workflow[id]
      expect(step, `${id} is referenced but missing`).toBeDefined()
      queue.push(...links(step!))
    }
    // Then every step was reached, and every action's agent is defined
    expect([...seen].sort()).toEqual(Object.keys(doc.workflow).sort())
    for (const step of Object.values(doc.workflow)) {
      if (step.type === 'action') expect(doc.agent_definitions).toHaveProperty(step.agent!)
    }
  })

  it('follows the CACAO rules for each step type', () => {
    for (const step of Object.values(exported().workflow)) {
      if (step.type === 'start') {
        expect(step.on_completion).toBeDefined()
        expect(step.on_success ?? step.on_failure).toBeUndefined()
      } else if (step.type === 'end') {
        expect(links(step)).toEqual([])
      } else if (step.type === 'action') {
        expect(step.commands!.length).toBeGreaterThan(0)
        expect(step.on_success).toBeDefined()
        expect(step.on_completion).toBeUndefined()
      } else {
        expect(step.condition).toBeTruthy()
        expect(step.on_true).toBeDefined()
        expect(step.on_completion).toBeDefined()
      }
    }
  })

  it('turns a step with if into an if-condition whose branch ends in its own end step', () => {
    // Given the step 'maybe', which runs only if the key is private
    const doc = exported()
    const [conditionId, condition] = Object.entries(doc.workflow).find(([, step]) => step.type === 'if-condition')!
    const branch = doc.workflow[condition.on_true!]!
    // Then the condition is the expression, the branch is the action and it ends in a branch end step
    expect(condition.condition).toBe('steps.inspect.outputs.private')
    expect(branch).toMatchObject({type: 'action', name: 'Fake notify.flag'})
    const branchEnd = doc.workflow[branch.on_success!]!
    expect(branchEnd.type).toBe('end')
    expect(branch.on_failure).toBe(branch.on_success) // onFailure: continue
    // And after the branch, the workflow continues with the next step
    const [approveId] = actionNamed(doc, 'Fake core.approve')
    expect(condition.on_completion).toBe(approveId)
    expect(doc.workflow[actionNamed(doc, 'Fake key.inspect')[1].on_success!]).toBe(doc.workflow[conditionId])
  })

  it('sends a failure to the end for abort and to the next step for continue', () => {
    const doc = exported()
    const finalEnd = Object.entries(doc.workflow).find(([, step]) => step.type === 'end' && step.name === 'End')![0]
    const [, approve] = actionNamed(doc, 'Fake core.approve')
    const [tellId, tell] = actionNamed(doc, 'Tell everyone')
    const [recordId, record] = actionNamed(doc, 'Record the outcome')
    expect(approve.on_success).toBe(tellId)
    expect(approve.on_failure).toBe(finalEnd)
    expect(tell.on_success).toBe(recordId)
    expect(tell.on_failure).toBe(recordId)
    expect(record.on_success).toBe(finalEnd)
    expect(record.on_failure).toBe(finalEnd)
  })

  it('gives approvals and confirmations a manual command, and jwkr steps a bash command', () => {
    const doc = exported()
    expect(actionNamed(doc, 'Fake core.approve')[1].commands).toEqual([
      {type: 'manual', command: 'A fake core.approve for tests.', description: 'An explicit human approval.'},
    ])
    const tell = actionNamed(doc, 'Tell everyone')[1]
    expect(tell.commands?.map((command) => command.type)).toEqual(['manual', 'bash'])
    expect(tell.commands?.[0]?.command).toBe('Tell everyone about ${{ steps.inspect.outputs.thumbprint }}?')
    const [inspectCommand] = actionNamed(doc, 'Fake key.inspect')[1].commands!
    expect(inspectCommand).toMatchObject({type: 'bash', command: `jwkr step run key.inspect --with '{"key":"__key__:value"}'`})
    expect(actionNamed(doc, 'Record the outcome')[1].commands?.[0]?.command).toBe(
      `jwkr step run core.note --with '{"text":"it'\\''s done"}'`,
    )
    expect(actionNamed(doc, 'Fake key.inspect')[1].timeout).toBe(30_000)
  })

  it('declares the inputs as external playbook variables', () => {
    expect(exported().playbook_variables).toEqual({
      __key__: {type: 'string', description: 'The leaked key', external: true},
      __level__: {type: 'string', value: 'high', external: true},
    })
  })

  it('lists playbook types with activities, each reflected in a command', () => {
    const doc = exported()
    expect(doc.playbook_types).toEqual(['investigation', 'notification'])
    expect(doc.playbook_activities).toEqual(['analyze-collected-data', 'deliver-content'])
    const used = Object.values(doc.workflow).flatMap((step) => (step.commands ?? []).map((command) => command.playbook_activity))
    for (const activity of doc.playbook_activities!) expect(used).toContain(activity)
  })

  it('exports the same playbook to the same document, apart from the time', () => {
    const playbook = loadPlaybook(text, 'cacao-test.yaml', registry)
    const first = toCacao(playbook, registry, {now})
    const later = toCacao(playbook, registry, {now: new Date('2027-01-01T00:00:00.000Z')})
    expect({...later, created: first.created, modified: first.modified}).toEqual(first)
    expect(toCacao(playbook, registry, {now, id: 'playbook--00000000-0000-4000-8000-000000000000'}).id).toBe(
      'playbook--00000000-0000-4000-8000-000000000000',
    )
    expect(() => toCacao(playbook, registry, {now, id: 'not-an-id'})).toThrow(/not a CACAO playbook id/)
  })

  it('derives the playbook id as CACAO §10.10 says: UUIDv5 of name and types in its namespace', () => {
    // RFC 4122 test value: uuid5(DNS namespace, 'www.example.com')
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2')
    const id = uuidV5(
      'aa7caf3a-d55a-4e9a-b34e-056215fba56a',
      '{"name":"cacao-test","playbook_types":["investigation","notification"]}',
    )
    expect(exported().id).toBe(`playbook--${id}`)
  })
})
