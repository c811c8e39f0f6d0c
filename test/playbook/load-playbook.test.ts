import {createHash} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {JwkrError} from '../../src/core/errors.js'
import {formatProblems} from '../../src/core/yaml/load-yaml-document.js'
import {locatePlaybook} from '../../src/playbook/builtin-playbooks.js'
import {checkPlaybook, loadPlaybook, loadPlaybookFile, parseDuration, resolvePlaybook} from '../../src/playbook/load-playbook.js'
import {createRegistry} from '../../src/playbook/registry.js'
import {fakeSteps} from './fake-steps.js'

const registry = createRegistry(fakeSteps())

/** Lines 1–9 are always the same; the lines given start at line 10. */
function playbookText(...lines: string[]): string {
  return [
    'apiVersion: jwkr/v1',
    'kind: Playbook',
    'name: test',
    'inputs:',
    '  key: {type: string, required: true}',
    'steps:',
    '  - id: inspect',
    '    uses: key.inspect',
    '    with: {key: "${{ inputs.key }}"}',
    ...lines,
    '',
  ].join('\n')
}

/** The problems of a text as `line:column: message` lines. */
function problemsOf(text: string): string[] {
  return checkPlaybook(text, 'p.yaml', registry).problems.map((p) => `${p.line}:${p.column}: ${p.message}`)
}

async function rejection(promise: Promise<unknown>): Promise<JwkrError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof JwkrError) return error
    throw error
  }
  throw new Error('expected a JwkrError')
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'jwkr-playbook-'))
}

describe('loadPlaybook: a valid playbook', () => {
  it('returns every field, with durations parsed and defaults filled in', () => {
    // Given a playbook that uses every step property
    const text = playbookText(
      '  - id: tell',
      '    uses: notify.flag',
      '    name: Tell the team',
      '    description: They need to know.',
      '    if: true',
      '    confirm: "Notify about ${{ steps.inspect.outputs.thumbprint }}?"',
      '    retry: {attempts: 3, backoff: 2s}',
      '    timeout: 1h30m',
      '    onFailure: ask',
      '    with: {enabled: "${{ steps.inspect.outputs.private }}", level: high}',
      '  - id: note',
      '    uses: core.note',
      '    retry: {attempts: 2}',
      '    with: {text: done}',
    )
    // When it is loaded
    const playbook = loadPlaybook(text, 'p.yaml', registry)
    // Then the playbook is complete and its steps are ready for the engine
    expect(playbook).toMatchObject({apiVersion: 'jwkr/v1', kind: 'Playbook', name: 'test', description: '', file: 'p.yaml', text})
    expect(playbook.digest).toBe(createHash('sha256').update(text).digest('hex'))
    expect(playbook.inputs).toEqual({key: {type: 'string', required: true}})
    expect(playbook.steps[0]).toEqual({id: 'inspect', uses: 'key.inspect', with: {key: '${{ inputs.key }}'}, onFailure: 'abort'})
    expect(playbook.steps[1]).toEqual({
      id: 'tell',
      uses: 'notify.flag',
      title: 'Tell the team',
      description: 'They need to know.',
      if: 'true',
      confirm: 'Notify about ${{ steps.inspect.outputs.thumbprint }}?',
      retry: {attempts: 3, backoff: '2s', backoffMs: 2000},
      timeout: '1h30m',
      timeoutMs: 5_400_000,
      onFailure: 'ask',
      with: {enabled: '${{ steps.inspect.outputs.private }}', level: 'high'},
    })
    expect(playbook.steps[2]?.retry).toEqual({attempts: 2, backoffMs: 1000})
  })

  it('accepts a ${{ }} string for any type of input, and a bare expression as a condition', () => {
    const text = playbookText(
      '  - id: tell',
      '    uses: notify.flag',
      "    if: steps.inspect.outputs.kty == 'RSA'",
      '    with: {enabled: "${{ steps.inspect.outputs.private }}", level: "${{ inputs.key }}", count: "${{ 1 }}"}',
    )
    expect(problemsOf(text)).toEqual([])
  })
})

