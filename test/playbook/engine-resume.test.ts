import {readdir, readFile, stat} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {http, HttpResponse} from 'msw'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {SecretRegistry} from '../../src/core/secrets.js'
import {withIncidentJournal} from '../../src/incident/incident-journal.js'
import {startRun, resumeRun} from '../../src/playbook/respond.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../helpers/engine-harness.js'
import {startEffectServer, type EffectServer} from '../helpers/effect-server.js'
import {server as msw} from '../helpers/msw.js'

const NO_WAIT = {retries: 0, factor: 1, minTimeout: 0, maxTimeout: 0}

describe('resuming an incident', () => {
  let effects: EffectServer
  beforeEach(async () => {
    effects = await startEffectServer()
  })
  afterEach(async () => {
    await effects.close()
  })

  const twoSteps = `steps:
  - id: safe
    uses: test.echo
  - id: change
    uses: test.effect
    with: {name: rotate}
`

  it('continues a run that stopped for approval, without redoing finished steps', async () => {
    // Given a run that stopped before its side effect (no terminal, no --yes)
    const home = await tempHome()
    const calls = new Map<string, number>()
    const registry = registryWith({calls, effectUrl: effects.url})
    const file = await writePlaybook(home, twoSteps)
    const first = await startRun({...baseOptions(home), playbook: file, registry, ui: scriptedUi({}, false)})
    expect(first.status).toBe('waiting')
    // When it is resumed with --yes
    const second = await resumeRun({...baseOptions(home), id: first.incident, registry, yes: true, ui: scriptedUi({}, false)})
    // Then it completes, the finished step did not run again, and the effect was made once
    expect(second.status).toBe('completed')
    expect(calls.get('safe')).toBe(1)
    expect([...effects.counts.values()]).toEqual([1])
    const types = (await readJournal(home, first.incident)).map((e) => e.type)
    expect(types.filter((t) => t === 'incident.resumed')).toHaveLength(1)
    expect(types.filter((t) => t === 'step.approved')).toHaveLength(1)
  })

  it('does not make an effect again when its step is retried after the effect was done', async () => {
    // Given a step that makes its change and then fails once, with a retry
    const home = await tempHome()
    const calls = new Map<string, number>()
    const file = await writePlaybook(
      home,
      `steps:
  - id: change
    uses: test.effect-unknown
    with: {name: rotate, failAfterEffect: 1}
    retry: {attempts: 2, backoff: 1ms}
`,
    )
    // When it runs
    const result = await startRun({
      ...baseOptions(home),
      playbook: file,
      registry: registryWith({calls, effectUrl: effects.url}),
      yes: true,
      ui: scriptedUi({}, false),
    })
    // Then the step ran twice but the remote saw one change, and the second attempt got its ref back
    expect(result.status).toBe('completed')
    expect(calls.get('change')).toBe(2)
    expect([...effects.counts.values()]).toEqual([1])
    expect(result.steps[0]?.outputs).toMatchObject({ref: expect.stringContaining('remote-')})
  })

  it('asks the remote side whether an interrupted effect happened, and does not repeat it', async () => {
    // Given a run interrupted after the change reached the remote but before its answer came back
    const home = await tempHome()
    const registry = registryWith({effectUrl: effects.url})
    const file = await writePlaybook(home, twoSteps)
    effects.hang = true
    const controller = new AbortController()
    void effects.nextPost().then(() => controller.abort())
    const first = await startRun({
      ...baseOptions(home),
      playbook: file,
      registry,
      yes: true,
      signal: controller.signal,
      ui: scriptedUi({}, false),
    })
    expect(first.status).toBe('paused')
    const before = await readJournal(home, first.incident)
    expect(before.some((e) => e.type === 'effect.intent')).toBe(true)
    expect(before.some((e) => e.type === 'effect.done')).toBe(false)
    // When it is resumed
    effects.hang = false
    const second = await resumeRun({...baseOptions(home), id: first.incident, registry, yes: true, ui: scriptedUi({}, false)})
    // Then the engine found the change at the remote and did not make it twice
    expect(second.status).toBe('completed')
    expect([...effects.counts.values()]).toEqual([1])
    const done = (await readJournal(home, first.incident)).filter((e) => e.type === 'effect.done')
    expect(done).toHaveLength(1)
    expect(done[0]?.data).toMatchObject({recovered: true})
  })

  it('repeats an effect the remote cannot confirm only with approval, and records the repeat', async () => {
    const home = await tempHome()
    const registry = registryWith({effectUrl: effects.url})
    const file = await writePlaybook(
      home,
      `steps:
  - id: change
    uses: test.effect-unknown
    with: {name: notify}
`,
    )
    effects.hang = true
    const controller = new AbortController()
    void effects.nextPost().then(() => controller.abort())
    const first = await startRun({
      ...baseOptions(home),
      playbook: file,
      registry,
      yes: true,
      signal: controller.signal,
      ui: scriptedUi({}, false),
    })
    effects.hang = false
    // On a terminal the responder is asked, and "no" leaves the effect unmade
    const refused = await resumeRun({
      ...baseOptions(home),
      id: first.incident,
      registry,
      ui: scriptedUi({gates: ['proceed'], repeats: [false]}),
    })
    expect(refused.status).toBe('failed')
    expect(refused.steps[0]?.error?.code).toBe('ERR_APPROVAL_REQUIRED')
    expect([...effects.counts.values()]).toEqual([1])
    // Under --yes it is repeated, and the journal says so
    const repeated = await resumeRun({...baseOptions(home), id: first.incident, registry, yes: true, ui: scriptedUi({}, false)})
    expect(repeated.status).toBe('completed')
    expect([...effects.counts.values()]).toEqual([2])
    const events = await readJournal(home, first.incident)
    expect(events.filter((e) => e.type === 'effect.repeated').map((e) => e.data.reason)).toEqual(['repeated under --yes'])
  })
})

