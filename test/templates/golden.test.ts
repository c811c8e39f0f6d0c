// Golden files: every built-in template rendered on the committed fixture journals at a fixed `now`.
// A change to a template or to the report model shows here as a diff to review; after checking it,
// refresh the files with `UPDATE_GOLDEN=1 npx vitest run test/templates/golden.test.ts`.
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {loadTemplates} from '../../src/adapters/templates/template-set.js'
import {CONTAINED_ID, FAILED_ID, fixtureEvents, FIXTURE_NOW, INJECTION_ID, OUTAGE_ID} from '../core/report/fixture.js'
import {projectRoot} from '../helpers/run.js'
import {COVERED_TEMPLATES, renderAll} from './documents.js'

const GOLDEN = join(projectRoot, 'test/templates/golden')
const update = process.env.UPDATE_GOLDEN === '1'

describe.each([CONTAINED_ID, INJECTION_ID, FAILED_ID, OUTAGE_ID])('the built-in templates on incident %s', (id) => {
  it('render exactly the golden files', async () => {
    // Given the fixture journal and the built-in templates
    const templates = await loadTemplates()
    // When every document is rendered at the fixed time
    const rendered = renderAll(templates, await fixtureEvents(id), FIXTURE_NOW)
    // Then each equals its golden file
    for (const [file, text] of rendered) {
      const golden = join(GOLDEN, id, file)
      if (update) {
        await mkdir(join(GOLDEN, id), {recursive: true})
        await writeFile(golden, text)
      }
      const expected = await readFile(golden, 'utf8').catch(() => {
        throw new Error(`No golden file ${golden}: create it with UPDATE_GOLDEN=1 and review it.`)
      })
      expect(text, file).toBe(expected)
    }
  })
})

it('covers every built-in template that is not a partial', async () => {
  const templates = await loadTemplates()
  expect(templates.names().filter((name) => !name.startsWith('partials/'))).toEqual([...COVERED_TEMPLATES].sort())
})
