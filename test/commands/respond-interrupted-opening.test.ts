// A crash while an incident is being opened leaves a folder, perhaps a stale lock, the playbook copy or
// an empty journal.jsonl, but no opening in the journal. `incident resume` must not end with nothing
// happening and nothing said: it says what happened and what to run, and `respond` with the same key
// takes the folder over and starts it from the top. An incident whose opening was journaled but whose
// playbook.loaded was not (as an earlier jwkr wrote them one at a time) resumes from the top.
import {spawnSync} from 'node:child_process'
import {readdir, readFile, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {calculateJwkThumbprint, type JWK} from 'jose'

import {SecretRegistry} from '../../src/core/secrets.js'
import {Journal} from '../../src/incident/journal.js'
import {createIncident, type IncidentLocation} from '../../src/incident/workspace.js'
import {resumeRun} from '../../src/playbook/respond.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../helpers/engine-harness.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

const example = join(projectRoot, 'examples/leaked-signing-key.json')

/** The pid of a process that has ended. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid as number
}

type PartialState = (location: IncidentLocation) => Promise<void>

/** What a crash at each point of the opening leaves beside the folder. */
const PARTIAL_STATES: Array<[string, PartialState]> = [
  ['the folder only', async () => {}],
  [
    'the folder and the lock of the killed process',
    async (location) => {
      const lock = {pid: deadPid(), host: hostname(), since: new Date().toISOString(), token: 'x'}
      await writeFile(join(location.dir, 'lock'), JSON.stringify(lock))
    },
  ],
  [
    'the playbook copy',
    async (location) =>
      writeFile(join(location.dir, 'playbook.yaml'), await readFile(join(projectRoot, 'playbooks/leaked-signing-key.yaml'))),
  ],
  [
    'the playbook copy and an empty journal.jsonl',
    async (location) => {
      await writeFile(join(location.dir, 'playbook.yaml'), await readFile(join(projectRoot, 'playbooks/leaked-signing-key.yaml')))
      await writeFile(location.journalPath, '')
    },
  ],
  ['a journal cut off in its first line', async (location) => writeFile(location.journalPath, '{"seq":1,"ts":"2026-')],
]

describe('an incident interrupted while being opened', {timeout: 60_000}, () => {
  let thumbprint: string
  let home: string
  beforeAll(async () => {
    thumbprint = await calculateJwkThumbprint(JSON.parse(await readFile(example, 'utf8')) as JWK, 'sha256')
  })
  beforeEach(async () => {
    home = await tempHome()
    delete process.env.JWKR_INVENTORY
  })

  for (const [name, leave] of PARTIAL_STATES) {
    it(`left as ${name}: resume says so and what to run; respond with the key starts it from the top`, async () => {
      // Given the folder a killed `respond` left for the example key
      const location = await createIncident(home, {thumbprint, now: new Date()})
      await leave(location)
      const before = await readFile(location.journalPath, 'utf8').catch(() => null)
      // When it is resumed, then it exits 1 saying it was interrupted while being opened, and what to run
      const resumed = await run(['incident', 'resume', location.id, '--yes', '--home', home])
      expect(exitCodeOf(resumed.error)).toBe(1)
      expect(resumed.stderr).toContain(`Incident ${location.id} was interrupted while being opened`)
      expect(resumed.stderr).toContain('nothing was changed')
      expect(resumed.stderr).toContain('jwkr respond --key FILE again')
      // And nothing was written
      expect(await readFile(location.journalPath, 'utf8').catch(() => null)).toBe(before)
      // When the responder runs respond again with the same key
      const responded = await run(['respond', '--key', example, '--yes', '--home', home])
      // Then it says it takes the interrupted incident over, and runs it from the top in the same folder
      expect(responded.stderr).toContain(
        `Incident ${location.id} was interrupted while being opened (nothing ran): opening it again from the top.`,
      )
      expect(exitCodeOf(responded.error)).toBe(4)
      expect(responded.stdout).toContain(`Incident ${location.id}: completed`)
      expect(await readdir(join(home, 'incidents'))).toEqual([location.id])
      const events = await readJournal(home, location.id)
      expect(events.slice(0, 2).map((event) => event.type)).toEqual(['incident.opened', 'playbook.loaded'])
      expect(events[0]?.data).toMatchObject({thumbprint, reopened: expect.stringContaining('interrupted')})
      // And the journal verifies
      const verified = await run(['incident', 'verify', location.id, '--home', home, '--json'])
      expect(JSON.parse(verified.stdout)).toMatchObject({ok: true, chain: 'keyed'})
    })
  }

  it('is not taken over while the process opening it is alive, nor when it keeps another key', async () => {
    // Given a folder for the key whose lock names this (live) process
    const held = await createIncident(home, {thumbprint, now: new Date()})
    await writeFile(
      join(held.dir, 'lock'),
      JSON.stringify({pid: process.pid, host: hostname(), since: new Date().toISOString(), token: 'x'}),
    )
    // And one that keeps a different key given on stdin
    const other = await createIncident(home, {thumbprint, now: new Date()})
    await (await import('node:fs/promises')).mkdir(join(other.artifactsDir, 'keys'), {recursive: true})
    await writeFile(join(other.artifactsDir, 'keys', 'leaked-key.source'), '{"kty":"oct","k":"c29tZXRoaW5nIGVsc2UgZW50aXJlbHk"}')
    // When respond runs for the key, then it opens a third incident and leaves both alone
    const {stdout} = await run(['respond', '--key', example, '--yes', '--home', home, '--json'])
    const id = JSON.parse(stdout).incident as string
    expect([held.id, other.id]).not.toContain(id)
    expect((await readdir(join(home, 'incidents'))).sort()).toEqual([held.id, other.id, id].sort())
  })
})

describe('an incident whose opening was journaled but not its playbook', () => {
  it('resumes from the top, saying so, and journals the playbook it runs', async () => {
    // Given an incident an earlier jwkr killed between incident.opened and playbook.loaded
    const home = await tempHome()
    const file = await writePlaybook(
      home,
      'steps:\n  - id: first\n    uses: test.echo\n    with: {value: 1}\n  - id: second\n    uses: core.note\n    with: {text: done}\n',
    )
    const location = await createIncident(home, {thumbprint: null, now: new Date()})
    await writeFile(join(location.dir, 'playbook.yaml'), await readFile(file))
    const journal = await Journal.create(location.journalPath, {secrets: new SecretRegistry()})
    await journal.append('incident.opened', {
      id: location.id,
      thumbprint: null,
      playbook: 'test-playbook',
      inputs: {},
      inventory: null,
    })
    await journal.close()
    // When it is resumed
    const notices: string[] = []
    const ui = {...scriptedUi({}, false), notice: (message: string) => notices.push(message)}
    const result = await resumeRun({...baseOptions(home), id: location.id, yes: true, registry: registryWith(), ui})
    // Then every step ran, from the first, and the responder was told why
    expect(result.status).toBe('completed')
    expect(result.steps.map((step) => [step.id, step.status])).toEqual([
      ['first', 'succeeded'],
      ['second', 'succeeded'],
    ])
    expect(notices).toEqual([`Incident ${location.id} was interrupted while being opened: starting its playbook from the top.`])
    const types = (await readJournal(home, location.id)).map((event) => event.type)
    expect(types.slice(0, 3)).toEqual(['incident.opened', 'incident.resumed', 'playbook.loaded'])
  })
})
