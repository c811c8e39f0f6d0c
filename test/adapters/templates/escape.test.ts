import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {formatOfTemplate, markdownCode, mermaidText, safeUrl} from '../../../src/adapters/templates/escape.js'
import {escapeFor, escapeHtml, escapeMarkdown, escapeMrkdwn, neutralise} from '../../../src/core/escape-untrusted.js'
import {liveMarkdown} from '../../templates/markup.js'

describe('escapeMarkdown', () => {
  it('escapes every character that starts inline markup, so links, images, HTML and mentions stay text', () => {
    expect(
      escapeMarkdown('[x](javascript:alert(1)) ![i](https://e/p.png) <b>hi</b> @everyone #12 *a* _b_ ~c~ `d` a|b &amp;'),
    ).toBe(
      '\\[x\\](javascript:alert(1)) !\\[i\\](https://e/p.png) \\<b\\>hi\\</b\\> \\@everyone \\#12 \\*a\\* \\_b\\_ \\~c\\~ \\`d\\` a\\|b \\&amp;',
    )
  })

  it('keeps a value on one line and neutralises markup that only counts at the start of a line', () => {
    expect(escapeMarkdown('- item\n# heading\r\n> quote')).toBe('\\- item \\# heading \\> quote')
    expect(escapeMarkdown('1. first')).toBe('1\\. first')
    expect(escapeMarkdown('+ plus')).toBe('\\+ plus')
    expect(escapeMarkdown('=====')).toBe('\\=====')
  })

  it('leaves no live markup in any string (property)', () => {
    fc.assert(
      fc.property(fc.string({unit: fc.constantFrom(...'[]()<>!*_`~|&@#-+=\\ \nabc:/'.split(''))}), (text) => {
        expect(liveMarkdown(escapeMarkdown(text))).toEqual([])
      }),
    )
  })
})

describe('markdownCode', () => {
  it('wraps a value in a code span whose fence is longer than any backtick run inside', () => {
    expect(markdownCode('kid-2026')).toBe('`kid-2026`')
    expect(markdownCode('a`b')).toBe('``a`b``')
    expect(markdownCode('`x`')).toBe('`` `x` ``')
    expect(markdownCode('<!channel> [x](javascript:y)')).toBe('`<!channel> [x](javascript:y)`')
  })

  it('falls back to escaped prose for a value holding a pipe (it would end a table cell even in code)', () => {
    expect(markdownCode('a|b')).toBe('a\\|b')
    expect(markdownCode('')).toBe('')
  })

  it('codes a value of 300,000 backtick runs (a 600 KB kid) without overflowing the stack', () => {
    const value = '`a'.repeat(300_000)
    expect(markdownCode(value)).toBe(`\`\` ${value} \`\``)
  })
})

describe('escapeHtml, escapeMrkdwn, neutralise', () => {
  it('escapes HTML special characters, quotes included', () => {
    expect(escapeHtml(`</script><img src=x onerror="alert('1')">&`)).toBe(
      '&lt;/script&gt;&lt;img src&#x3D;x onerror&#x3D;&quot;alert(&#x27;1&#x27;)&quot;&gt;&amp;',
    )
  })

  it('escapes what Slack reads as links and mentions', () => {
    expect(escapeMrkdwn('<!channel> <https://evil|click> a&b')).toBe('&lt;!channel&gt; &lt;https://evil|click&gt; a&amp;b')
  })

  it('drops control characters and bidirectional overrides in every format, keeping tabs and line breaks', () => {
    const trojan = 'ok\u202Egnp.exe\u0007\u200B\tand\nmore'
    expect(neutralise(trojan)).toBe('okgnp.exe\tand\nmore')
    for (const format of ['md', 'html', 'txt', 'mrkdwn'] as const) {
      for (const hidden of ['\u202E', '\u0007', '\u200B']) expect(escapeFor(format, trojan)).not.toContain(hidden)
    }
  })
})

describe('mermaidText, safeUrl, formatOfTemplate', () => {
  it('keeps only harmless characters inside a Mermaid block', () => {
    expect(mermaidText('Rotate: the key; #1 <b> `x` "y"')).toBe('Rotate the key 1 b x y')
    expect(mermaidText('%%{init: {"theme":"x"}}%%')).toBe('init theme x')
    expect(mermaidText(':::')).toBe('-')
    expect(mermaidText('x'.repeat(100))).toHaveLength(80)
  })

  it('accepts only http(s) link targets, with the characters that end a Markdown destination encoded', () => {
    expect(safeUrl('javascript:alert(1)')).toBeNull()
    expect(safeUrl('data:text/html,<script>')).toBeNull()
    expect(safeUrl('not a url')).toBeNull()
    expect(safeUrl('https://github.com/o/r/pull/1')).toBe('https://github.com/o/r/pull/1')
    expect(safeUrl('https://e.com/a)b<c>"d')).toBe('https://e.com/a%29b%3Cc%3E%22d')
  })

  it('names the format by the extension before .hbs', () => {
    expect(formatOfTemplate('report/rca.md')).toBe('md')
    expect(formatOfTemplate('report/rca.html.hbs')).toBe('html')
    expect(formatOfTemplate('slack/status.mrkdwn')).toBe('mrkdwn')
    expect(formatOfTemplate('partials/exposure-window')).toBe('txt')
  })
})
