// `jwkr drill report`: formatted for the terminal (not Markdown source with its escapes), the
// Markdown on request, paths shown from where the command runs, and --open handing the HTML report to
// the desktop's opener (here a recording program named by JWKR_OPENER: no browser starts).
import {chmod, mkdir, mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {openerCommand} from '../../src/adapters/desktop/open-file.js'
import {buildReport} from '../../src/core/report/build-report.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {renderDrillReport} from '../../src/drill/drill-report.js'
import {fixtureEvents, fixtureHomeCopy, FIXTURE_NOW, OUTAGE_ID} from '../core/report/fixture.js'
import {run} from '../helpers/run.js'
import {fixtureScorecard} from '../templates/documents.js'

let home: string

beforeEach(async () => {
  // Given a copy of the fixture workspace whose outage drill has the scorecard a drill writes
  home = await fixtureHomeCopy()
  const events = await fixtureEvents(OUTAGE_ID)
  const scorecard = fixtureScorecard(events, buildReport(events, {now: FIXTURE_NOW}), FIXTURE_NOW)
  scorecard.messages.drafts = ['../artifacts/rca.md']
  await mkdir(join(home, 'drills', OUTAGE_ID, 'artifacts'), {recursive: true})
  await writeFile(join(home, 'drills', OUTAGE_ID, 'artifacts', 'scorecard.json'), JSON.stringify(scorecard))
  vi.useFakeTimers({toFake: ['Date'], now: FIXTURE_NOW})
})

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllEnvs()
})

