import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {tempHome} from '../helpers/engine-harness.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

const example = join(projectRoot, 'examples/leaked-signing-key.json')

describe('jwkr respond', () => {
  let home: string
  let privateValues: string[]
  beforeEach(async () => {
    home = await tempHome()
    const jwk = JSON.parse(await readFile(example, 'utf8')) as Record<string, string>
    privateValues = ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((m) => jwk[m] as string)
    delete process.env.JWKR_INVENTORY
  })
  afterEach(() => {
    delete process.env.JWKR_HOME
  })

  it('runs the standard playbook to the end with --yes and never writes a private value', async () => {
    // When a responder runs the standard playbook unattended on the example leaked key, without an inventory
    const {stdout, stderr, error} = await run(['respond', '--key', example, '--yes', '--home', home, '--json'])
    // Then every step ran or was skipped, yet nothing was contained: exit 4, not 0 (see the outcome tests below)
    expect(exitCodeOf(error)).toBe(4)
    const result = JSON.parse(stdout)
    expect(result.status).toBe('completed')
    expect(result.outcome.status).toBe('not-attempted')
    // And every step is accounted for, and nothing private reached any output
    expect(result.steps.find((s: {id: string}) => s.id === 'inspect')).toMatchObject({
      status: 'succeeded',
      outputs: {private: true, severity: 'critical', kid: 'example-signing-2026'},
    })
    expect(result.steps.find((s: {id: string}) => s.id === 'not-a-leak').status).toBe('skipped')
    const journal = await readFile(join(home, 'incidents', result.incident, 'journal.jsonl'), 'utf8')
    for (const value of privateValues) {
      expect(stdout + stderr).not.toContain(value)
      expect(journal).not.toContain(value)
    }
  })

  it('prints a line per step, then the incident id and the outcome line without --json', async () => {
    const {stdout, stderr, error} = await run(['respond', '--key', example, '--yes', '--home', home])
    expect(exitCodeOf(error)).toBe(4)
    expect(stderr).toMatch(/✓ inspect\s+private RSA \(RS256\) key/)
    expect(stdout).toMatch(/Incident \S+: completed \([^)]+\)\nContainment not attempted: .* \(exit 4\)/)
  })

  it('stops before the first step with side effects when there is no terminal and no --yes', async () => {
    // Given no terminal (tests never have one) and no --yes
    const {stderr, error} = await run(['respond', '--key', example, '--home', home])
    // Then it ends with exit 1, saying which step needs approval and how to go on
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain('"go-ahead"')
    expect(stderr).toMatch(/jwkr incident resume \S+ --yes/)
  })

  it('dry-runs: plans every step and runs nothing with side effects', async () => {
    const {stdout, error} = await run(['respond', '--key', example, '--dry-run', '--home', home, '--json'])
    expect(error).toBeUndefined()
    const result = JSON.parse(stdout)
    expect(result.steps.find((s: {id: string}) => s.id === 'go-ahead')).toMatchObject({
      status: 'planned',
      plan: [{kind: 'manual'}],
    })
    // And it says it is a dry run: planned, not completed, under an id that cannot be a real incident's
    expect(result).toMatchObject({status: 'planned', dryRun: true, outcome: {exitCode: 0}})
    expect(result.incident).toMatch(/^dry-run-/)
    // And it keeps no incident: a dry run changes nothing, the workspace included (issue 15)
    await expect(readdir(join(home, 'incidents'))).rejects.toMatchObject({code: 'ENOENT'})
  })

  it('ends a dry run with "nothing was done" and no command naming an incident, even when the key has a real one', async () => {
    // Given a real incident for the key (the inspect-only playbook)
    const real = JSON.parse((await run(['playbook', 'run', 'inspect-only', '--key', example, '--home', home, '--json'])).stdout)
    const dryRuns = [
      ['respond', '--key', example, '--dry-run', '--home', home],
      ['playbook', 'run', 'inspect-only', '--key', example, '--dry-run', '--home', home],
      ['step', 'run', 'key.rotate', '--with', JSON.stringify({key: example}), '--dry-run', '--home', home],
    ]
    for (const args of dryRuns) {
      // When dry-run, then the closing block says nothing was done, names no incident and no next command
      const {stdout, stderr, error} = await run(args)
      expect(error).toBeUndefined()
      expect(stdout).toMatch(/^Dry run: nothing was done \(/m)
      expect(stdout).not.toMatch(/: completed|Next:|jwkr incident close|jwkr report rca/)
      expect(stdout).not.toMatch(new RegExp(`(?<!dry-run-)${real.incident}`))
      // And neither the header nor the planned calls name the scratch incident or its folder
      expect(stderr).toMatch(/^Dry run \(no change is made\) · playbook /m)
      expect(stdout + stderr).not.toMatch(/dry-run-|jwkr-dry-run/)
    }
    // And the real incident is the only one
    const list = JSON.parse((await run(['incident', 'list', '--home', home, '--json'])).stdout)
    expect(list.incidents.map((i: {id: string}) => i.id)).toEqual([real.incident])
  })

  it('refuses a bad key before opening an incident', async () => {
    const {stderr, error} = await run(['respond', '--key', join(home, 'missing.json'), '--yes', '--home', home])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain('No such file')
    await expect(readFile(join(home, 'incidents'), 'utf8')).rejects.toBeDefined()
  })

  it('exits 3 when the playbook finished with failed steps', async () => {
    const file = join(home, 'failing.yaml')
    await (
      await import('node:fs/promises')
    ).writeFile(
      file,
      `apiVersion: jwkr/v1
kind: Playbook
name: failing
description: The key step fails because the key is not there.
inputs:
  path: {type: string, required: true}
steps:
  - id: inspect
    uses: key.inspect
    with: {key: "\${{ inputs.path }}"}
    onFailure: continue
`,
    )
    const {stdout, error} = await run([
      'playbook',
      'run',
      file,
      '--input',
      `path=${join(home, 'nope.json')}`,
      '--yes',
      '--home',
      home,
      '--json',
    ])
    expect(exitCodeOf(error)).toBe(3)
    expect(JSON.parse(stdout)).toMatchObject({
      status: 'failed',
      steps: [{id: 'inspect', status: 'failed', error: {code: 'ERR_INPUT_NOT_FOUND'}}],
    })
  })

  it('lists, shows, verifies and closes the incident afterwards', async () => {
    const {stdout} = await run(['respond', '--key', example, '--yes', '--home', home, '--json'])
    const id = JSON.parse(stdout).incident as string
    const list = JSON.parse((await run(['incident', 'list', '--home', home, '--json'])).stdout)
    expect(list.incidents.map((i: {id: string}) => i.id)).toEqual([id])
    const shown = await run(['incident', 'show', id, '--home', home])
    expect(shown.stdout).toContain(`Incident ${id}`)
    expect(shown.stdout).toContain('Timeline')
    const verified = JSON.parse((await run(['incident', 'verify', id, '--home', home, '--json'])).stdout)
    expect(verified).toMatchObject({id, ok: true})
    // The run had no inventory, so containment was not attempted: a close without --yes is refused, naming the flag
    const refused = await run(['incident', 'close', id, '--home', home])
    expect(exitCodeOf(refused.error)).toBe(1)
    expect(refused.stderr).toContain(`Incident ${id} was not closed: containment not attempted: `)
    expect(refused.stderr).toContain('Closing it unproven needs --yes.')
    expect(refused.stderr).toContain(`jwkr incident close ${id} --yes --reason "why"`)
    expect(refused.stdout).not.toContain('closed.')
    const refusedJson = await run(['incident', 'close', id, '--home', home, '--json'])
    expect(exitCodeOf(refusedJson.error)).toBe(1)
    expect(JSON.parse(refusedJson.stdout)).toMatchObject({
      error: {code: 'ERR_APPROVAL_REQUIRED', details: {incident: id, outcome: 'not-attempted'}},
    })
    expect(JSON.parse((await run(['incident', 'list', '--home', home, '--json'])).stdout).incidents[0].status).toBe('completed')
    // With --yes it closes, warns, and the record carries that containment was not proven
    const human = await run(['incident', 'close', id, '--home', home, '--yes', '--reason', 'drill only'])
    expect(human.error).toBeUndefined()
    expect(human.stdout).toContain(`Incident ${id} closed with containment not attempted.`)
    expect(human.stderr).toMatch(/Closed with containment not attempted: .*no inventory/)
    const closed = JSON.parse((await run(['incident', 'show', id, '--home', home, '--json'])).stdout)
    expect(closed).toMatchObject({status: 'closed', closeReason: 'drill only', closedUnproven: {outcome: 'not-attempted'}})
    expect(closed.closedUnproven.missing[0]).toMatch(/skipped: no inventory/)
    const shownClosed = await run(['incident', 'show', id, '--home', home])
    expect(shownClosed.stdout).toMatch(/unproven {3}closed with containment not attempted: .*no inventory/)
    expect(shownClosed.stdout).toContain('Incident closed with containment not attempted: drill only')
    const listed = await run(['incident', 'list', '--home', home])
    expect(listed.stdout).toMatch(new RegExp(`${id}\\tclosed \\(unproven\\)`))
    const resumed = await run(['incident', 'resume', id, '--home', home, '--yes'])
    expect(exitCodeOf(resumed.error)).toBe(1)
    expect(resumed.stderr).toContain('is closed')
  })

  it('names the first broken event when a journal was edited', async () => {
    const {stdout} = await run(['respond', '--key', example, '--yes', '--home', home, '--json'])
    const id = JSON.parse(stdout).incident as string
    const file = join(home, 'incidents', id, 'journal.jsonl')
    const {writeFile} = await import('node:fs/promises')
    await writeFile(file, (await readFile(file, 'utf8')).replace('"severity":"critical"', '"severity":"info"'))
    const {stderr, error} = await run(['incident', 'verify', id, '--home', home])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toMatch(/broken at line \d+: Event \d+ does not match its hash/)
  })

  it('lists an incident whose journal was edited as broken, never by the status of the events before the break', async () => {
    // Given a finished run, then one byte of its journal changed
    const {stdout} = await run(['respond', '--key', example, '--yes', '--home', home, '--json'])
    const id = JSON.parse(stdout).incident as string
    const file = join(home, 'incidents', id, 'journal.jsonl')
    const {writeFile} = await import('node:fs/promises')
    await writeFile(file, (await readFile(file, 'utf8')).replace('"severity":"critical"', '"severity":"info"'))
    // When listed: the table says so, stderr names the command that shows why, and --json says broken
    const listed = await run(['incident', 'list', '--home', home])
    expect(listed.error).toBeUndefined()
    expect(listed.stdout).toMatch(new RegExp(`${id}\\tjournal broken\\t`))
    expect(listed.stdout).not.toMatch(new RegExp(`${id}\\trunning`))
    expect(listed.stderr).toContain(
      `Incident ${id}: its journal fails verification, so its status cannot be read. Check it with: jwkr incident verify ${id}`,
    )
    const json = JSON.parse((await run(['incident', 'list', '--home', home, '--json'])).stdout)
    expect(json.incidents.find((i: {id: string}) => i.id === id)).toMatchObject({status: 'broken', intact: false})
  })
})
