// Crash tests: a child process runs a playbook and is killed with SIGKILL at chosen moments (during
// a side effect, during core.wait, at random times); `resumeRun` must complete the incident, never
// redo a finished step, make the side effect exactly once, and leave a journal that verifies.
import {spawn, type ChildProcess} from 'node:child_process'
import {readFile, truncate, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {verifyIncident} from '../../src/incident/verify-incident.js'
import {resumeRun} from '../../src/playbook/respond.js'
import {startEffectServer, type EffectServer} from '../helpers/effect-server.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../helpers/engine-harness.js'
import {projectRoot} from '../helpers/run.js'

const PLAYBOOK = `steps:
  - id: before
    uses: test.echo
    with: {value: 1}
  - id: change
    uses: test.effect
    with: {name: rotate}
  - id: wait
    uses: core.wait
    with: {duration: 1500ms}
  - id: after
    uses: core.note
    with: {text: done}
`

function spawnRun(home: string, playbook: string, effectUrl: string): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'test/fixtures/crash-runner.ts'), home, playbook, effectUrl],
    {
      cwd: projectRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
}

async function killWhen(child: ChildProcess, condition: () => Promise<boolean>, afterMs = 0): Promise<void> {
  // Up to 30 s for the moment to come: on a loaded machine tsx alone can take several seconds to start.
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline && child.exitCode === null) {
    if (await condition()) break
    await sleep(10)
  }
  if (afterMs > 0) await sleep(afterMs)
  child.kill('SIGKILL')
  await new Promise((resolve) => child.once('close', resolve))
}

async function incidentId(home: string): Promise<string> {
  const {readdir} = await import('node:fs/promises')
  const [id] = await readdir(join(home, 'incidents'))
  if (!id) throw new Error('no incident was opened')
  return id
}

async function journalHas(home: string, predicate: (type: string, data: Record<string, unknown>) => boolean): Promise<boolean> {
  try {
    const events = await readJournal(home, await incidentId(home))
    return events.some((e) => predicate(e.type, e.data))
  } catch {
    return false
  }
}

async function resumeAndCheck(home: string, effects: EffectServer): Promise<void> {
  const id = await incidentId(home)
  const result = await resumeRun({
    ...baseOptions(home),
    id,
    registry: registryWith({effectUrl: effects.url}),
    yes: true,
    ui: scriptedUi({}, false),
  })
  expect(result.status).toBe('completed')
  expect([...effects.counts.values()]).toEqual([1])
  const events = await readJournal(home, id)
  const succeeded = events.filter((e) => e.type === 'step.succeeded').map((e) => e.data.step)
  expect(succeeded.sort()).toEqual(['after', 'before', 'change', 'wait'])
  expect(await verifyIncident(home, id)).toMatchObject({ok: true, chain: 'keyed', warnings: []})
}

describe('crash and resume', {timeout: 60_000}, () => {
  let effects: EffectServer
  beforeEach(async () => {
    effects = await startEffectServer()
  })
  afterEach(async () => {
    await effects.close()
  })

  it('resumes after SIGKILL during a side effect, without making it twice', async () => {
    const home = await tempHome()
    const playbook = await writePlaybook(home, PLAYBOOK)
    effects.hang = true
    const child = spawnRun(home, playbook, effects.url)
    await effects.nextPost()
    await killWhen(child, async () => true)
    effects.hang = false
    expect(await journalHas(home, (type) => type === 'effect.intent')).toBe(true)
    await resumeAndCheck(home, effects)
  })

  it('resumes after SIGKILL inside core.wait, keeping the steps already done', async () => {
    const home = await tempHome()
    const playbook = await writePlaybook(home, PLAYBOOK)
    const child = spawnRun(home, playbook, effects.url)
    await killWhen(child, () => journalHas(home, (type, data) => type === 'step.started' && data.step === 'wait'))
    expect(await journalHas(home, (type, data) => type === 'step.succeeded' && data.step === 'change')).toBe(true)
    await resumeAndCheck(home, effects)
  })

  it('resumes after SIGKILL between steps', async () => {
    const home = await tempHome()
    const playbook = await writePlaybook(home, PLAYBOOK)
    const child = spawnRun(home, playbook, effects.url)
    await killWhen(child, () => journalHas(home, (type, data) => type === 'step.succeeded' && data.step === 'change'))
    await resumeAndCheck(home, effects)
  })

  it('resumes after kills at many moments of a run, every time', async () => {
    // Kill points measured from the moment the incident opened, spread over the whole run
    for (const delay of [0, 60, 250, 700, 1400]) {
      const home = await tempHome()
      const local = await startEffectServer()
      try {
        const playbook = await writePlaybook(home, PLAYBOOK)
        const child = spawnRun(home, playbook, local.url)
        await killWhen(child, () => journalHas(home, (type) => type === 'incident.opened'), delay)
        const id = await incidentId(home)
        const result = await resumeRun({
          ...baseOptions(home),
          id,
          registry: registryWith({effectUrl: local.url}),
          yes: true,
          ui: scriptedUi({}, false),
        })
        expect(result.status, `killed ${delay} ms after opening`).toBe('completed')
        expect([...local.counts.values()], `killed ${delay} ms after opening`).toEqual([1])
      } finally {
        await local.close()
      }
    }
  })

  it('resumes a journal whose last line was cut by a power loss', async () => {
    // Given a run killed during the wait, and then the journal's last line torn in half
    const home = await tempHome()
    const playbook = await writePlaybook(home, PLAYBOOK)
    const child = spawnRun(home, playbook, effects.url)
    await killWhen(child, () => journalHas(home, (type, data) => type === 'step.started' && data.step === 'wait'))
    const file = join(home, 'incidents', await incidentId(home), 'journal.jsonl')
    const text = await readFile(file, 'utf8')
    const lastLine = text.trimEnd().split('\n').at(-1) ?? ''
    await truncate(file, Buffer.byteLength(text.trimEnd()) - Math.floor(lastLine.length / 2))
    // When it is resumed, it repairs the tail and completes
    await resumeAndCheck(home, effects)
    expect(await journalHas(home, (type) => type === 'journal.repaired')).toBe(true)
  })

  it("refuses a second process while one holds the incident, and takes over a dead one's lock", async () => {
    const home = await tempHome()
    const playbook = await writePlaybook(home, PLAYBOOK)
    const child = spawnRun(home, playbook, effects.url)
    await killWhen(child, () => journalHas(home, (type, data) => type === 'step.started' && data.step === 'wait'))
    const id = await incidentId(home)
    // A lock held by a live process (this one, on this host) refuses the resume
    const lockFile = join(home, 'incidents', id, 'lock')
    const dead = await readFile(lockFile, 'utf8')
    await writeFile(lockFile, JSON.stringify({...JSON.parse(dead), pid: process.pid}))
    await expect(
      resumeRun({
        ...baseOptions(home),
        id,
        registry: registryWith({effectUrl: effects.url}),
        yes: true,
        ui: scriptedUi({}, false),
      }),
    ).rejects.toMatchObject({code: 'ERR_INCIDENT_LOCKED'})
    // The killed child's lock (a dead pid) is taken over
    await writeFile(lockFile, dead)
    await resumeAndCheck(home, effects)
  })
})
