// Issue 15, widths and pipes: the list commands and `incident show` fit an 80- and a 120-column
// terminal, print tab-separated lines when piped, and take --columns, --csv, --no-header and --sort.
import {spawnSync} from 'node:child_process'
import {cpSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {beforeAll, describe, expect, it} from 'vitest'

import {printOnTerminal} from '../helpers/pty.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

let home: string

beforeAll(() => {
  // Given a workspace holding two incidents and two drills (the recorded fixture journals)
  home = join(mkdtempSync(join(tmpdir(), 'jwkr-table-output-')), '.jwkr')
  cpSync(join(projectRoot, 'test/fixtures/journals/home'), home, {recursive: true})
})

function widest(screen: string): number {
  return Math.max(...screen.split('\n').map((line) => line.length))
}

describe('tables on a terminal', {timeout: 300_000}, () => {
  for (const columns of [80, 120]) {
    it(`fit ${columns} columns: incident list (was 114), incident show (was 145), playbook list`, async () => {
      for (const args of [
        ['incident', 'list', '--drills', '--home', home],
        ['incident', 'show', '2026-03-14-ctrvio', '--home', home],
        ['playbook', 'list'],
      ]) {
        // When the command prints on a terminal that wide
        const {exitCode, screen} = await printOnTerminal(args, columns, {NO_COLOR: '1'})
        // Then it succeeds and no line runs past the edge
        expect(exitCode, screen).toBe(0)
        expect(widest(screen), `${args.join(' ')}\n${screen}`).toBeLessThanOrEqual(columns)
        expect(screen).not.toMatch(/[│┌─]{2}/)
      }
    })
  }
})

describe('tables piped', () => {
  it('are tab-separated lines with a header, one incident a line', async () => {
    const {stdout, error} = await run(['incident', 'list', '--drills', '--home', home])
    expect(exitCodeOf(error)).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('id\tstatus\tage\tplaybook\tthumbprint')
    expect(lines).toHaveLength(5)
    expect(
      lines.some((line) =>
        /^2026-03-14-ctrvio\t\w+\t[^\t]+\tleaked-signing-key\tctrVioBNyS21qaggw9wJbbzKbpG2TpIsKRipETuogFQ$/.test(line),
      ),
    ).toBe(true)
  })

  it('take --columns, --no-header and --sort=-age', async () => {
    const {stdout} = await run([
      'incident',
      'list',
      '--drills',
      '--home',
      home,
      '--columns',
      'id,status',
      '--no-header',
      '--sort=-age',
    ])
    const lines = stdout.trimEnd().split('\n')
    // The failed incident opened first (14 March, earliest), the inject drill last (15 March): oldest first when sorted by age, descending
    expect(lines).toEqual([
      expect.stringMatching(/^2026-03-14-failed\tfailed$/),
      expect.stringMatching(/^2026-03-14-ctrvio\t\w+$/),
      expect.stringMatching(/^2026-03-14-outage \(drill\)\tfailed$/),
      expect.stringMatching(/^2026-03-15-inject \(drill\)\t\w+$/),
    ])
  })

  it('print CSV with --csv', async () => {
    const {stdout} = await run(['step', 'list', '--csv', '--columns', 'step,notes'])
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('step,notes')
    expect(lines).toContain('key.rotate,"changes things, needs an inventory"')
    expect(lines).toContain('key.inspect,')
  })

  it('refuse an unknown column as a usage error (exit 2) naming the columns', async () => {
    const {stderr, error} = await run(['incident', 'list', '--home', home, '--drills', '--columns', 'stats'])
    expect(exitCodeOf(error)).toBe(2)
    expect(stderr).toContain('--columns: there is no column "stats" (did you mean "status"?).')
    expect(stderr).toContain('The columns are: id, status, age, playbook, thumbprint.')
  })
})

describe('the terminal layout (@oclif/table, with ink, react and yoga under it)', {timeout: 120_000}, () => {
  // Issue 18: loading it costs ~0.3 s, more than a whole `tokens scan` of a small log.
  const moduleLog = pathToFileURL(join(projectRoot, 'test/helpers/module-log.mjs')).href
  const loadsLayout = (log: string) => /node_modules\/(ink|@oclif\/table)\//.test(readFileSync(log, 'utf8'))

  it('is not loaded when the table is piped', () => {
    // Given a run of `incident list` whose stdout is a pipe, its modules logged
    const log = join(mkdtempSync(join(tmpdir(), 'jwkr-modules-')), 'piped.txt')
    const result = spawnSync(
      process.execPath,
      ['--import', moduleLog, 'bin/dev.js', 'incident', 'list', '--drills', '--home', home],
      {
        cwd: projectRoot,
        env: {...process.env, JWKR_MODULE_LOG: log},
        encoding: 'utf8',
      },
    )
    // Then the table is printed as lines, and no layout was loaded for it
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^id\tstatus\tage\tplaybook\tthumbprint\n/)
    expect(loadsLayout(log)).toBe(false)
  })

  it('is loaded, and lays the table out, on a terminal', async () => {
    // Given the same run on a terminal
    const log = join(mkdtempSync(join(tmpdir(), 'jwkr-modules-')), 'terminal.txt')
    const env = {
      JWKR_MODULE_LOG: log,
      NO_COLOR: '1',
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${moduleLog}`.trim(),
    }
    const {exitCode, screen} = await printOnTerminal(['incident', 'list', '--drills', '--home', home], 100, env)
    // Then the table is laid out in columns (no tabs), by the layout it loaded
    expect(exitCode, screen).toBe(0)
    expect(screen).toMatch(/^ *id +status +age +playbook +thumbprint *$/m)
    expect(screen).not.toContain('\t')
    expect(loadsLayout(log)).toBe(true)
  })
})
