import Handlebars from 'handlebars'
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {builtinTemplateDir, loadTemplates} from '../../../src/adapters/templates/template-set.js'
import {JwkrError} from '../../../src/core/errors.js'
import {fixtureModel} from '../../core/report/fixture.js'
import {projectRoot} from '../../helpers/run.js'

/** A folder of override templates: `{'report/rca.md.hbs': '…'}`. */
async function overrides(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'jwkr-templates-'))
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), {recursive: true})
    await writeFile(join(dir, name), text)
  }
  return dir
}

async function renderError(fn: () => unknown): Promise<JwkrError> {
  try {
    await fn()
  } catch (error) {
    expect(error).toBeInstanceOf(JwkrError)
    return error as JwkrError
  }
  throw new Error('expected an error')
}

describe('loadTemplates', () => {
  it('finds the built-in templates in the package’s templates/ folder', async () => {
    expect(builtinTemplateDir()).toBe(join(projectRoot, 'templates/'))
    const templates = await loadTemplates()
    expect(templates.names()).toEqual(
      expect.arrayContaining([
        'report/rca.md',
        'report/rca.html',
        'report/timeline.md',
        'notify/users.md',
        'notify/users.txt',
        'notify/partners.md',
        'github/issue.md',
        'github/checklist.md',
        'github/comment.md',
      ]),
    )
    expect(templates.source('report/rca.md')).toMatchObject({
      builtin: true,
      file: join(projectRoot, 'templates/report/rca.md.hbs'),
    })
  })

  it('lets a file of the same name in the overrides folder replace a built-in template, and partials follow', async () => {
    // Given an override of the RCA that includes a built-in partial, and an override of that partial's neighbour
    const dir = await overrides({
      'report/rca.md.hbs': 'RCA of {{incident.id}}: {{> partials/exposure-window}}\n',
      'partials/shout.md.hbs': '{{upper severity}}!',
      'report/timeline.md.hbs': '{{> partials/shout.md}}\n',
    })
    // When the templates load with it
    const templates = await loadTemplates({overrides: dir})
    const model = await fixtureModel()
    // Then the overrides render, built-in partials included, and the rest stays built in
    expect(templates.render('report/rca.md', model)).toBe(
      'RCA of 2026-03-14-ctrvio: from 2026-03-13 02:40:00 UTC (as given) to 2026-03-14 09:20:05 UTC: 30h40m6s\n',
    )
    // (a partial drops its file's final line break, so that one included inside a table cell keeps the row whole)
    expect(templates.render('report/timeline.md', model)).toBe('CRITICAL!')
    expect(templates.source('report/rca.md')).toMatchObject({builtin: false, file: join(dir, 'report/rca.md.hbs')})
    expect(templates.source('notify/users.md').builtin).toBe(true)
  })

  it('reports an override that does not parse with its file and line, before anything renders', async () => {
    // Given an override with an unclosed mustache on line 3, and one whose block ends with the wrong name on line 2
    const dir = await overrides({'report/rca.md.hbs': '# RCA\n\nSeverity {{severity}\nmore {{incident.id}}\n'})
    const other = await overrides({'notify/users.md.hbs': 'Hello\n{{#if incident.drill}}\nDRILL\n{{/each}}\n'})
    // When they load
    const error = await renderError(() => loadTemplates({overrides: dir}))
    const mismatch = await renderError(() => loadTemplates({overrides: other}))
    // Then each error names the file and the line, and says what to do
    expect(error.code).toBe('ERR_TEMPLATE_INVALID')
    expect(error.message.split('\n')[0]).toBe(`${join(dir, 'report/rca.md.hbs')}:3: the template does not parse.`)
    expect(error.hint).toBe(
      `Fix the Handlebars syntax at line 3 of ${join(dir, 'report/rca.md.hbs')}, or remove the file to use the built-in template.`,
    )
    expect(error.details).toMatchObject({file: join(dir, 'report/rca.md.hbs'), line: 3})
    expect(mismatch.message).toBe(
      `${join(other, 'notify/users.md.hbs')}:2: the template does not parse.\nif doesn't match each - 2:3`,
    )
  })

  it('refuses an overrides folder that does not exist', async () => {
    const error = await renderError(() => loadTemplates({overrides: '/nonexistent/jwkr-templates'}))
    expect(error.code).toBe('ERR_TEMPLATE_NOT_FOUND')
    expect(error.message).toContain('/nonexistent/jwkr-templates')
  })
})

