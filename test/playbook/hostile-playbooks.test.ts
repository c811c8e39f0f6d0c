// Playbooks written to break the checker or the engine: a step named __proto__, a YAML alias inside
// the node it names, nesting thousands of levels deep, an alias bomb, thousands of steps. Each is
// refused with a problem at its line (never a stack), or runs in linear time.
import {performance} from 'node:perf_hooks'

import {describe, expect, it} from 'vitest'

import {foldIncident} from '../../src/core/journal/state.js'
import type {JournalEvent} from '../../src/core/journal/types.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {runPlaybook} from '../../src/playbook/engine.js'
import {checkPlaybook, loadPlaybook} from '../../src/playbook/load-playbook.js'
import {MAX_PLAYBOOK_STEPS} from '../../src/playbook/playbook-schema.js'
import {exitCodeOf, run} from '../helpers/run.js'
import {registryWith, scriptedUi, tempHome, writePlaybook} from '../helpers/engine-harness.js'
import {memoryJournal} from '../helpers/memory-journal.js'

const registry = registryWith()
const HEAD = 'apiVersion: jwkr/v1\nkind: Playbook\nname: hostile\n'

function problemsOf(text: string): string[] {
  return checkPlaybook(text, 'p.yaml', registry).problems.map((p) => `${p.line}:${p.column}: ${p.message}`)
}

function notes(count: number): string {
  return Array.from({length: count}, (_, i) => `  - id: s${i}\n    uses: core.note\n    with: {text: "step ${i}"}\n`).join('')
}

describe('a step or input named like a property of every JavaScript object', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('refuses the step id %s at its line', (id) => {
    // Given a playbook whose first step is named so, and a later step that reads it
    const text = `${HEAD}steps:\n  - id: ${id}\n    uses: core.note\n    with: {text: hi}\n  - id: b\n    uses: core.note\n    with: {text: "\${{ steps.${id}.outputs }}"}\n`
    // Then the id is refused where it is written, saying which names are reserved
    expect(problemsOf(text)).toContainEqual(expect.stringMatching(new RegExp(`^5:9: 'id' must be a step id .*not __proto__`)))
  })

  it('refuses an input named __proto__', () => {
    const text = `${HEAD}inputs:\n  __proto__: {type: string}\nsteps:\n  - id: a\n    uses: core.note\n    with: {text: hi}\n`
    expect(problemsOf(text)).toEqual([expect.stringMatching(/^5:3: '__proto__' is not a valid name/)])
  })

  it('folds a journal that names a step __proto__ without touching Object.prototype', () => {
    // Given a journal written by a playbook from before the check, with a step named __proto__
    const event = (seq: number, type: string, data: Record<string, unknown>): JournalEvent =>
      ({seq, ts: '2024-05-01T00:00:00.000Z', type, data, prev: '', hash: ''}) as JournalEvent
    const events = [
      event(1, 'step.started', {step: '__proto__', uses: 'core.note', attempt: 1, input: {}}),
      event(2, 'step.succeeded', {step: '__proto__', outputs: {polluted: true}}),
      event(3, 'effect.intent', {step: '__proto__', key: '__proto__', description: 'x'}),
    ]
    // When it is folded
    const state = foldIncident(events)
    // Then the step and the effect are recorded under their names, and no other object gained a property
    expect(state.steps['__proto__']).toMatchObject({status: 'succeeded', outputs: {polluted: true}})
    expect(state.effects['__proto__']).toMatchObject({status: 'intent'})
    expect(({} as Record<string, unknown>).status).toBeUndefined()
    expect(({} as Record<string, unknown>).outputs).toBeUndefined()
  })
})

