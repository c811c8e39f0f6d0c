// Fuzz budget, templates: the injection journal, whose every free-text field (kid, claims, notes,
// file paths, answers of remote servers) holds one hostile text, rendered into every document jwkr
// writes — reports, notices, GitHub bodies, the drill scorecard. Every document renders (or fails
// with a JwkrError), within the deadline; none carries a raw control character; no Markdown
// document has live markup or a broken table row of the text's making; the HTML has no tag of it.
import fc from 'fast-check'
import {beforeAll, describe, expect, it} from 'vitest'

import {loadTemplates, type TemplateSet} from '../../src/adapters/templates/template-set.js'
import type {JournalEvent} from '../../src/core/journal/types.js'
import {fixtureEvents, FIXTURE_NOW, INJECTION_ID, PAYLOAD} from '../core/report/fixture.js'
import {renderAll} from '../templates/documents.js'
import {brokenTableRows, liveMarkdown} from '../templates/markup.js'
import {budget, counted, SURFACE_TIMEOUT_MS, hostileText, oneCase, RAW_CONTROL} from './fuzz-kit.js'
import {REGRESSIONS} from './regressions.js'

let templates: TemplateSet
let events: JournalEvent[]

beforeAll(async () => {
  templates = await loadTemplates()
  events = await fixtureEvents(INJECTION_ID)
})

/**
 * The journal with the payload replaced, wherever it stands, by `text`. A function gives the
 * replacement: as a string, a "$`" or "$&" in the text would be read as a replacement pattern.
 */
function withText(text: string): JournalEvent[] {
  const encoded = JSON.stringify(text).slice(1, -1)
  return JSON.parse(JSON.stringify(events).replaceAll(JSON.stringify(PAYLOAD).slice(1, -1), () => encoded)) as JournalEvent[]
}

/** jwkr's own hidden markers are the only HTML a GitHub body holds. */
function withoutOwnMarkers(markdown: string): string {
  return markdown.replace(/<!-- jwkr-[a-z]+(:[a-z]+)?(: [^>]*)? -->/g, '')
}

describe('fuzz: templates', () => {
  it('render every document with the hostile text as text', {timeout: SURFACE_TIMEOUT_MS}, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hostileText, fc.string({unit: 'binary', maxLength: 200})),
        counted('templates', async (text) => {
          const {value: documents} = await oneCase('templates', () => renderAll(templates, withText(text), FIXTURE_NOW))
          for (const [file, document] of documents ?? []) {
            expect(document, file).not.toMatch(RAW_CONTROL)
            if (file.endsWith('.md')) {
              const live = liveMarkdown(withoutOwnMarkers(document)).filter((problem) => !problem.startsWith('emphasis'))
              expect(live, file).toEqual([])
              expect(brokenTableRows(document), file).toEqual([])
            }
            if (file.endsWith('.html')) expect(document).not.toMatch(/<script|<img|onerror=|href="javascript:/i)
          }
        }),
      ),
      budget('templates', REGRESSIONS.templates),
    )
  })
})
