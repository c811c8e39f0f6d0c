// Issue 15: `jwkr respond` for a key whose incident is waiting offers to resume it on a terminal,
// refuses without one naming both ways on (resume it, or --new), and --new opens another.
import {mkdtemp, readdir, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {keys, runOnTerminal} from '../helpers/pty.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

const example = join(projectRoot, 'examples/leaked-signing-key.json')

describe('jwkr respond for a key with an unfinished incident', {timeout: 240_000}, () => {
  let home: string
  let first: string

  beforeAll(async () => {
    // Given an incident for the key left waiting at the go-ahead gate (no terminal, no --yes)
    home = join(await mkdtemp(join(tmpdir(), 'jwkr-open-incident-')), '.jwkr')
    const {error} = await run(['respond', '--key', example, '--home', home])
    expect(exitCodeOf(error)).toBe(1)
    first = (await readdir(join(home, 'incidents')))[0] ?? ''
  })

  it('without a terminal refuses, naming the incident to resume and --new', async () => {
    const {stderr, error} = await run(['respond', '--key', example, '--home', home])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain(`already has an unfinished incident: ${first}`)
    expect(stderr).toContain(
      `Resume it with jwkr incident resume ${first}, or start another incident for the same key with jwkr respond --new`,
    )
    expect(await readdir(join(home, 'incidents'))).toEqual([first])
  })

  it('on a terminal offers to resume it, and resumes it in place of opening another', async () => {
    const {screen} = await runOnTerminal(
      ['respond', '--key', example, '--home', home],
      [{waitFor: /What now\?/, send: keys.enter}],
      {},
      200_000,
      keys.enter,
    )
    expect(screen).toContain(`This key already has an unfinished incident, ${first}`)
    expect(await readdir(join(home, 'incidents'))).toEqual([first])
    const journal = await readFile(join(home, 'incidents', first, 'journal.jsonl'), 'utf8')
    expect(journal).toContain('"incident.resumed"')
  })

  it('--new opens a second incident for the same key', async () => {
    const {error} = await run(['respond', '--key', example, '--home', home, '--new'])
    expect(exitCodeOf(error)).toBe(1) // waiting at its own go-ahead gate, as the first did
    const incidents = await readdir(join(home, 'incidents'))
    expect(incidents).toHaveLength(2)
    expect(incidents).toContain(`${first}-2`)
  })
})
