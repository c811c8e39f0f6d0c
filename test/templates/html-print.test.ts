// The HTML RCA on paper and on a narrow screen: the stylesheet's print rules (headings kept with what
// follows, long tables breaking between rows under a repeated header, hashes wrapping, link targets
// printed, a header and footer with the incident and page numbers) and the vertical list that
// replaces the drawn timeline below 600 px. Chromium renders them (see the issue 16 closing note);
// here their presence and their escaping are checked.
import {describe, expect, it} from 'vitest'

import {cssString} from '../../src/adapters/templates/escape.js'
import {loadTemplates} from '../../src/adapters/templates/template-set.js'
import {buildReport} from '../../src/core/report/build-report.js'
import {timelineChart} from '../../src/core/report/timeline-chart.js'
import {renderDocument} from '../../src/services/report.js'
import {FAILED_ID, fixtureEvents, FIXTURE_NOW, OUTAGE_ID} from '../core/report/fixture.js'

async function rcaHtml(id: string): Promise<{html: string; css: string; model: ReturnType<typeof buildReport>}> {
  const model = buildReport(await fixtureEvents(id), {now: FIXTURE_NOW})
  const html = renderDocument(await loadTemplates(), model, {kind: 'rca', format: 'html'})
  const css = (/<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '').replace(/\s+/g, ' ')
  return {html, css, model}
}

/** The declarations of the rule whose selector is exactly this, inside `@media print` when asked. */
function rule(css: string, selector: string, within = ''): string {
  const scope = within ? css.slice(css.indexOf(within)) : css
  const start = scope.indexOf(` ${selector} {`)
  return start < 0 ? '' : scope.slice(start, scope.indexOf('}', start))
}

describe('the HTML RCA in print', () => {
  it('keeps headings with what follows and lets long tables break between rows under a repeated header', async () => {
    const {css} = await rcaHtml(FAILED_ID)
    expect(rule(css, 'h1, h2, h3', '@media print')).toMatch(/break-after: avoid/)
    expect(rule(css, 'p, li', '@media print')).toMatch(/orphans: 3; widows: 3/)
    expect(rule(css, 'thead', '@media print')).toMatch(/display: table-header-group/)
    expect(rule(css, 'tr, td, th', '@media print')).toMatch(/break-inside: avoid/)
    // Only small tables are kept whole: a rule keeping every table whole left half-empty pages
    const whole = rule(css, 'table.kv, table.spans, figure, .todo, .fact, .facts', '@media print')
    expect(whole).toMatch(/break-inside: avoid/)
    expect(css).not.toMatch(/ table, figure[^{]*\{[^}]*break-inside: avoid/)
  })

  it('wraps hashes and ids anywhere and prints where each link goes', async () => {
    const {css, html} = await rcaHtml(FAILED_ID)
    expect(rule(css, 'code, code.hash, td', '@media print')).toMatch(/overflow-wrap: anywhere/)
    expect(rule(css, 'code.hash')).toMatch(/overflow-wrap: anywhere/)
    expect(rule(css, 'a[href^="http"]::after', '@media print')).toMatch(/content: " <" attr\(href\) ">"/)
    // And the appendix lists every check under a header that repeats on each page
    expect(html).toMatch(/<table class="checks">\s*<thead>/)
  })

  it('puts the incident and the page number on every page (Chromium draws @page margin boxes)', async () => {
    const {css} = await rcaHtml(OUTAGE_ID)
    expect(css).toContain(`@top-left { content: "DRILL \\2014 " "Root cause analysis, incident " "${OUTAGE_ID}";`)
    expect(css).toContain('@bottom-right { content: "Page " counter(page) " of " counter(pages);')
  })

  it('escapes what it puts into a CSS string, so an id cannot end the string, the rule or the style element', () => {
    const hostile = 'x"; } </style><script>alert(1)</script> \\'
    const literal = cssString(hostile)
    expect(literal.slice(1, -1)).not.toMatch(/["'<>;{}\n]|\\(?![0-9a-f]{6})/)
    expect(literal).toBe(
      '"x\\000022\\00003b \\00007d \\00003c\\00002fstyle\\00003e\\00003cscript\\00003ealert\\000028' +
        '1\\000029\\00003c\\00002fscript\\00003e \\00005c"',
    )
  })
})

describe('the HTML RCA on a narrow screen', () => {
  it('replaces the drawn timeline with a vertical list below 600 px, one item per mark', async () => {
    const {css, html, model} = await rcaHtml(FAILED_ID)
    const narrow = css.slice(css.indexOf('@media screen and (max-width: 600px)'))
    expect(narrow).toMatch(
      /^@media screen and \(max-width: 600px\) \{ figure\.chart-wide \{ display: none; \} \.chart-narrow \{ display: block; \} \}/,
    )
    expect(rule(css, '.chart-narrow')).toMatch(/display: none/)
    const list = /<ol class="mark-list">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? ''
    expect(list.match(/<li>/g)).toHaveLength(timelineChart(model).marks.length)
    expect(/<ol class="phase-list">([\s\S]*?)<\/ol>/.exec(html)?.[1]?.match(/<li>/g)).toHaveLength(model.phases.length)
  })
})
