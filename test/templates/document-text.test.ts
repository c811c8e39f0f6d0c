// What every rendered document holds or never holds, whatever the journal recorded: rca.md carries the
// Mermaid timeline (bars named uniquely), timeline cells do not repeat the zone the header names, and
// no raw `${{ … }}` playbook expression reaches a document (older journals recorded skip reasons so).
import {describe, expect, it} from 'vitest'

import {loadTemplates} from '../../src/adapters/templates/template-set.js'
import {CONTAINED_ID, fixtureEvents, FIXTURE_NOW, INJECTION_ID} from '../core/report/fixture.js'
import {renderAll} from './documents.js'

describe.each([CONTAINED_ID, INJECTION_ID])('the documents of %s', (id) => {
  it('hold no raw playbook expression, and rca.md carries the Mermaid timeline with unique bar names', async () => {
    const rendered = renderAll(await loadTemplates(), await fixtureEvents(id), FIXTURE_NOW)
    for (const [file, text] of rendered) expect(text, file).not.toMatch(/\$\{\{/)
    for (const file of ['rca.md', 'timeline.md']) {
      const text = rendered.get(file) ?? ''
      const gantt = /```mermaid\ngantt\n([\s\S]*?)```/.exec(text)?.[1]
      expect(gantt, file).toBeDefined()
      const bars = (gantt ?? '').split('\n').filter((line) => /^ {4}[^ ].* :/.test(line) && !/:milestone/.test(line))
      const names = bars.map((line) => line.slice(0, line.lastIndexOf(' :')).trim())
      expect(new Set(names).size, names.join('\n')).toBe(names.length)
      // The timeline table's header names the zone; its cells do not repeat it
      const rows = text.split('| Time (UTC) |')[1]?.split('\n\n')[0]?.split('\n').slice(2).filter(Boolean) ?? []
      expect(rows.length).toBeGreaterThan(0)
      for (const row of rows) expect(row, file).toMatch(/^\| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \|/)
    }
  })
})
