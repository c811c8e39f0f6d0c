// Colour only on a terminal, and never with NO_COLOR (ARCHITECTURE.md, Output and exit codes).
import {beforeAll, describe, expect, it} from 'vitest'

import {colorEnabled, createStyle, fitWidth, prepareFitWidth} from '../../src/cli/style.js'

describe('colorEnabled', () => {
  it('is on for a terminal, off for a pipe', () => {
    expect(colorEnabled({isTTY: true}, {})).toBe(true)
    expect(colorEnabled({isTTY: false}, {})).toBe(false)
    expect(colorEnabled({}, {})).toBe(false)
  })

  it('is off with NO_COLOR, even on a terminal', () => {
    expect(colorEnabled({isTTY: true}, {NO_COLOR: '1'})).toBe(false)
  })

  it('is on with FORCE_COLOR, unless it is 0', () => {
    expect(colorEnabled({isTTY: false}, {FORCE_COLOR: '1'})).toBe(true)
    expect(colorEnabled({isTTY: false}, {FORCE_COLOR: '0'})).toBe(false)
  })
})

describe('createStyle', () => {
  it('gives plain text for a pipe (NO_COLOR is set for the tests)', () => {
    expect(createStyle({isTTY: true}).red('x')).toBe('x')
  })
})

describe('fitWidth', () => {
  const prose = `${'word '.repeat(30).trim()}`
  beforeAll(() => prepareFitWidth({isTTY: true, columns: 40}))

  it('wraps a line to the terminal at word boundaries, keeping its indent on the lines it wraps into', () => {
    const text = fitWidth(`  ${prose}\nshort`, {isTTY: true, columns: 40})
    const lines = text.split('\n')
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(40)
    expect(lines.slice(0, -1).every((line) => /^ {2}word( word)*$/.test(line))).toBe(true)
    expect(lines.at(-1)).toBe('short')
  })

  it('leaves piped text and a terminal of unknown width alone', () => {
    expect(fitWidth(prose, {isTTY: false, columns: 40})).toBe(prose)
    expect(fitWidth(prose, {isTTY: true})).toBe(prose)
  })
})
