import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {stripVTControlCharacters} from 'node:util'
import pc from 'picocolors'
import {afterEach, beforeAll, describe, expect, it, vi} from 'vitest'

import {fitTable, renderMarkdown} from '../../src/cli/render-markdown.js'
import {createStyle} from '../../src/cli/style.js'
import {prepareTables} from '../../src/cli/table.js'
import {terminalOutput} from '../../src/core/escape-untrusted.js'

const plain = createStyle({isTTY: false})
/** Colour on, whatever the environment of the test says (NO_COLOR, no terminal). */
const coloured = pc.createColors(true)
const paragraph = `# Root cause\n\n${'The leaked key was published in a public repository and found by a scanner. '.repeat(4)}\n`
const lines = (text: string): string[] => stripVTControlCharacters(text).split('\n')
const longest = (text: string): number => Math.max(...lines(text).map((line) => [...line].length))
const golden = (file: string): Promise<string> => readFile(join('test/templates/golden/2026-03-14-ctrvio', file), 'utf8')

/** A drill report as `jwkr drill report` renders it: the scorecard, then the RCA (with its Mermaid chart). */
async function drillReport(): Promise<string> {
  return `${await golden('drill-scorecard.md')}\n---\n\n${await golden('rca.md')}`
}

beforeAll(prepareTables)
afterEach(() => vi.restoreAllMocks())

describe('renderMarkdown', () => {
  it('reflows to the terminal width, between 40 and 120 columns', () => {
    expect(longest(renderMarkdown(paragraph, {style: plain, width: 60}))).toBeLessThanOrEqual(60)
    expect(longest(renderMarkdown(paragraph, {style: plain, width: 10}))).toBeLessThanOrEqual(40)
    expect(longest(renderMarkdown(paragraph, {style: plain, width: 300}))).toBeLessThanOrEqual(120)
  })

  it('reads 0 columns (a terminal that does not say its width) as unknown: 100, not the 40 minimum', () => {
    const unknown = renderMarkdown(paragraph, {style: plain})
    expect(longest(unknown)).toBeGreaterThan(60)
    expect(longest(unknown)).toBeLessThanOrEqual(100)
    expect(renderMarkdown(paragraph, {style: plain, width: 0})).toBe(unknown)
  })

  for (const width of [60, 80]) {
    it(`fits a whole drill report in ${width} columns, styled in the terminal's palette, no escape code shown as text`, async () => {
      // Given a drill report (scorecard tables of 4 and 7 columns, the RCA with its Mermaid chart)
      const markdown = await drillReport()
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
      const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
      // When it is rendered for a coloured terminal, and written as the base command writes to one
      const text = terminalOutput(renderMarkdown(markdown, {style: coloured, width}), {colour: true})
      // Then no line is wider than the terminal
      const wide = lines(text).filter((line) => [...line].length > width)
      expect(wide).toEqual([])
      // And its styles are real escape codes, none shown as text (`\x1b[35m`: outside the palette)
      expect(text).not.toContain('\\x1b')
      expect(text).not.toContain('\\u001b')
      expect(text).toContain('\u001b[1mWhat a good response achieves\u001b[22m')
      // And no library warned about the Mermaid chart, which is named instead of shown as source
      expect(stderr).not.toHaveBeenCalled()
      expect(warn).not.toHaveBeenCalled()
      expect(error).not.toHaveBeenCalled()
      expect(stripVTControlCharacters(text)).toMatch(/\(A Mermaid diagram: a terminal cannot draw it;/)
      expect(text).not.toContain('gantt')
      // And every fact of the tables is still there
      expect(stripVTControlCharacters(text)).toMatch(/every service\s+contained/)
    })
  }

  it('writes no escape code at all without colour (a pipe, NO_COLOR)', async () => {
    const text = renderMarkdown(await drillReport(), {style: plain, width: 80})
    expect(text).not.toContain('\u001b')
    expect(terminalOutput(text, {colour: false})).not.toContain('\\x1b')
  })

  it('shows a link as its text and address, and a code block unhighlighted within the width', () => {
    const text = renderMarkdown(
      `See [the runbook](https://example.com/runbook).\n\n\`\`\`sh\n${'jwkr respond --key key.json '.repeat(4)}\n\`\`\`\n`,
      {style: plain, width: 60},
    )
    expect(text).toContain('See the runbook (https://example.com/runbook).')
    expect(longest(text)).toBeLessThanOrEqual(60)
    expect(text).toContain('  jwkr respond --key key.json')
  })
})

describe('a table of a document on the terminal', () => {
  const header = ['Service', 'Verifier', 'Behaviour', 'Denylist guard', 'JWKS cache (s)', 'Contained', 'After (s)']
  const rows = [
    ['billing-api', 'express-oauth2-jwt-bearer', 'stubborn-cache', 'no', '600', 'yes', '2'],
    ['orders-api', 'jose', 'normal', 'yes', '3', 'no', '—'],
  ]

  it('is laid out as a table where every column holds its longest word', () => {
    const text = fitTable(header, rows, 120, plain)
    expect(longest(text)).toBeLessThanOrEqual(120)
    expect(text.split('\n')[1]).toMatch(/^\s*billing-api\s+express-oauth2-jwt-bearer\s+stubborn-cache\s+no\s+600\s+yes\s+2$/)
  })

  it('becomes one item per row, "Header: value", where it cannot fit', () => {
    const text = fitTable(header, rows, 60, plain)
    expect(longest(text)).toBeLessThanOrEqual(60)
    expect(text).toBe(
      [
        '- Service: billing-api',
        '  Verifier: express-oauth2-jwt-bearer',
        '  Behaviour: stubborn-cache',
        '  Denylist guard: no',
        '  JWKS cache (s): 600',
        '  Contained: yes',
        '  After (s): 2',
        '- Service: orders-api',
        '  Verifier: jose',
        '  Behaviour: normal',
        '  Denylist guard: yes',
        '  JWKS cache (s): 3',
        '  Contained: no',
        '  After (s): —',
      ].join('\n'),
    )
  })
})
