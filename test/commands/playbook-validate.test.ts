import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {exitCodeOf, run} from '../helpers/run.js'

function writePlaybook(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'jwkr-validate-')), 'playbook.yaml')
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

const broken = [
  'apiVersion: jwkr/v1',
  'kind: Playbook',
  'name: broken',
  'inputs:',
  '  key: {type: string, required: true}',
  'steps:',
  '  - id: inspect',
  '    uses: key.inspcet',
  '    with: {key: "${{ inputs.key }}"}',
  '  - id: note',
  '    uses: core.note',
  '    retyr: {attempts: 2}',
  '    with: {text: "${{ steps.later.outputs.recorded }}"}',
  '  - id: later',
  '    uses: core.note',
  '    with: {text: 42}',
]

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

describe('jwkr playbook validate', () => {
  it('says valid and exits 0 for a good playbook', async () => {
    const file = writePlaybook([
      'apiVersion: jwkr/v1',
      'kind: Playbook',
      'name: good',
      'steps:',
      '  - {id: hello, uses: core.note, with: {text: hi}}',
    ])
    const {stdout, error} = await run(['playbook', 'validate', file])
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout.trim()).toBe(`valid: ${file} (good, 1 step)`)
  })

  it('prints every problem as file:line:column on stderr and exits 1', async () => {
    // Given a playbook with four problems
    const file = writePlaybook(broken)
    // When it is validated
    const {stdout, stderr, error} = await run(['playbook', 'validate', file])
    // Then each problem is one compiler-style line, and the exit code is 1
    expect(exitCodeOf(error)).toBe(1)
    expect(stdout).toBe('')
    const lines = stderr.trim().split('\n')
    expect(lines[0]).toMatch(
      new RegExp(
        `^${escape(file)}:8:11: unknown step 'key\\.inspcet' \\(did you mean 'key\\.inspect'\\?\\); registered steps: .*key\\.inspect`,
      ),
    )
    expect(lines.slice(1)).toEqual([
      `${file}:12:5: unknown property 'retyr' (did you mean 'retry'?)`,
      `${file}:13:23: step 'later' runs later (step 3); a step can only read outputs of earlier steps`,
      `${file}:16:18: core.note: 'text' must be a string (got 42)`,
      `4 problems in ${file}`,
    ])
  })

  it('gives {valid: false, problems} with --json, and exits 1', async () => {
    const file = writePlaybook(broken)
    const {stdout, error} = await run(['playbook', 'validate', file, '--json'])
    expect(exitCodeOf(error)).toBe(1)
    const result = JSON.parse(stdout)
    expect(result.valid).toBe(false)
    expect(result.problems).toHaveLength(4)
    expect(result.problems[1]).toEqual({
      file,
      line: 12,
      column: 5,
      path: 'steps[1].retyr',
      message: "unknown property 'retyr' (did you mean 'retry'?)",
    })
  })

  it('reports YAML syntax errors with their position', async () => {
    const file = writePlaybook(['apiVersion: jwkr/v1', 'kind: Playbook', 'name: x', 'steps:', '  - id: a', '\tuses: core.note'])
    const {stderr, error} = await run(['playbook', 'validate', file])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain(`${file}:6:1: Tabs are not allowed as indentation`)
  })

  it('validates the built-in playbooks by name', async () => {
    const {stdout, error} = await run(['playbook', 'validate', 'inspect-only', '--json'])
    expect(exitCodeOf(error)).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({valid: true, name: 'inspect-only', steps: 2, problems: []})
  })

  it('fails clearly for a file that does not exist', async () => {
    const missing = join(tmpdir(), 'jwkr-no-such-dir', 'nope.yaml')
    const {stdout, error} = await run(['playbook', 'validate', missing, '--json'])
    expect(exitCodeOf(error)).toBe(1)
    expect(JSON.parse(stdout).error).toMatchObject({code: 'ERR_PLAYBOOK_NOT_FOUND'})
  })
})