describe('loadPlaybook: every problem with its line and column', () => {
  it('points a misspelt step property at its key, with the fix', () => {
    const text = playbookText('  - id: note', '    uses: core.note', '    retyr: {attempts: 2}', '    with: {text: hi}')
    expect(problemsOf(text)).toEqual(["12:5: unknown property 'retyr' (did you mean 'retry'?)"])
  })

  it('names an unknown step with the closest registered one and the whole list', () => {
    const text = playbookText('  - id: look', '    uses: key.inspcet', '    with: {key: x}')
    expect(problemsOf(text)).toEqual([
      "11:11: unknown step 'key.inspcet' (did you mean 'key.inspect'?); registered steps: core.approve, core.note, key.inspect, notify.flag",
    ])
  })

  it('reports a with value of the wrong type at the value', () => {
    const text = playbookText('  - id: tell', '    uses: notify.flag', '    with:', '      enabled: 42', '      level: urgent')
    expect(problemsOf(text)).toEqual([
      "13:16: notify.flag: 'enabled' must be true or false (got 42)",
      `14:14: notify.flag: 'level' must be one of low, high (got "urgent")`,
    ])
  })

  it('reports text around an expression given to a boolean input', () => {
    const text = playbookText('  - id: tell', '    uses: notify.flag', '    with: {enabled: "yes ${{ inputs.key }}"}')
    expect(problemsOf(text)).toEqual([`12:21: notify.flag: 'enabled' must be true or false (got "yes \${{ inputs.key }}")`])
  })

  it('reports an unknown input of a step, and a missing required one at the step', () => {
    const text = playbookText(
      '  - id: note',
      '    uses: core.note',
      '    with: {txt: hi}',
      '  - id: approve',
      '    uses: core.approve',
    )
    expect(problemsOf(text)).toEqual([
      "12:11: core.note: missing required input 'text'",
      "12:12: core.note: unknown input 'txt' (did you mean 'text'?)",
      "13:5: core.approve: missing required input 'message'",
    ])
  })

  it('points an expression that does not parse at the offending character', () => {
    const text = playbookText(
      '  - id: note',
      '    uses: core.note',
      '    with:',
      '      text: "kty ${{ steps.inspect.outputs.kty == }}"',
    )
    expect(problemsOf(text)).toEqual([
      "13:51: expression 'kty ${{ steps.inspect.outputs.kty == }}' ends where a value was expected",
    ])
  })

  it('refuses a reference to a later step, in with, if and confirm', () => {
    const text = playbookText(
      '  - id: early',
      '    uses: core.note',
      '    if: "${{ steps.late.outputs.ok }}"',
      '    confirm: "Sure about ${{ steps.late.outputs.ok }}?"',
      '    with: {text: "${{ steps.late.outputs.ok }}"}',
      '  - id: late',
      '    uses: core.note',
      '    with: {text: hi}',
    )
    const message = "step 'late' runs later (step 3); a step can only read outputs of earlier steps"
    expect(problemsOf(text)).toEqual([`12:14: ${message}`, `13:30: ${message}`, `14:23: ${message}`])
  })

  it('refuses references to unknown steps and to the step itself', () => {
    const text = playbookText(
      '  - id: note',
      '    uses: core.note',
      '    if: steps.note.outputs.recorded',
      '    with: {text: "${{ steps.inspct.outputs.kty }}"}',
    )
    expect(problemsOf(text)).toEqual([
      "12:9: step 'note' cannot read its own outputs; use an earlier step",
      "13:23: unknown step 'inspct' in steps.inspct (did you mean 'inspect'?)",
    ])
  })

  it('refuses undeclared inputs and unknown names', () => {
    const text = playbookText('  - id: note', '    uses: core.note', '    with: {text: "${{ inputs.kye }} ${{ input.key }}"}')
    expect(problemsOf(text)).toEqual([
      "12:23: undeclared input 'kye' (did you mean 'key'?); declare it under inputs:",
      "12:41: unknown name 'input' (did you mean 'inputs'?); expressions read inputs, steps, incident, now",
    ])
  })

  it('refuses an output a step does not declare, when its outputs are closed', () => {
    const text = playbookText('  - id: note', '    uses: core.note', '    with: {text: "${{ steps.inspect.outputs.thumbprnt }}"}')
    expect(problemsOf(text)).toEqual([
      "12:23: step 'inspect' (key.inspect) has no output 'thumbprnt' (did you mean 'thumbprint'?); its outputs: thumbprint, private, kty, kid, severity",
    ])
  })

  it('reports a duplicate step id at the second one, saying where the first is', () => {
    const text = playbookText('  - id: inspect', '    uses: core.note', '    with: {text: again}')
    expect(problemsOf(text)).toEqual(["10:9: duplicate step id 'inspect' (first used at line 7)"])
  })

  it('refuses text around an expression in a condition', () => {
    const text = playbookText('  - id: note', '    uses: core.note', '    if: "yes ${{ inputs.key }}"', '    with: {text: hi}')
    expect(problemsOf(text)).toEqual([
      "12:10: expression 'yes ${{ inputs.key }}' must be a single ${{ expression }} (or a bare expression), not text around expressions",
    ])
  })

  it('checks an input default against the declared type', () => {
    const text = playbookText().replace('  key: {type: string, required: true}', '  key: {type: string, default: 3}')
    expect(problemsOf(text)).toEqual(["5:32: the default of input 'key' must be a string (got number)"])
  })

  it('reports schema problems of the playbook itself: bad name, version, onFailure and durations', () => {
    const text = playbookText(
      '  - id: note',
      '    uses: core.note',
      '    onFailure: retry',
      '    timeout: 5 minutes',
      '    with: {text: hi}',
    )
      .replace('apiVersion: jwkr/v1', 'apiVersion: jwkr/v2')
      .replace('name: test', 'name: Test_Playbook')
    expect(problemsOf(text)).toEqual([
      `1:13: 'apiVersion' must be "jwkr/v1" (got "jwkr/v2")`,
      `3:7: 'name' must be a kebab-case name like leaked-signing-key (got "Test_Playbook")`,
      `12:16: 'onFailure' must be one of abort, continue, ask (got "retry")`,
      `13:14: 'timeout' must be a duration like 500ms, 2s, 5m or 1h (got "5 minutes")`,
    ])
  })

  it('reports every problem of one bad file at once, in file order', () => {
    // Given one file with a typo, an unknown step, a wrong type, a forward reference, a duplicate id and a bad expression
    const text = [
      'apiVersion: jwkr/v1',
      'kind: Playbook',
      'name: broken',
      'inputs:',
      '  key: {type: string, required: true}',
      'steps:',
      '  - id: inspect',
      '    uses: key.inspcet',
      '    with: {key: "${{ inputs.key }}"}',
      '  - id: tell',
      '    uses: notify.flag',
      '    retyr: {attempts: 3}',
      '    with:',
      '      enabled: "yes please"',
      '  - id: gate',
      '    uses: core.approve',
      '    if: "${{ steps.later.outputs.ok }}"',
      '    with: {message: "Go?"}',
      '  - id: tell',
      '    uses: core.note',
      '    with:',
      '      text: "${{ steps.inspect.outputs.kty == }}"',
      '  - id: later',
      '    uses: core.note',
      '    with: {text: done}',
      '',
    ].join('\n')
    // When it is loaded
    let error: JwkrError | undefined
    try {
      loadPlaybook(text, 'broken.yaml', registry)
    } catch (caught) {
      error = caught as JwkrError
    }
    // Then one error lists them all, each with file:line:column
    expect(error?.code).toBe('ERR_PLAYBOOK_INVALID')
    const lines = [
      "broken.yaml:8:11: unknown step 'key.inspcet' (did you mean 'key.inspect'?); registered steps: core.approve, core.note, key.inspect, notify.flag",
      "broken.yaml:12:5: unknown property 'retyr' (did you mean 'retry'?)",
      `broken.yaml:14:16: notify.flag: 'enabled' must be true or false (got "yes please")`,
      "broken.yaml:17:14: step 'later' runs later (step 5); a step can only read outputs of earlier steps",
      "broken.yaml:19:9: duplicate step id 'tell' (first used at line 10)",
      "broken.yaml:22:47: expression '${{ steps.inspect.outputs.kty == }}' ends where a value was expected",
    ]
    expect(formatProblems(error?.details?.problems as never)).toBe(lines.join('\n'))
    expect(error?.message).toBe(`The playbook broken.yaml has 6 problems:\n${lines.join('\n')}`)
    expect(error?.hint).toContain('jwkr playbook validate')
  })

  it('reports YAML syntax errors with their position and nothing else', () => {
    const text = playbookText('  - id: note', '    uses: core.note', '    with: {text: [hi}')
    expect(problemsOf(text)).toEqual([
      '12:21: Flow sequence in block collection must be sufficiently indented and end with a ]',
      '12:22: Flow map in block collection must be sufficiently indented and end with a }',
    ])
    expect(checkPlaybook(text, 'p.yaml', registry).raw).toBeUndefined()
  })
})