describe('strict rendering', () => {
  it('makes a fact the model does not have an error naming the template file, line and column', async () => {
    // Given an override that misspells a fact on its third line
    const dir = await overrides({'report/rca.md.hbs': '# RCA\n\nKey {{key.thumbprint}} of {{incident.severty}}\n'})
    const templates = await loadTemplates({overrides: dir})
    // When it renders
    const error = await renderError(async () => templates.render('report/rca.md', await fixtureModel()))
    // Then the error names the file, the line and the missing fact, and quotes the line
    expect(error.code).toBe('ERR_TEMPLATE_RENDER')
    expect(error.message).toBe(
      `${join(dir, 'report/rca.md.hbs')}:3:29: "severty" is not a fact of the report model.\n  3 | Key {{key.thumbprint}} of {{incident.severty}}`,
    )
    expect(error.hint).toContain('jwkr report rca --format json')
  })

  it('also catches a missing fact in a helper argument or a block helper, where Handlebars alone would print a blank', async () => {
    const dir = await overrides({
      'report/rca.md.hbs': 'ok\n{{date incident.openedAtt}}\n',
      'report/timeline.md.hbs': 'ok\n\n{{#if containment.provn}}yes{{/if}}\n',
      'notify/users.md.hbs': '{{#each timelin}}{{text}}{{/each}}\n',
    })
    const templates = await loadTemplates({overrides: dir})
    const model = await fixtureModel()
    expect((await renderError(() => templates.render('report/rca.md', model))).message).toMatch(
      /rca\.md\.hbs:2:0?\d*: \{\{date\}\} got a value that is not a fact/,
    )
    expect((await renderError(() => templates.render('report/timeline.md', model))).message).toMatch(
      /timeline\.md\.hbs:3:\d+: \{\{#if\}\} got a value/,
    )
    expect((await renderError(() => templates.render('notify/users.md', model))).message).toMatch(
      /users\.md\.hbs:1:\d+: \{\{#each\}\}/,
    )
  })

  it('names the partial, not the template that included it, when the problem is in the partial', async () => {
    const dir = await overrides({
      'report/rca.md.hbs': 'line 1\n{{> partials/broken.md}}\n',
      'partials/broken.md.hbs': 'a\nb\n{{nope}}',
      'report/timeline.md.hbs': 'x\n{{> partials/missing.md}}\n',
    })
    const templates = await loadTemplates({overrides: dir})
    const model = await fixtureModel()
    expect((await renderError(() => templates.render('report/rca.md', model))).message).toMatch(
      new RegExp(`^${join(dir, 'partials/broken.md.hbs')}:3:\\d+: "nope" is not a fact`),
    )
    expect((await renderError(() => templates.render('report/timeline.md', model))).message).toMatch(
      /timeline\.md\.hbs:2: there is no template partials\/missing\.md to include/,
    )
  })

  it('renders null facts as blanks a template can test, and unknown templates as an error listing the known ones', async () => {
    const templates = await loadTemplates()
    const error = await renderError(async () => templates.render('report/nope.md', await fixtureModel()))
    expect(error.code).toBe('ERR_TEMPLATE_NOT_FOUND')
    expect(error.hint).toContain('report/rca.md')
  })
})

describe('escaping by format', () => {
  it('escapes each value for the format its template is named for, helpers’ results included', async () => {
    // Given the same line in a Markdown, an HTML, a plain-text and a Slack template
    const line = '{{kid}} | {{code kid}} | {{join list}} | {{known missing "<none>"}} | {{link url "a <b>"}}\n'
    const dir = await overrides({'t/x.md.hbs': line, 't/x.html.hbs': line, 't/x.txt.hbs': line, 't/x.mrkdwn.hbs': line})
    const templates = await loadTemplates({overrides: dir})
    const model = {kid: '<!channel> [x](javascript:y)', list: ['<a>', 'b&c'], missing: null, url: 'https://e.com/p?q=1'}
    // Then each is escaped its own way
    expect(templates.render('t/x.md', model)).toBe(
      '\\<!channel\\> \\[x\\](javascript:y) | `<!channel> [x](javascript:y)` | \\<a\\>, b\\&c | \\<none\\> | [a \\<b\\>](https://e.com/p?q=1)\n',
    )
    expect(templates.render('t/x.html', model)).toBe(
      '&lt;!channel&gt; [x](javascript:y) | <code>&lt;!channel&gt; [x](javascript:y)</code> | &lt;a&gt;, b&amp;c | &lt;none&gt; | <a href="https://e.com/p?q&#x3D;1">a &lt;b&gt;</a>\n',
    )
    expect(templates.render('t/x.txt', model)).toBe(
      '<!channel> [x](javascript:y) | <!channel> [x](javascript:y) | <a>, b&c | <none> | a <b> (https://e.com/p?q=1)\n',
    )
    expect(templates.render('t/x.mrkdwn', model)).toBe(
      '&lt;!channel&gt; [x](javascript:y) | `&lt;!channel&gt; [x](javascript:y)` | &lt;a&gt;, b&amp;c | &lt;none&gt; | <https://e.com/p?q=1|a &lt;b&gt;>\n',
    )
  })

  it('never makes a link of a target that is not http(s)', async () => {
    const dir = await overrides({'t/l.md.hbs': '{{link url "click"}}', 't/l.html.hbs': '{{link url "click"}}'})
    const templates = await loadTemplates({overrides: dir})
    expect(templates.render('t/l.md', {url: 'javascript:alert(1)'})).toBe('click')
    expect(templates.render('t/l.html', {url: 'data:text/html,x'})).toBe('click')
  })

  it('does not evaluate template syntax found in a value', async () => {
    const dir = await overrides({'t/v.md.hbs': '{{kid}}'})
    const templates = await loadTemplates({overrides: dir})
    expect(templates.render('t/v.md', {kid: '{{thumbprint}}', thumbprint: 'SECRET-LOOKING'})).toBe('{{thumbprint}}')
  })

  it('keeps its helpers and partials to its own Handlebars environment', async () => {
    await loadTemplates()
    expect(Handlebars.helpers.duration).toBeUndefined()
    expect(Handlebars.partials['partials/drill-banner.md']).toBeUndefined()
  })
})

describe('helpers', () => {
  it('formats dates, durations, plurals and numbers', async () => {
    const dir = await overrides({
      't/h.txt.hbs':
        '{{date at}}|{{date at format="time"}}|{{date at format="day"}}|{{date at format="mermaid"}}|{{date nothing}}|' +
        '{{duration ms}}|{{duration s unit="s"}}|{{duration nothing}}|{{plural one "token"}}|{{plural two "copy" "copies"}}|' +
        '{{plural list "file"}}|{{number big}}|{{number nothing}}|{{#if (eq a "x")}}eq{{/if}}|{{#if (gt two 1)}}gt{{/if}}',
    })
    const templates = await loadTemplates({overrides: dir})
    expect(
      templates.render('t/h.txt', {
        at: '2026-03-14T09:20:05.800Z',
        nothing: null,
        ms: 1_205_800,
        s: 3000,
        one: 1,
        two: 2,
        list: ['a', 'b', 'c'],
        big: 1843211,
        a: 'x',
      }),
    ).toBe(
      '2026-03-14 09:20:05 UTC|09:20:05|2026-03-14|2026-03-14 09:20:05.800|unknown|20m6s|50m|unknown|1 token|2 copies|3 files|1,843,211|unknown|eq|gt',
    )
  })

  it('refuses a date format it does not know, naming the template and line', async () => {
    const dir = await overrides({'t/d.txt.hbs': '\n{{date at format="weird"}}'})
    const templates = await loadTemplates({overrides: dir})
    const error = await renderError(() => templates.render('t/d.txt', {at: '2026-03-14T09:00:00Z'}))
    expect(error.message).toMatch(/d\.txt\.hbs:2:\d+: \{\{date\}\} has no format "weird"/)
  })
})