describe('jwkr drill report', () => {
  it('formats the report for the terminal: no Markdown syntax, no escapes', async () => {
    const {stdout, error} = await run(['drill', 'report', OUTAGE_ID, '--home', home])
    expect(error).toBeUndefined()
    expect(stdout).toContain(`Drill ${OUTAGE_ID}: scenario basic`)
    expect(stdout).toContain('Root cause analysis: leaked signing key ctrVioBNyS21qaggw9wJbbzKbpG2TpIsKRipETuogFQ')
    expect(stdout).toContain('carol@oncall-1')
    // No heading marks, code fences, table rules or backslash escapes of the Markdown source
    expect(stdout).not.toMatch(/^#+ |`|\|---|\\[@_*[\]<>|]/m)
    // Tables laid out as tables (no border: table.ts's layout, as every jwkr table)
    expect(stdout).toMatch(/^ *billing-api +probe +contained/m)
  })

  it('fits the terminal it is given: no line wider, no escape code as text, no library warning', async () => {
    for (const columns of [60, 80]) {
      const width = Object.getOwnPropertyDescriptor(process.stdout, 'columns')
      Object.defineProperty(process.stdout, 'columns', {value: columns, configurable: true})
      try {
        const {stdout, stderr, error} = await run(['drill', 'report', OUTAGE_ID, '--home', home])
        expect(error).toBeUndefined()
        expect(stdout.split('\n').filter((line) => [...line].length > columns)).toEqual([])
        expect(stdout).not.toContain('\\x1b')
        expect(stderr).not.toContain('Could not find the language')
        // The seven-column services table does not fit: each service is an item, its facts under it
        if (columns === 60) expect(stdout).toMatch(/^- Service: billing-api\n {2}Verifier: jose\n/m)
      } finally {
        if (width) Object.defineProperty(process.stdout, 'columns', width)
        else delete (process.stdout as {columns?: number}).columns
      }
    }
  })

  it('--json carries the scorecard, as jwkr drill --json has it, and the RCA’s report model', async () => {
    const {stdout, error, result} = await run(['drill', 'report', OUTAGE_ID, '--home', home, '--json'])
    expect(error).toBeUndefined()
    const written = JSON.parse(await readFile(join(home, 'drills', OUTAGE_ID, 'artifacts', 'scorecard.json'), 'utf8')) as {
      checks: unknown[]
      outcome: unknown
    }
    const json = JSON.parse(stdout) as Record<string, unknown>
    expect(json).toEqual(result)
    expect(json).toMatchObject({
      drill: OUTAGE_ID,
      out: null,
      opened: null,
      scorecard: {drill: OUTAGE_ID, scenario: 'basic', checks: written.checks, outcome: written.outcome},
      rca: {incident: {id: OUTAGE_ID, drill: true}, key: {thumbprint: expect.any(String)}},
    })
  })

  it('reads a scorecard an older jwkr wrote into today’s shape: checks passed or failed, the drill’s exit code apart from the run’s', async () => {
    // Given a scorecard from before "not checked" and runExitCode: checks with ok only, outcome.exitCode the run's 3
    const file = join(home, 'drills', OUTAGE_ID, 'artifacts', 'scorecard.json')
    const card = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown> & {
      checks: Array<Record<string, unknown>>
      outcome: Record<string, unknown>
    }
    card.checks = [
      {name: 'every service contained', expected: true, actual: true, ok: true},
      {name: 'Slack status posted', expected: true, actual: false, ok: false},
    ]
    card.outcome = {status: 'proven', exitCode: 3, summary: 'containment proven; 1 step failed: notify-github', missing: []}
    Object.assign(card, {passed: false, contained: true})
    await writeFile(file, JSON.stringify(card))
    // When its report is asked for as JSON
    const {result} = await run(['drill', 'report', OUTAGE_ID, '--home', home, '--json'])
    // Then each check is passed or failed as it said, and the drill's exit code (1: contained, not passed) is told from the run's
    expect(result).toMatchObject({
      scorecard: {
        checks: [
          {name: 'every service contained', result: 'passed'},
          {name: 'Slack status posted', result: 'failed'},
        ],
        outcome: {exitCode: 1, runExitCode: 3},
      },
    })
  })

  it('prints the Markdown source with --markdown', async () => {
    const {stdout, error} = await run(['drill', 'report', OUTAGE_ID, '--home', home, '--markdown'])
    expect(error).toBeUndefined()
    expect(stdout).toContain(`# Drill \`${OUTAGE_ID}\``)
    expect(stdout).toContain('carol\\@oncall-1')
  })

  it('shows the drafts relative to the folder it runs in, not to the drill’s world folder', async () => {
    const artifacts = join(home, 'drills', OUTAGE_ID, 'artifacts')
    // From the workspace: a path below it
    const below = await renderDrillReport({home, id: OUTAGE_ID, secrets: new SecretRegistry(), now: FIXTURE_NOW, cwd: home})
    expect(below.text).toContain(`- Draft: \`${join('drills', OUTAGE_ID, 'artifacts', 'rca.md')}\``)
    expect(below.text).not.toContain('../artifacts/rca.md')
    // From elsewhere: the absolute path
    const elsewhere = await renderDrillReport({
      home,
      id: OUTAGE_ID,
      secrets: new SecretRegistry(),
      now: FIXTURE_NOW,
      cwd: await mkdtemp(join(tmpdir(), 'jwkr-elsewhere-')),
    })
    expect(elsewhere.text).toContain(`- Draft: \`${join(artifacts, 'rca.md')}\``)
  })

  it('opens the HTML report with the opener, writing it into the drill’s artifacts first', async () => {
    // Given an opener that records what it was asked to open
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-opener-'))
    const log = join(dir, 'opened.txt')
    const opener = join(dir, 'opener.sh')
    await writeFile(opener, `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}'\n`)
    await chmod(opener, 0o755)
    vi.stubEnv('JWKR_OPENER', opener)
    // When the drill report is opened
    const {error, result} = await run(['drill', 'report', OUTAGE_ID, '--home', home, '--open', '--json'])
    expect(error).toBeUndefined()
    // Then the opener got the absolute path of the HTML report, which holds the drill's RCA
    const file = resolve(home, 'drills', OUTAGE_ID, 'artifacts', 'drill-rca.html')
    await vi.waitFor(async () => expect((await readFile(log, 'utf8')).trim()).toBe(file), {timeout: 5000})
    expect(await readFile(file, 'utf8')).toMatch(/<!doctype html>[\s\S]*DRILL/)
    expect(result).toMatchObject({drill: OUTAGE_ID, opened: expect.stringContaining('drill-rca.html')})
    // And without --json it says what it opened, with what
    const {stderr} = await run(['drill', 'report', OUTAGE_ID, '--home', home, '--open'])
    expect(stderr).toMatch(new RegExp(`Opened \\S*drill-rca\\.html \\(${opener.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`))
  })

  it('chooses the platform’s opener', () => {
    expect(openerCommand('/r.html', {platform: 'linux', env: {}})).toEqual({command: 'xdg-open', args: ['/r.html']})
    expect(openerCommand('/r.html', {platform: 'darwin', env: {}})).toEqual({command: 'open', args: ['/r.html']})
    expect(openerCommand('C:\\r.html', {platform: 'win32', env: {}})).toEqual({
      command: 'cmd',
      args: ['/c', 'start', '""', 'C:\\r.html'],
    })
    expect(openerCommand('/r.html', {platform: 'linux', env: {JWKR_OPENER: 'firefox'}})).toEqual({
      command: 'firefox',
      args: ['/r.html'],
    })
  })

  it('says what to do when the opener cannot start', async () => {
    vi.stubEnv('JWKR_OPENER', join(tmpdir(), 'no-such-opener'))
    const {error, stderr} = await run(['drill', 'report', OUTAGE_ID, '--home', home, '--open'])
    expect(error).toBeDefined()
    expect(stderr).toMatch(/Could not open .*drill-rca\.html with .*no-such-opener/)
    expect(stderr).toContain('JWKR_OPENER')
  })
})