describe('parseDuration', () => {
  it('reads milliseconds, seconds, minutes, hours and sums of them', () => {
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('2s')).toBe(2000)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('1h')).toBe(3_600_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('0s')).toBe(0)
  })

  it('refuses anything else with a hint', () => {
    for (const text of ['', '2', '2 s', '1.5s', '-1s', '2d', 'ms']) {
      let error: unknown
      try {
        parseDuration(text)
      } catch (caught) {
        error = caught
      }
      expect(error, text).toBeInstanceOf(JwkrError)
      expect((error as JwkrError).hint).toContain('500ms')
    }
  })
})

describe('finding playbooks', () => {
  it('loads a playbook file, reporting problems with the path as given', async () => {
    // Given a playbook file with a problem
    const dir = tempDir()
    const file = join(dir, 'mine.yaml')
    writeFileSync(file, playbookText('  - id: x', '    uses: core.nope'))
    // When it is loaded
    const error = await rejection(loadPlaybookFile(file, registry))
    // Then the problem carries the file path
    expect(error.code).toBe('ERR_PLAYBOOK_INVALID')
    expect(error.message).toContain(`${file}:11:11: unknown step 'core.nope' (did you mean 'core.note'?)`)
  })

  it('resolves a built-in name from the package and a path from anywhere', async () => {
    // Given a playbook file outside the package
    const dir = tempDir()
    const file = join(dir, 'custom.yaml')
    writeFileSync(file, playbookText())
    // When a built-in name and the path are resolved
    const builtin = await resolvePlaybook('inspect-only', registry)
    const custom = await resolvePlaybook(file, registry)
    // Then both load
    expect(builtin.name).toBe('inspect-only')
    expect(builtin.file).toMatch(/playbooks[\\/]inspect-only\.yaml$/)
    expect(custom.file).toBe(file)
  })

  it('names the built-in playbooks and the closest one for an unknown name', async () => {
    // Given a folder of built-in playbooks
    const dir = tempDir()
    writeFileSync(join(dir, 'leaked-signing-key.yaml'), '')
    writeFileSync(join(dir, 'inspect-only.yml'), '')
    writeFileSync(join(dir, 'README.md'), '')
    // When an unknown name is located
    let error: JwkrError | undefined
    try {
      locatePlaybook('leaked-signing-kye', dir)
    } catch (caught) {
      error = caught as JwkrError
    }
    // Then the error suggests the close one and lists them all
    expect(error?.code).toBe('ERR_PLAYBOOK_NOT_FOUND')
    expect(error?.message).toBe(
      "No built-in playbook named 'leaked-signing-kye' (did you mean 'leaked-signing-key'?); built-in playbooks: inspect-only, leaked-signing-key.",
    )
    expect(locatePlaybook('inspect-only', dir)).toEqual({file: join(dir, 'inspect-only.yml'), builtin: true})
  })

  it('says a missing playbook file is missing', async () => {
    const missing = join(tempDir(), 'nope.yaml')
    const error = await rejection(resolvePlaybook(missing, registry))
    expect(error.code).toBe('ERR_PLAYBOOK_NOT_FOUND')
    expect(error.message).toBe(`No playbook file at ${missing}.`)
  })
})
