// Untrusted values (a kid, claims, file paths, answers of remote servers, notes) holding markup of
// every format: Slack mentions, Handlebars, HTML and script, Markdown links and images. Each must
// come out as the text it is, in every document jwkr writes, and every drill document says DRILL.
import {describe, expect, it} from 'vitest'

import {loadTemplates} from '../../src/adapters/templates/template-set.js'
import {CONTAINED_ID, fixtureEvents, FIXTURE_NOW, INJECTION_ID, PAYLOAD, THUMBPRINT} from '../core/report/fixture.js'
import {renderAll} from './documents.js'
import {brokenTableRows, liveMarkdown, markupText} from './markup.js'

async function documentsOf(id: string): Promise<Map<string, string>> {
  return renderAll(await loadTemplates(), await fixtureEvents(id), FIXTURE_NOW)
}

/** Our own hidden markers are the only HTML a GitHub body may hold. */
function withoutOwnMarkers(markdown: string): string {
  return markdown.replace(/<!-- jwkr-[a-z]+(:[a-z]+)?(: [^>]*)? -->/g, '')
}

describe('a kid, claims, notes and answers holding markup', () => {
  it('stay text in every Markdown document and GitHub body: no HTML, link, image, mention or emphasis of theirs is live', async () => {
    // Given the drill journal whose every free-text field holds the payload
    expect(PAYLOAD).toContain('<!channel>')
    // When every Markdown document and GitHub body is rendered
    const documents = await documentsOf(INJECTION_ID)
    const markdown = [...documents].filter(([file]) => file.endsWith('.md'))
    expect(markdown.map(([file]) => file).sort()).toEqual([
      'drill-scorecard.md',
      'github-checklist.md',
      'github-comment.md',
      'github-issue.md',
      'notify-partners.md',
      'notify-users.md',
      'rca.md',
      'timeline.md',
    ])
    for (const [file, text] of markdown) {
      // Then the payload appears where the document shows such values (the users' notice shows none) ...
      if (file !== 'notify-users.md') expect(text, file).toMatch(/!channel|channel thumbprint/)
      // ... and nothing of it is markup a renderer would act on
      const live = liveMarkdown(withoutOwnMarkers(text)).filter((problem) => !problem.startsWith('emphasis'))
      expect(live, file).toEqual([])
      expect(markupText(text), file).not.toContain('*bold*')
      // ... and no value with a | broke a table row
      expect(brokenTableRows(text), file).toEqual([])
      // ... and {{ in a value was never evaluated: the thumbprint is not where the kid was
      expect(text, file).not.toMatch(/channel\\?> ctrVio/)
    }
  })

  it('stay text in the HTML report: every tag of theirs is escaped, and the page holds no script at all', async () => {
    const html = (await documentsOf(INJECTION_ID)).get('rca.html') as string
    // The payload is there, escaped ...
    expect(html).toContain(
      '&lt;!channel&gt; {{thumbprint}} &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;',
    )
    // ... and no tag of it survived, nor any link to a javascript: URL
    expect(html).not.toMatch(/<script|<\/script|<img|onerror=|href="javascript:|<!channel>/i)
    expect(html).not.toContain(`{{`.concat('thumbprint}}</'))
    // And only jwkr's own tags are in the page
    const tags = new Set([...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)].map((match) => match[1]?.toLowerCase()))
    const allowed = [
      'html',
      'head',
      'meta',
      'title',
      'style',
      'body',
      'div',
      'h1',
      'h2',
      'h3',
      'p',
      'b',
      'span',
      'code',
      'table',
      'thead',
      'tr',
      'th',
      'td',
      'figure',
      'figcaption',
      'svg',
      'line',
      'text',
      'rect',
      'circle',
      'path',
      'ul',
      'ol',
      'li',
      'i',
      'strong',
      'br',
      'footer',
      'a',
    ]
    expect([...tags].filter((tag) => !allowed.includes(tag as string))).toEqual([])
  })

  it('make no link of a javascript: URL in any Markdown or HTML document', async () => {
    // (the journal's effect ref holds url: javascript:alert(1), which a link helper would otherwise use)
    for (const [file, text] of await documentsOf(INJECTION_ID)) {
      if (file.endsWith('.md')) expect(markupText(text), file).not.toMatch(/\]\(\s*javascript:/)
      if (file.endsWith('.html')) expect(text, file).not.toMatch(/href="\s*javascript:/i)
    }
  })

  it('cannot hide text in any document with control characters or bidirectional overrides', async () => {
    for (const [file, text] of await documentsOf(INJECTION_ID)) {
      // eslint-disable-next-line no-control-regex
      expect(text, file).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u202a-\u202e\u2066-\u2069]/)
    }
  })
})

describe('drills', () => {
  it('carry a DRILL banner in every document, and a real incident in none', async () => {
    const drill = await documentsOf(INJECTION_ID)
    const real = await documentsOf(CONTAINED_ID)
    // (the checklist is a part of the body, which carries the banner)
    for (const [file, text] of drill) if (file !== 'github-checklist.md') expect(text, file).toMatch(/DRILL/)
    for (const [file, text] of real) expect(text, file).not.toMatch(/DRILL/)
    // And the banner comes first, before anything else in the document
    for (const file of [
      'rca.md',
      'timeline.md',
      'notify-users.md',
      'notify-partners.md',
      'github-issue.md',
      'github-comment.md',
    ]) {
      expect(drill.get(file)?.split('\n')[1], file).toContain('DRILL')
    }
    expect(drill.get('notify-users.txt')?.split('\n')[0]).toBe(
      '*** DRILL: this is an exercise, not a real incident. Do not send. ***',
    )
    expect(drill.get('github-issue-title.txt')).toBe(`[jwkr] [DRILL] Leaked key ${THUMBPRINT} (${INJECTION_ID})\n`)
    expect(drill.get('rca.html')).toMatch(/<body>\s*<div class="drill" role="note">DRILL/)
  })
})