describe('YAML that nests or refers to itself', () => {
  it('refuses an alias inside the node it names', () => {
    expect(problemsOf(`${HEAD}steps: &a\n  - *a\n`)).toEqual([
      '5:5: the document contains itself (an alias inside the node it names)',
    ])
    expect(problemsOf(`${HEAD}steps:\n  - id: a\n    uses: core.note\n    with: &w {text: hi, again: *w}\n`)).toEqual([
      expect.stringMatching(/^7:\d+: the document contains itself/),
    ])
  })

  it('refuses an alias bomb', () => {
    // Given aliases that expand ten-fold at each of six levels
    const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
    for (let i = 1; i <= 6; i++)
      levels.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      )
    const text = `${HEAD}${levels.map((line) => `# ${line}`).join('\n')}\nx-bomb:\n${levels.map((line) => `  ${line}`).join('\n')}\nsteps: [{id: a, uses: core.note, with: {text: hi}}]\n`
    expect(problemsOf(text)).toEqual([expect.stringMatching(/expands aliases more than 100 times/)])
  })

  it.each([
    ['flow lists 100 deep', (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`, 100],
    ['flow lists 3,000 deep', (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`, 3000],
    ['flow mappings 20,000 deep', (n: number) => `${'{a: '.repeat(n)}1${'}'.repeat(n)}`, 20_000],
  ])('refuses %s with one problem', (_, nest, depth) => {
    const text = `${HEAD}steps:\n  - id: a\n    uses: core.note\n    with: {text: ${nest(depth)}}\n`
    expect(problemsOf(text)).toEqual([
      expect.stringMatching(/^7:\d+: the document nests lists and mappings more than 64 levels deep$/),
    ])
  })

  it('refuses block mappings 2,000 deep', () => {
    const nested = Array.from({length: 2000}, (_, i) => `${'  '.repeat(i + 3)}a:`).join('\n')
    const problems = problemsOf(`${HEAD}steps:\n  - id: a\n    uses: core.note\n    with:\n${nested}\n`)
    expect(problems).toEqual([expect.stringMatching(/the document nests lists and mappings more than 64 levels deep$/)])
  })

  it('ends `jwkr playbook validate` of a self-alias with exit 1 and no stack', async () => {
    const home = await tempHome()
    const file = await writePlaybook(home, 'steps: &a\n  - *a\n')
    const {stderr, error} = await run(['playbook', 'validate', file])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain('the document contains itself')
    expect(stderr).not.toMatch(/Unexpected error|\n\s+at /)
  })
})

describe('a playbook of thousands of steps', () => {
  it(`refuses more than ${MAX_PLAYBOOK_STEPS} steps, quickly`, () => {
    const started = performance.now()
    expect(problemsOf(`${HEAD}steps:\n${notes(5000)}`)).toEqual([
      `5:3: 'steps' holds more than ${MAX_PLAYBOOK_STEPS} items, the most jwkr accepts`,
    ])
    expect(performance.now() - started).toBeLessThan(5000)
  })

  it(
    `dry-runs ${MAX_PLAYBOOK_STEPS} steps reading each journal event a bounded number of times`,
    {timeout: 120_000},
    async () => {
      // Given the most steps allowed, run on a journal in memory that counts how often an event is read
      const journal = memoryJournal()
      const playbook = loadPlaybook(`${HEAD}steps:\n${notes(MAX_PLAYBOOK_STEPS)}`, 'p.yaml', registry)
      // When it is dry-run
      const result = await runPlaybook({
        playbook,
        registry,
        journal,
        secrets: new SecretRegistry(),
        incident: {id: 'INC-1', dir: '/nonexistent', artifactsDir: '/nonexistent', drill: false},
        inputs: {},
        inventoryPath: null,
        ui: scriptedUi({}, false),
        yes: false,
        dryRun: true,
      })
      // Then every step is planned, and each event was read a few times, not once per later step
      // (folding the whole journal again after each event read them about a million times in all)
      expect(result.steps.filter((step) => step.status === 'planned')).toHaveLength(MAX_PLAYBOOK_STEPS)
      expect(journal.reads() / journal.events().length).toBeLessThan(10)
    },
  )
})
