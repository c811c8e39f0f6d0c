// readIncident, verifyIncident and closeIncident: the workspace-level operations behind
// `jwkr incident show | verify | close`, on real incident folders.
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {type JwkrError} from '../../src/core/errors.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {closeIncident} from '../../src/incident/close-incident.js'
import {Journal} from '../../src/incident/journal.js'
import {acquireLock} from '../../src/incident/lock.js'
import {readIncident} from '../../src/incident/read-incident.js'
import {verifyIncident} from '../../src/incident/verify-incident.js'
import {createIncident} from '../../src/incident/workspace.js'
import {tempDir, tickingClock} from './helpers.js'

async function refusal(promise: Promise<unknown>): Promise<JwkrError> {
  try {
    await promise
  } catch (error) {
    return error as JwkrError
  }
  throw new Error('expected a refusal')
}

/**
 * An incident whose leaked-signing-key run rotated the key and whose last check found billing still
 * accepting it (not proven), or found it refusing (proven), then finished.
 */
async function containmentIncident(verdict: {contained: boolean; outcome: string; missing?: string[]}) {
  const home = join(await tempDir(), '.jwkr')
  const location = await createIncident(home, {thumbprint: 'abcdef', now: new Date('2026-11-29T03:00:00.000Z')})
  const journal = await Journal.create(location.journalPath, {secrets: new SecretRegistry(), now: tickingClock()})
  await journal.append('incident.opened', {id: location.id, thumbprint: 'abcdef', drill: false, playbook: 'leaked-signing-key'})
  await journal.append('playbook.loaded', {
    name: 'leaked-signing-key',
    steps: [
      {id: 'rotate', uses: 'key.rotate'},
      {id: 'prove', uses: 'containment.verify'},
    ],
  })
  await journal.append('step.started', {step: 'rotate', attempt: 1})
  await journal.append('step.succeeded', {step: 'rotate', outputs: {}})
  await journal.append('containment.verdict', {step: 'prove', ...verdict})
  await journal.append('run.finished', {status: 'completed'})
  await journal.close()
  return {home, location}
}

/** An incident with three events: opened, a note, and a finished run. */
async function incident() {
  const home = join(await tempDir(), '.jwkr')
  const location = await createIncident(home, {thumbprint: 'abcdef', now: new Date('2026-11-29T03:00:00.000Z')})
  const journal = await Journal.create(location.journalPath, {secrets: new SecretRegistry(), now: tickingClock()})
  await journal.append('incident.opened', {
    id: location.id,
    thumbprint: 'abcdef',
    drill: false,
    playbook: 'inspect-only',
    inputs: {},
  })
  await journal.append('note.added', {text: 'found in a public gist', author: 'ana'})
  await journal.append('run.finished', {status: 'completed'})
  await journal.close()
  return {home, location}
}

describe('verifyIncident', () => {
  it('reports an intact journal with its event count and head hash, and warns in words when its chain is unkeyed', async () => {
    // Given an incident opened without a chain key (as before chains were keyed)
    const {home, location} = await incident()
    const lines = (await readFile(location.journalPath, 'utf8')).trim().split('\n')
    expect(await verifyIncident(home, location.id)).toEqual({
      id: location.id,
      journal: location.journalPath,
      ok: true,
      events: 3,
      head: JSON.parse(lines[2] as string).hash,
      firstEventAt: '2026-11-29T03:00:00.000Z',
      lastEventAt: '2026-11-29T03:00:02.000Z',
      chain: 'unkeyed',
      warnings: [expect.stringMatching(/^unkeyed chain: .*rewritten from the top with recomputed hashes would pass/)],
    })
  })

  it('refuses an edited journal, naming the first broken event in the error details', async () => {
    // Given the note edited after the fact
    const {home, location} = await incident()
    const text = await readFile(location.journalPath, 'utf8')
    await writeFile(location.journalPath, text.replace('public gist', 'private gist'))
    // When verified, then ERR_JOURNAL_CORRUPT names event 2 on line 2
    const error = await refusal(verifyIncident(home, location.id))
    expect(error.code).toBe('ERR_JOURNAL_CORRUPT')
    expect(error.message).toContain('broken at line 2: Event 2 does not match its hash')
    expect(error.details).toMatchObject({incident: location.id, seq: 2, line: 2})
  })
})

