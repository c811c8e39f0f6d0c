import {mkdir, mkdtemp, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {SecretRegistry} from '../../src/core/secrets.js'
import {Journal} from '../../src/incident/journal.js'
import {CONTAINED_ID, fixtureHomeCopy, FIXTURE_NOW} from '../core/report/fixture.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'
import {unescaped} from '../templates/markup.js'

const GOLDEN = join(projectRoot, 'test/templates/golden', CONTAINED_ID)
const KEY = join(projectRoot, 'examples/leaked-signing-key.json')

let home: string

beforeEach(async () => {
  // Given a copy of the fixture incident folder (reports work on copies) and a fixed clock
  home = await fixtureHomeCopy()
  vi.useFakeTimers({toFake: ['Date'], now: FIXTURE_NOW})
})

afterEach(() => {
  vi.useRealTimers()
})

describe('jwkr report rca', () => {
  it('prints the RCA in Markdown from the journal alone', async () => {
    const {stdout, error} = await run(['report', 'rca', '--incident', CONTAINED_ID, '--home', home])
    expect(error).toBeUndefined()
    expect(`${stdout}`).toBe(await readFile(join(GOLDEN, 'rca.md'), 'utf8'))
  })

  it('without --incident reports on the latest incident, and says which (issue 15)', async () => {
    const {stdout, stderr, error} = await run(['report', 'rca', '--home', home])
    expect(error).toBeUndefined()
    expect(stderr).toContain(`Incident ${CONTAINED_ID}, the latest in ${home} (choose another with --incident).`)
    expect(`${stdout}`).toBe(await readFile(join(GOLDEN, 'rca.md'), 'utf8'))
  })

  it('without --incident in a workspace with no incident says where it looked and how to start', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'jwkr-empty-'))
    const {stderr, error} = await run(['report', 'rca', '--home', empty])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain(`Error: No incidents yet in ${empty}.`)
    expect(stderr).toContain('Name one with --incident ID')
  })

  it('in a workspace with drills only, says they are left out and how to name one (report rca, incident list)', async () => {
    // Given a workspace that holds one drill and no incident
    const drillsOnly = await mkdtemp(join(tmpdir(), 'jwkr-drills-only-'))
    await mkdir(join(drillsOnly, 'drills', '2026-01-01-abcdef'), {recursive: true})
    // When a report is asked for without --incident, Then the error points at the drill
    const report = await run(['report', 'rca', '--home', drillsOnly])
    expect(exitCodeOf(report.error)).toBe(1)
    expect(report.stderr).toContain(`Error: No incidents yet in ${drillsOnly}.`)
    expect(report.stderr).toContain('A drill is never picked by default: name one with --incident ID')
    // And the incident list says the drill is not listed, and how to list it
    const list = await run(['incident', 'list', '--home', drillsOnly])
    expect(list.error).toBeUndefined()
    expect(list.stdout).toContain(`No incidents yet in ${drillsOnly} (1 drill is not listed: add --drills).`)
  })

  it('writes the self-contained HTML page to --out atomically, readable by the user only, replacing an older one', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'jwkr-out-')), 'rca.html')
    await writeFile(out, 'an older draft', {mode: 0o644})
    const {stdout, stderr, error} = await run([
      'report',
      'rca',
      '--incident',
      CONTAINED_ID,
      '--home',
      home,
      '--format',
      'html',
      '--out',
      out,
    ])
    expect(error).toBeUndefined()
    expect(stdout).toBe('')
    expect(stderr).toContain(`Wrote ${out}`)
    expect(await readFile(out, 'utf8')).toBe(await readFile(join(GOLDEN, 'rca.html'), 'utf8'))
    expect((await stat(out)).mode & 0o777).toBe(0o644)
    const fresh = join(await mkdtemp(join(tmpdir(), 'jwkr-out-')), 'rca.html')
    await run(['report', 'rca', '--incident', CONTAINED_ID, '--home', home, '--format', 'html', '--out', fresh])
    expect((await stat(fresh)).mode & 0o777).toBe(0o600)
  })

  it('prints the report model with --format json, and describes the document with --json', async () => {
    const model = await run(['report', 'rca', '--incident', CONTAINED_ID, '--home', home, '--format', 'json'])
    expect(JSON.parse(model.stdout)).toMatchObject({
      generatedAt: FIXTURE_NOW.toISOString(),
      incident: {id: CONTAINED_ID},
      containment: {proven: true, timeToContainMs: 1_205_800},
    })
    const described = await run(['report', 'rca', '--incident', CONTAINED_ID, '--home', home, '--json'])
    expect(JSON.parse(described.stdout)).toMatchObject({
      incident: CONTAINED_ID,
      kind: 'rca',
      format: 'md',
      template: 'report/rca.md',
      out: null,
      text: expect.stringContaining('# Root cause analysis'),
    })
  })

  it('uses an override from --templates, and reports a broken one with its file and line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-templates-'))
    await mkdir(join(dir, 'report'))
    await writeFile(
      join(dir, 'report/rca.md.hbs'),
      'Our RCA of {{incident.id}}, {{duration containment.timeToContainMs}} to contain.\n',
    )
    const ok = await run(['report', 'rca', '--incident', CONTAINED_ID, '--home', home, '--templates', dir])
    expect(ok.stdout).toBe(`Our RCA of ${CONTAINED_ID}, 20m6s to contain.\n`)
    await writeFile(join(dir, 'report/rca.md.hbs'), 'Our RCA\n\n{{#each steps}}\n{{titel}}\n{{/each}}\n')
    const missing = await run(['report', 'rca', '--incident', CONTAINED_ID, '--home', home, '--templates', dir])
    expect(exitCodeOf(missing.error)).toBe(1)
    expect(missing.stderr).toContain(`${join(dir, 'report/rca.md.hbs')}:4:3: "titel" is not a fact of the report model.`)
    await writeFile(join(dir, 'report/rca.md.hbs'), 'Our RCA\n{{#if incident.drill}\n')
    const broken = await run(['report', 'rca', '--incident', CONTAINED_ID, '--home', home, '--templates', dir, '--json'])
    expect(exitCodeOf(broken.error)).toBe(1)
    expect(JSON.parse(broken.stdout).error).toMatchObject({
      code: 'ERR_TEMPLATE_INVALID',
      message: expect.stringMatching(new RegExp(`^${join(dir, 'report/rca.md.hbs')}:2: the template does not parse`)),
      details: {file: join(dir, 'report/rca.md.hbs'), line: 2},
    })
  })

  it('refuses a format the RCA does not have, an unknown incident, and an --out folder that does not exist', async () => {
    const format = await run(['report', 'rca', '--incident', CONTAINED_ID, '--home', home, '--format', 'txt'])
    expect(exitCodeOf(format.error)).toBe(2)
    const unknown = await run(['report', 'rca', '--incident', '2026-03-14-nope', '--home', home])
    expect(exitCodeOf(unknown.error)).toBe(1)
    expect(unknown.stderr).toContain('There is no incident "2026-03-14-nope"')
    const out = await run(['report', 'rca', '--incident', CONTAINED_ID, '--home', home, '--out', '/nonexistent/dir/rca.md'])
    expect(exitCodeOf(out.error)).toBe(1)
    expect(out.stderr).toContain('Cannot write /nonexistent/dir/rca.md')
  })

  it('never prints a private value of the key, even one an older jwkr left in the journal, while the key can be read', async () => {
    // Given a journal whose note holds the key's `d` (written unredacted), opened with the key file as its input
    const jwk = JSON.parse(await readFile(KEY, 'utf8')) as Record<string, string>
    const id = '2026-03-16-leaky1'
    await mkdir(join(home, 'incidents', id), {recursive: true})
    const journal = await Journal.create(join(home, 'incidents', id, 'journal.jsonl'), {
      secrets: new SecretRegistry(),
      now: () => FIXTURE_NOW,
    })
    await journal.append('incident.opened', {
      id,
      thumbprint: 'ctrVioBNyS21qaggw9wJbbzKbpG2TpIsKRipETuogFQ',
      kid: 'example-signing-2026',
      drill: false,
      inputs: {key: KEY},
      source: KEY,
    })
    await journal.append('note.added', {author: 'bob', text: `pasted by mistake: ${jwk.d} and ${jwk.p}`})
    await journal.close()
    // When every document is rendered in every format
    const outputs: string[] = []
    for (const args of [
      ['rca'],
      ['rca', '--format', 'html'],
      ['rca', '--format', 'json'],
      ['timeline'],
      ['notification'],
      ['notification', '--format', 'txt'],
      ['notification', '--audience', 'partners'],
    ]) {
      const {stdout, stderr, error} = await run(['report', ...args, '--incident', id, '--home', home])
      expect(error, args.join(' ')).toBeUndefined()
      outputs.push(stdout + stderr)
    }
    // Then no private value appears, not even with its characters escaped for the format, and the note says where one was
    for (const output of outputs) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(unescaped(output)).not.toContain(jwk[member])
    }
    expect(outputs[0]).toContain('pasted by mistake: \\[REDACTED\\] and \\[REDACTED\\]')
  })
})
