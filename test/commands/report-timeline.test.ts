import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {CONTAINED_ID, fixtureHomeCopy, FIXTURE_NOW} from '../core/report/fixture.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

let home: string

beforeEach(async () => {
  home = await fixtureHomeCopy()
  vi.useFakeTimers({toFake: ['Date'], now: FIXTURE_NOW})
})

afterEach(() => {
  vi.useRealTimers()
})

describe('jwkr report timeline', () => {
  it('prints a Mermaid gantt of the phases and steps, the containment milestone, and every event in a table', async () => {
    const {stdout, error} = await run(['report', 'timeline', '--incident', CONTAINED_ID, '--home', home])
    expect(error).toBeUndefined()
    expect(stdout).toBe(await readFile(join(projectRoot, 'test/templates/golden', CONTAINED_ID, 'timeline.md'), 'utf8'))
    const block = /```mermaid\n([\s\S]*?)```/.exec(stdout)?.[1] ?? ''
    expect(block).toMatch(/^gantt\n/)
    expect(block).toContain(
      '    section Contain\n    Rotate the key at every issuer (rotate) :2026-03-14 09:02:24.000, 2026-03-14 09:05:40.000\n',
    )
    expect(block).toContain('    Contained :milestone, 2026-03-14 09:20:05.800, 0d\n')
    // Mermaid syntax characters never come from a value
    for (const line of block.split('\n').filter((text) => / :/.test(text))) expect(line.split(' :')[0]).not.toMatch(/[:;#]/)
  })

  it('has no HTML form', async () => {
    const {error} = await run(['report', 'timeline', '--incident', CONTAINED_ID, '--home', home, '--format', 'html'])
    expect(exitCodeOf(error)).toBe(2)
  })
})