describe('readIncident', () => {
  it('folds the journal without changing it, leaving an incomplete last line for resume to repair', async () => {
    // Given an incident whose last write was cut off
    const {home, location} = await incident()
    await writeFile(location.journalPath, '{"seq":4,"ts":"2026', {flag: 'a'})
    const before = await readFile(location.journalPath, 'utf8')
    // When it is read
    const state = await readIncident(home, location.id)
    // Then the complete events are folded and the file is untouched
    expect(state).toMatchObject({id: location.id, status: 'completed', lastSeq: 3, notes: [{text: 'found in a public gist'}]})
    expect(await readFile(location.journalPath, 'utf8')).toBe(before)
  })

  it('refuses a journal broken in the middle', async () => {
    const {home, location} = await incident()
    const lines = (await readFile(location.journalPath, 'utf8')).split('\n')
    await writeFile(location.journalPath, [lines[0], lines[2], lines[1], ''].join('\n'))
    expect((await refusal(readIncident(home, location.id))).code).toBe('ERR_JOURNAL_CORRUPT')
  })
})

describe('closeIncident', () => {
  it('journals incident.closed with the reason, and refuses to close twice', async () => {
    // Given a finished incident
    const {home, location} = await incident()
    // When it is closed
    const state = await closeIncident(home, location.id, {
      reason: 'contained',
      secrets: new SecretRegistry(),
      now: () => new Date('2026-11-30T09:00:00.000Z'),
    })
    // Then its state is closed, the journal verifies with one more event, and the lock is released
    expect(state).toMatchObject({status: 'closed', closedAt: '2026-11-30T09:00:00.000Z', closeReason: 'contained', lastSeq: 4})
    expect(await verifyIncident(home, location.id)).toMatchObject({events: 4})
    await (await acquireLock(location.dir)).release()
    // And closing it again is refused, saying when it was closed
    const again = await refusal(closeIncident(home, location.id, {reason: 'again', secrets: new SecretRegistry()}))
    expect(again.code).toBe('ERR_INCIDENT_CLOSED')
    expect(again.message).toContain('2026-11-30T09:00:00.000Z')
    expect(await verifyIncident(home, location.id)).toMatchObject({events: 4})
  })

  it('refuses an incident whose containment is not proven unless the responder accepts it, and records that it did', async () => {
    // Given a run whose last check found billing still accepting the key
    const {home, location} = await containmentIncident({
      contained: false,
      outcome: 'not-proven',
      missing: ['billing still accepts the key'],
    })
    const secrets = new SecretRegistry()
    // When closed with no way to ask (no terminal, no --yes): refused, naming --yes, and nothing journaled
    const refused = await refusal(closeIncident(home, location.id, {reason: 'done', secrets}))
    expect(refused.code).toBe('ERR_APPROVAL_REQUIRED')
    expect(refused.message).toBe(
      `Incident ${location.id} was not closed: containment not proven: billing still accepts the key. Closing it unproven needs --yes.`,
    )
    expect(refused.details).toMatchObject({outcome: 'not-proven', missing: ['billing still accepts the key']})
    // And its hint names what can prove it in the incident (its own run), not a verify that records nothing there
    expect(refused.hint).toContain(`jwkr incident resume ${location.id}`)
    expect(refused.hint).toContain('a jwkr verify run on its own is not recorded in the incident')
    expect(refused.hint).toContain(`jwkr incident close ${location.id} --yes --reason "why"`)
    // And when the responder is asked and answers No: not closed either
    const asked: string[] = []
    const declined = await refusal(
      closeIncident(home, location.id, {
        reason: 'done',
        secrets,
        confirmUnproven: async (outcome) => {
          asked.push(outcome.summary)
          return false
        },
      }),
    )
    expect(declined.code).toBe('ERR_ABORTED')
    expect(asked).toEqual(['containment not proven: billing still accepts the key'])
    expect(await verifyIncident(home, location.id)).toMatchObject({events: 6})
    // When accepted (--yes): closed, and incident.closed carries the outcome and what was missing
    const state = await closeIncident(home, location.id, {reason: 'service retired', secrets, acceptUnproven: true})
    expect(state).toMatchObject({
      status: 'closed',
      closeReason: 'service retired',
      closedUnproven: {outcome: 'not-proven', missing: ['billing still accepts the key']},
    })
  })

  it('closes a proven incident without asking, and records nothing unproven', async () => {
    const {home, location} = await containmentIncident({contained: true, outcome: 'proven', missing: []})
    const state = await closeIncident(home, location.id, {
      reason: 'contained',
      secrets: new SecretRegistry(),
      confirmUnproven: () => Promise.reject(new Error('must not ask')),
    })
    expect(state).toMatchObject({status: 'closed', closedUnproven: undefined})
  })

  it('refuses while another run holds the incident', async () => {
    const {home, location} = await incident()
    const lock = await acquireLock(location.dir)
    expect((await refusal(closeIncident(home, location.id, {reason: 'x', secrets: new SecretRegistry()}))).code).toBe(
      'ERR_INCIDENT_LOCKED',
    )
    await lock.release()
  })
})
