import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {escapeMrkdwn} from '../../../src/core/escape-untrusted.js'
import {MAX_VALUE_LENGTH, mrkdwnCode, mrkdwnCodeBlock, mrkdwnText} from '../../../src/core/notify/mrkdwn.js'

/** What Slack shows for escaped text: the three entities decoded, `&amp;` last. */
function shown(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}

describe('escapeMrkdwn (Slack formatting reference, "Escaping text")', () => {
  it('turns mentions and links into text that shows as written', () => {
    // Given values Slack would act on: a broadcast mention, a disguised link, a user mention
    // When they are escaped
    // Then no control sequence is left, and Slack would show the original characters
    expect(escapeMrkdwn('<!channel>')).toBe('&lt;!channel&gt;')
    expect(escapeMrkdwn('<https://evil|click>')).toBe('&lt;https://evil|click&gt;')
    expect(escapeMrkdwn('<@U012AB3CD> & <#C123>')).toBe('&lt;@U012AB3CD&gt; &amp; &lt;#C123&gt;')
  })

  it('escapes an entity already in the value, so `&lt;` is shown as `&lt;` and not as `<`', () => {
    expect(escapeMrkdwn('&lt;!here&gt;')).toBe('&amp;lt;!here&amp;gt;')
    expect(shown(escapeMrkdwn('&lt;!here&gt;'))).toBe('&lt;!here&gt;')
  })

  it('for any text: leaves no < or >, every & starts an entity, and Slack shows the original', () => {
    fc.assert(
      fc.property(fc.string({unit: 'grapheme-ascii'}), (text) => {
        const escaped = escapeMrkdwn(text)
        expect(escaped).not.toMatch(/[<>]/)
        expect(escaped).not.toMatch(/&(?!amp;|lt;|gt;)/)
        expect(shown(escaped)).toBe(text)
      }),
    )
  })
})

describe('mrkdwnCode', () => {
  it('shows formatting characters as written by putting the value in inline code', () => {
    expect(mrkdwnCode('*bold* _it_ ~gone~')).toBe('`*bold* _it_ ~gone~`')
  })

  it('cannot be broken out of: backticks become look-alikes, newlines spaces, control sequences text', () => {
    const code = mrkdwnCode('a`b\n<!channel>`*x*')
    expect(code).toBe('`aˋb &lt;!channel&gt;ˋ*x*`')
    // exactly one code span: the opening and the closing backtick
    expect(code.match(/`/g)).toHaveLength(2)
  })

  it('cuts long values before escaping, never inside an entity', () => {
    const code = mrkdwnCode('&'.repeat(MAX_VALUE_LENGTH + 50))
    expect(code.endsWith('…`')).toBe(true)
    expect(code.slice(1, -2)).toBe('&amp;'.repeat(MAX_VALUE_LENGTH - 1))
  })

  it('shows a missing value as an em dash', () => {
    expect(mrkdwnCode(null)).toBe('—')
    expect(mrkdwnCode('')).toBe('—')
  })
})

describe('mrkdwnCodeBlock', () => {
  it('keeps lines, escapes control sequences and cannot be closed early', () => {
    const block = mrkdwnCodeBlock('line 1 <!here>\n```\nline 3')
    expect(block).toBe('```line 1 &lt;!here&gt;\nˋˋˋ\nline 3```')
  })
})

describe('mrkdwnText', () => {
  it('leaves prose as prose, escaped, and puts text with formatting characters in code', () => {
    expect(mrkdwnText('Rotate the key at auth-main & co')).toBe('Rotate the key at auth-main &amp; co')
    expect(mrkdwnText('Find *all* <!here>')).toBe('`Find *all* &lt;!here&gt;`')
    expect(mrkdwnText('dry_run')).toBe('`dry_run`')
  })
})
