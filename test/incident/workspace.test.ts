import {mkdir, mkdtemp, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {type JwkrError} from '../../src/core/errors.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {Journal} from '../../src/incident/journal.js'
import {acquireLock} from '../../src/incident/lock.js'
import {
  createIncident,
  ensureHome,
  findIncident,
  listIncidents,
  newIncidentId,
  resolveHome,
} from '../../src/incident/workspace.js'
import {tempDir, tickingClock} from './helpers.js'

const THUMBPRINT = '3F9a1c_QxN4Yp0tTQq3mKf1WmR2uZl9B6dXc5a8eH7s'
const NOV_29 = new Date('2026-11-29T03:12:00.000Z')

async function refusal(promise: Promise<unknown>): Promise<JwkrError> {
  try {
    await promise
  } catch (error) {
    return error as JwkrError
  }
  throw new Error('expected a refusal')
}

/** Opens an incident the way the engine does: folder, then journal with its first events. */
async function openIncident(
  home: string,
  options: {thumbprint: string | null; now: Date; drill?: boolean; finished?: 'completed' | 'failed'},
) {
  const location = await createIncident(home, options)
  const journal = await Journal.create(location.journalPath, {
    secrets: new SecretRegistry(),
    now: tickingClock(options.now.toISOString()),
  })
  await journal.append('incident.opened', {
    id: location.id,
    thumbprint: options.thumbprint,
    kid: 'prod-1',
    kty: 'RSA',
    alg: 'RS256',
    source: 'leaked.json',
    drill: options.drill === true,
    playbook: 'leaked-signing-key',
    inputs: {key: 'leaked.json'},
    startedBy: {user: 'ana', host: 'laptop'},
  })
  await journal.append('playbook.loaded', {
    name: 'leaked-signing-key',
    file: 'playbooks/leaked-signing-key.yaml',
    digest: 'abc',
    steps: [],
  })
  if (options.finished) await journal.append('run.finished', {status: options.finished})
  await journal.close()
  return location
}

describe('resolveHome', () => {
  it('prefers --home, then JWKR_HOME, then .jwkr in the working directory, resolving relative paths', () => {
    const env = {JWKR_HOME: '/srv/jwkr'}
    expect(resolveHome({flag: 'ir', env, cwd: '/work'})).toBe('/work/ir')
    expect(resolveHome({flag: '/abs/home', env, cwd: '/work'})).toBe('/abs/home')
    expect(resolveHome({env, cwd: '/work'})).toBe('/srv/jwkr')
    expect(resolveHome({flag: '', env: {JWKR_HOME: ''}, cwd: '/work'})).toBe('/work/.jwkr')
    expect(resolveHome({env: {JWKR_HOME: 'rel'}, cwd: '/work'})).toBe('/work/rel')
  })

  it('finds the nearest .jwkr folder in the working directory or a parent, as git finds .git (issue 15)', async () => {
    // Given a project with a workspace at its top, and a folder deep inside it
    const project = await mkdtemp(join(tmpdir(), 'jwkr-project-'))
    const deep = join(project, 'services', 'billing', 'src')
    await mkdir(deep, {recursive: true})
    await mkdir(join(project, '.jwkr'))
    // Then from deep inside, the project's workspace is the one used
    expect(resolveHome({env: {}, cwd: deep})).toBe(join(project, '.jwkr'))
    // And a nearer one wins, and JWKR_HOME still wins over both
    await mkdir(join(project, 'services', '.jwkr'))
    expect(resolveHome({env: {}, cwd: deep})).toBe(join(project, 'services', '.jwkr'))
    expect(resolveHome({env: {JWKR_HOME: '/srv/jwkr'}, cwd: deep})).toBe('/srv/jwkr')
  })
})

describe('ensureHome', () => {
  it('makes the workspace private, with a .gitignore that keeps all of it (private keys included) out of git', async () => {
    const home = join(await mkdtemp(join(tmpdir(), 'jwkr-ensure-')), '.jwkr')
    expect(await ensureHome(home)).toEqual({created: true})
    expect((await stat(home)).mode & 0o777).toBe(0o700)
    expect(await readFile(join(home, '.gitignore'), 'utf8')).toMatch(/^\*$/m)
    // And a workspace made by an older jwkr gets one too, when the next incident opens in it
    const older = join(await mkdtemp(join(tmpdir(), 'jwkr-older-')), '.jwkr')
    await mkdir(older, {mode: 0o700})
    await createIncident(older, {thumbprint: THUMBPRINT, now: NOV_29})
    expect(await readFile(join(older, '.gitignore'), 'utf8')).toMatch(/^\*$/m)
  })
})

describe('newIncidentId', () => {
  it('is the UTC date and the first six characters of the thumbprint in lower case', () => {
    expect(newIncidentId(THUMBPRINT, NOV_29, new Set())).toBe('2026-11-29-3f9a1c')
    // Late evening in New York is already the next day in UTC
    expect(newIncidentId(THUMBPRINT, new Date('2026-11-29T23:30:00-05:00'), new Set())).toBe('2026-11-30-3f9a1c')
  })

  it('says nokey without a thumbprint, and turns base64url punctuation into x', () => {
    expect(newIncidentId(null, NOV_29, new Set())).toBe('2026-11-29-nokey')
    expect(newIncidentId('', NOV_29, new Set())).toBe('2026-11-29-nokey')
    expect(newIncidentId('a-_B9zQQ', NOV_29, new Set())).toBe('2026-11-29-axxb9z')
  })

  it('is made unique with -2, -3 and so on', () => {
    const taken = new Set(['2026-11-29-3f9a1c', '2026-11-29-3f9a1c-2'])
    expect(newIncidentId(THUMBPRINT, NOV_29, taken)).toBe('2026-11-29-3f9a1c-3')
    expect(newIncidentId(THUMBPRINT, NOV_29, new Set(['2026-11-29-3f9a1c']))).toBe('2026-11-29-3f9a1c-2')
  })
})

describe('createIncident', () => {
  it('creates private incident and artifacts folders, unique per key and day', async () => {
    // Given an empty workspace
    const home = join(await tempDir(), '.jwkr')
    // When two incidents are opened for the same key on the same day
    const first = await createIncident(home, {thumbprint: THUMBPRINT, now: NOV_29})
    const second = await createIncident(home, {thumbprint: THUMBPRINT, now: NOV_29})
    // Then they get distinct ids and folders under incidents/, with artifacts/, all mode 0700
    expect(first).toEqual({
      id: '2026-11-29-3f9a1c',
      dir: join(home, 'incidents', '2026-11-29-3f9a1c'),
      journalPath: join(home, 'incidents', '2026-11-29-3f9a1c', 'journal.jsonl'),
      artifactsDir: join(home, 'incidents', '2026-11-29-3f9a1c', 'artifacts'),
      drill: false,
    })
    expect(second.id).toBe('2026-11-29-3f9a1c-2')
    for (const dir of [home, join(home, 'incidents'), first.dir, first.artifactsDir]) {
      expect((await stat(dir)).mode & 0o777).toBe(0o700)
    }
  })

  it('puts drills under drills/, with ids unique across drills and incidents', async () => {
    // Given a workspace with a real incident for the key
    const home = join(await tempDir(), '.jwkr')
    await createIncident(home, {thumbprint: THUMBPRINT, now: NOV_29})
    // When a drill is opened for the same key that day
    const drill = await createIncident(home, {thumbprint: THUMBPRINT, now: NOV_29, drill: true})
    // Then it lives under drills/ and does not share the incident's id
    expect(drill).toMatchObject({id: '2026-11-29-3f9a1c-2', drill: true, dir: join(home, 'drills', '2026-11-29-3f9a1c-2')})
    expect(await readdir(join(home, 'drills', drill.id))).toEqual(['artifacts'])
  })

  it('gives each of many concurrent openings its own folder', async () => {
    const home = join(await tempDir(), '.jwkr')
    const ids = await Promise.all(Array.from({length: 10}, () => createIncident(home, {thumbprint: THUMBPRINT, now: NOV_29})))
    expect(new Set(ids.map((incident) => incident.id)).size).toBe(10)
  })

  it('explains a workspace it cannot write to', async () => {
    // Given a home path that is a file
    const home = join(await tempDir(), 'not-a-folder')
    await writeFile(home, '')
    const error = await refusal(createIncident(home, {thumbprint: null, now: NOV_29}))
    expect(error.code).toBe('ERR_WORKSPACE_UNWRITABLE')
    expect(error.hint).toMatch(/--home or JWKR_HOME/)
  })
})

describe('findIncident', () => {
  it('finds incidents and drills by id', async () => {
    const home = join(await tempDir(), '.jwkr')
    const incident = await createIncident(home, {thumbprint: THUMBPRINT, now: NOV_29})
    const drill = await createIncident(home, {thumbprint: 'zzzzzz', now: NOV_29, drill: true})
    expect(await findIncident(home, incident.id)).toEqual(incident)
    expect(await findIncident(home, drill.id)).toEqual(drill)
  })

  it('names the known ids and the closest one when the id is unknown', async () => {
    // Given a workspace with two incidents
    const home = join(await tempDir(), '.jwkr')
    await createIncident(home, {thumbprint: THUMBPRINT, now: NOV_29})
    await createIncident(home, {thumbprint: 'bbbbbb', now: NOV_29})
    // When a mistyped id is looked up
    const error = await refusal(findIncident(home, '2026-11-29-3f9a1d'))
    // Then the error lists what exists and suggests the closest
    expect(error.code).toBe('ERR_INCIDENT_NOT_FOUND')
    expect(error.message).toBe(`There is no incident "2026-11-29-3f9a1d" in ${home}.`)
    expect(error.hint).toContain('Did you mean 2026-11-29-3f9a1c?')
    expect(error.hint).toContain('Known incidents: 2026-11-29-3f9a1c, 2026-11-29-bbbbbb.')
  })

  it('says when the workspace has no incidents, and never looks outside it', async () => {
    const home = join(await tempDir(), '.jwkr')
    const empty = await refusal(findIncident(home, 'anything'))
    expect(empty.message).toMatch(/has none/)
    expect(empty.hint).toMatch(/jwkr respond --key/)
    // A folder outside incidents/ reached with ../ is not an incident
    await mkdir(join(home, 'incidents', 'real'), {recursive: true})
    await mkdir(join(home, 'secret'), {recursive: true})
    expect((await refusal(findIncident(home, '../secret'))).code).toBe('ERR_INCIDENT_NOT_FOUND')
  })
})

describe('listIncidents', () => {
  it('folds each journal into a summary, newest first, and hides drills unless asked', async () => {
    // Given a finished incident, a running one (locked by this process) and a drill
    const home = join(await tempDir(), '.jwkr')
    const older = await openIncident(home, {
      thumbprint: THUMBPRINT,
      now: new Date('2026-11-28T10:00:00.000Z'),
      finished: 'completed',
    })
    const newer = await openIncident(home, {thumbprint: 'Bbbbbbbb', now: NOV_29})
    const drill = await openIncident(home, {thumbprint: 'Cccccccc', now: new Date('2026-11-29T04:00:00.000Z'), drill: true})
    const lock = await acquireLock(newer.dir)
    // When they are listed an hour after the newest incident opened
    const now = new Date('2026-11-29T04:12:00.000Z')
    const listed = await listIncidents(home, {now})
    // Then the drill is hidden and each summary carries status, age, key and playbook from its journal
    expect(listed.map((summary) => summary.id)).toEqual([newer.id, older.id])
    expect(listed[0]).toEqual({
      id: newer.id,
      dir: newer.dir,
      drill: false,
      status: 'open',
      openedAt: '2026-11-29T03:12:00.000Z',
      lastEventAt: '2026-11-29T03:12:01.000Z',
      age: 3600,
      thumbprint: 'Bbbbbbbb',
      kid: 'prod-1',
      playbook: 'leaked-signing-key',
      dryRun: false,
      events: 2,
      intact: true,
      lockedBy: lock.owner,
    })
    expect(listed[1]).toMatchObject({status: 'completed', age: 18 * 3600 + 12 * 60, intact: true})
    expect(listed[1]?.lockedBy).toBeUndefined()
    // And asked for drills, the drill is listed too, marked as one
    const all = await listIncidents(home, {now, drills: true})
    expect(all.map((summary) => [summary.id, summary.drill])).toEqual([
      [drill.id, true],
      [newer.id, false],
      [older.id, false],
    ])
    await lock.release()
  })

  it('still lists an incident whose journal is broken or missing, saying what is wrong', async () => {
    // Given one incident with a cut-off last line and one whose journal was never written
    const home = join(await tempDir(), '.jwkr')
    const cut = await openIncident(home, {thumbprint: THUMBPRINT, now: NOV_29})
    await writeFile(cut.journalPath, '{"seq":3', {flag: 'a'})
    const bare = await createIncident(home, {thumbprint: null, now: NOV_29})
    // When listed
    const listed = await listIncidents(home, {now: NOV_29})
    // Then both appear, marked not intact, with the events that could be read
    const byId = Object.fromEntries(listed.map((summary) => [summary.id, summary]))
    expect(byId[cut.id]).toMatchObject({
      intact: false,
      events: 2,
      thumbprint: THUMBPRINT,
      problem: expect.stringMatching(/incomplete/),
    })
    expect(byId[bare.id]).toMatchObject({intact: false, events: 0, status: 'open', problem: expect.stringMatching(/no journal/)})
  })

  it('lists nothing in a workspace that does not exist yet', async () => {
    expect(await listIncidents(join(await tempDir(), 'none'))).toEqual([])
  })
})