describe('the effect rule through the engine, for an effect left unknown', () => {
  let effects: EffectServer
  beforeEach(async () => {
    effects = await startEffectServer()
  })
  afterEach(async () => {
    await effects.close()
  })

  /** A run stopped for approval, whose journal then gets an intent without its result (a crash between the two). */
  async function interrupted(uses: 'test.effect' | 'test.effect-unknown') {
    const home = await tempHome()
    const registry = registryWith({effectUrl: effects.url})
    const file = await writePlaybook(home, `steps:\n  - id: change\n    uses: ${uses}\n    with: {name: rotate}\n`)
    const first = await startRun({...baseOptions(home), playbook: file, registry, ui: scriptedUi({}, false)})
    await withIncidentJournal(home, first.incident, {secrets: new SecretRegistry()}, async (journal) => {
      await journal.append('effect.intent', {step: 'change', key: `${first.incident}:rotate`, description: 'POST rotate'})
    })
    const resume = (options: {yes?: boolean; ui: ReturnType<typeof scriptedUi>}) =>
      resumeRun({
        ...baseOptions(home),
        id: first.incident,
        registry,
        yes: options.yes ?? false,
        ui: options.ui,
        reconcileWindow: NO_WAIT,
      })
    return {resume, journal: () => readJournal(home, first.incident)}
  }

  it('makes it, without asking, when the remote says it was not made', async () => {
    const run = await interrupted('test.effect')
    const ui = scriptedUi({gates: ['proceed']})
    const result = await run.resume({ui})
    expect(result.status).toBe('completed')
    expect([...effects.counts.values()]).toEqual([1])
    expect(ui.asked.filter((question) => question.startsWith('repeat'))).toEqual([])
    expect((await run.journal()).some((event) => event.type === 'effect.repeated')).toBe(false)
  })

  it('on a terminal, asks and makes it again when the responder says so', async () => {
    const run = await interrupted('test.effect-unknown')
    const ui = scriptedUi({gates: ['proceed'], repeats: [true]})
    const result = await run.resume({ui})
    expect(result.status).toBe('completed')
    expect(ui.asked).toContain('repeat change')
    expect([...effects.counts.values()]).toEqual([1])
    const repeated = (await run.journal()).filter((event) => event.type === 'effect.repeated')
    expect(repeated.map((event) => event.data.reason)).toEqual(['repeated by the responder'])
  })

  it('refuses with ERR_APPROVAL_REQUIRED when the responder says no, making nothing', async () => {
    const run = await interrupted('test.effect-unknown')
    const result = await run.resume({ui: scriptedUi({gates: ['proceed'], repeats: [false]})})
    expect(result.steps[0]?.error).toMatchObject({code: 'ERR_APPROVAL_REQUIRED'})
    expect(effects.counts.size).toBe(0)
  })
})

describe('a dry run', () => {
  it('plans every step, makes no network call, and writes nothing outside the incident', async () => {
    // Given a playbook whose side effect would call an outside API (answered by msw, which counts)
    const home = await tempHome()
    const requests: string[] = []
    msw.use(
      http.all('https://idp.example.test/*', ({request}) => {
        requests.push(request.url)
        return HttpResponse.json({id: 'x'})
      }),
    )
    const calls = new Map<string, number>()
    const file = await writePlaybook(
      home,
      `steps:
  - id: safe
    uses: test.echo
  - id: change
    uses: test.effect
    with: {name: rotate}
`,
    )
    const before = await snapshot(home)
    // When it is dry-run
    const result = await startRun({
      ...baseOptions(home),
      playbook: file,
      dryRun: true,
      registry: registryWith({calls, effectUrl: 'https://idp.example.test'}),
      ui: scriptedUi({}, false),
    })
    // Then every step is planned with its calls, no handler with effects ran, no request was made
    expect(result.steps.map((s) => s.status)).toEqual(['planned', 'planned'])
    expect(result.steps[1]?.plan).toEqual([
      {kind: 'http', target: 'POST https://idp.example.test/effects/rotate', description: 'make the change'},
    ])
    expect(requests).toEqual([])
    expect(calls.size).toBe(0)
    // And the only new files are inside the incident's folder (and the workspace's own .gitignore)
    const after = await snapshot(home)
    const added = [...after.keys()].filter((path) => !before.has(path) && path !== '.gitignore')
    expect(added.every((path) => path.startsWith(`incidents/${result.incident}/`))).toBe(true)
    expect(added).toContain(`incidents/${result.incident}/journal.jsonl`)
    const journal = await readFile(join(home, 'incidents', result.incident, 'journal.jsonl'), 'utf8')
    expect(journal).toContain('"step.planned"')
    expect(journal).not.toContain('"step.started"')
  })
})

async function snapshot(root: string): Promise<Map<string, number>> {
  const files = new Map<string, number>()
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path)
      else files.set(relative(root, path), (await stat(path)).size)
    }
  }
  await walk(root)
  return files
}
