import {mkdir, mkdtemp, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {startRun} from '../../../src/playbook/respond.js'
import {baseOptions, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'
import {projectRoot} from '../../helpers/run.js'
import {unescaped} from '../../templates/markup.js'

const KEY = join(projectRoot, 'examples/leaked-signing-key.json')
let needles: string[]

beforeAll(async () => {
  const jwk = JSON.parse(await readFile(KEY, 'utf8')) as Record<string, string>
  needles = ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((member) => jwk[member] as string)
})

async function standardRun(options: {drill?: boolean; dryRun?: boolean} = {}) {
  const home = await tempHome()
  return startRun({
    ...baseOptions(home),
    playbook: 'leaked-signing-key',
    inputs: {key: KEY},
    yes: true,
    ui: scriptedUi({}, false),
    env: {},
    observers: [],
    drill: options.drill ?? false,
    dryRun: options.dryRun ?? false,
  })
}

describe('report.rca in the standard playbook', () => {
  it('writes the RCA (Markdown and HTML) and the timeline into the incident’s artifacts, readable by the user only', async () => {
    // When the standard playbook runs on the example key
    const result = await standardRun()
    // Then the rca step wrote three files and returned their paths
    const rca = result.steps.find((step) => step.id === 'rca')
    expect(rca?.status).toBe('succeeded')
    const {markdown, html, timeline} = rca?.outputs as {markdown: string; html: string; timeline: string}
    expect([markdown, html, timeline].map((path) => path.split('/').slice(-2).join('/'))).toEqual([
      'artifacts/rca.md',
      'artifacts/rca.html',
      'artifacts/timeline.md',
    ])
    for (const path of [markdown, html, timeline]) expect((await stat(path)).mode & 0o777).toBe(0o600)
    // And they hold the facts of this incident, drawn from its journal as it stood
    const thumbprint = result.steps.find((step) => step.id === 'inspect')?.outputs?.thumbprint as string
    const md = await readFile(markdown, 'utf8')
    expect(md).toContain(`# Root cause analysis: leaked signing key \`${thumbprint}\``)
    expect(md).toContain('| Identify the leaked key (`inspect`) | `key.inspect` | succeeded |')
    expect(md).toContain('Containment is **not proven**')
    expect(md).not.toContain('DRILL')
    expect(await readFile(html, 'utf8')).toMatch(/<svg class="chart"[\s\S]*<rect class="bar done"/)
    expect(await readFile(timeline, 'utf8')).toContain('```mermaid\ngantt\n')
  })

  it('never writes a private value of the key into a document, in any encoding the format gives it', async () => {
    const result = await standardRun()
    const rca = result.steps.find((step) => step.id === 'rca')?.outputs as Record<string, string>
    const notifications = result.steps.find((step) => step.id === 'notifications')?.outputs as Record<string, string>
    for (const path of [...Object.values(rca), ...Object.values(notifications)]) {
      const text = unescaped(await readFile(path, 'utf8'))
      for (const needle of needles) expect(text).not.toContain(needle)
    }
  })

  it('marks a drill’s RCA', async () => {
    const result = await standardRun({drill: true})
    const {markdown, html} = result.steps.find((step) => step.id === 'rca')?.outputs as {markdown: string; html: string}
    expect((await readFile(markdown, 'utf8')).split('\n').slice(0, 2).join('\n')).toBe(
      '> [!WARNING]\n> **DRILL — this is an exercise, not a real incident.** Nothing in this document describes a real compromise.',
    )
    expect(await readFile(html, 'utf8')).toContain('<div class="drill" role="note">DRILL')
  })

  it('plans the files it would write and writes none in a dry run', async () => {
    const result = await standardRun({dryRun: true})
    const rca = result.steps.find((step) => step.id === 'rca')
    expect(rca?.status).toBe('planned')
    expect(rca?.plan?.map((call) => [call.kind, call.target.split('/').slice(-1)[0]])).toEqual([
      ['file', 'rca.md'],
      ['file', 'rca.html'],
      ['file', 'timeline.md'],
    ])
    await expect(stat(rca?.plan?.[0]?.target as string)).rejects.toThrow(/ENOENT/)
  })

  it('fails with the broken override’s file and line, and the run goes on', async () => {
    // Given a playbook whose rca step takes a templates folder with a broken RCA
    const home = await tempHome()
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-templates-'))
    await mkdir(join(dir, 'report'))
    await writeFile(join(dir, 'report/rca.md.hbs'), '# RCA\n{{#each steps}\n')
    const file = await writePlaybook(
      home,
      `steps:\n  - id: rca\n    uses: report.rca\n    onFailure: continue\n    with: {templates: ${dir}}\n  - id: after\n    uses: core.note\n    with: {text: went on}\n`,
    )
    // When it runs
    const result = await startRun({...baseOptions(home), playbook: file, yes: true, ui: scriptedUi({}, false), observers: []})
    // Then the step failed naming the file and line, and the next step ran
    const rca = result.steps.find((step) => step.id === 'rca')
    expect(rca?.error).toMatchObject({
      code: 'ERR_TEMPLATE_INVALID',
      message: expect.stringMatching(new RegExp(`^${join(dir, 'report/rca.md.hbs')}:2: `)),
    })
    expect(result.steps.find((step) => step.id === 'after')?.status).toBe('succeeded')
    expect(result.status).toBe('failed')
  })
})
