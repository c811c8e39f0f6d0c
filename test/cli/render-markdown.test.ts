import {describe, expect, it} from 'vitest'

import {renderMarkdown} from '../../src/cli/render-markdown.js'
import {createStyle} from '../../src/cli/style.js'

const plain = createStyle({isTTY: false})
const paragraph = `# Root cause\n\n${'The leaked key was published in a public repository and found by a scanner. '.repeat(4)}\n`
const longest = (text: string): number => Math.max(...text.split('\n').map((line) => line.length))

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
})
