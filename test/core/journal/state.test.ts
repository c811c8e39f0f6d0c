import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {SecretRegistry} from '../../../src/core/secrets.js'
import {Journal} from '../../../src/incident/journal.js'
import {foldIncident} from '../../../src/core/journal/state.js'
import type {JournalEvent} from '../../../src/core/journal/types.js'
import {tempDir, tickingClock} from '../../incident/helpers.js'

/** A real journal (one second per event from 03:00:00) holding the given events. */
async function journalOf(events: [string, Record<string, unknown>][]): Promise<Journal> {
  const journal = await Journal.create(join(await tempDir(), 'journal.jsonl'), {
    secrets: new SecretRegistry(),
    now: tickingClock(),
  })
  for (const [type, data] of events) await journal.append(type, data)
  return journal
}

const at = (second: number) =>
  `2026-11-29T03:${String(Math.floor(second / 60)).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}.000Z`

/** A responder's run that crashed inside `rotate`, after one effect was done and another intended. */
const crashedRun: [string, Record<string, unknown>][] = [
  [
    'incident.opened',
    {
      id: '2026-11-29-3f9a1c',
      thumbprint: '3f9a1cQ',
      kid: 'prod-1',
      kty: 'RSA',
      alg: 'RS256',
      source: 'leaked.json',
      drill: false,
      playbook: 'leaked-signing-key',
      inputs: {key: 'leaked.json'},
      startedBy: {user: 'ana', host: 'laptop'},
    },
  ], // 0
  [
    'playbook.loaded',
    {
      name: 'leaked-signing-key',
      file: 'playbooks/leaked-signing-key.yaml',
      digest: 'sha256:ab12',
      steps: [
        {id: 'inspect', uses: 'key.inspect', title: 'Inspect the key'},
        {id: 'notify', uses: 'notify.slack', title: 'Tell the team'},
        {id: 'rotate', uses: 'key.rotate', title: 'Rotate at the issuers'},
        {id: 'wait', uses: 'core.wait', title: 'Wait out the caches'},
      ],
    },
  ], // 1
  [
    'step.planned',
    {step: 'inspect', uses: 'key.inspect', calls: [{kind: 'none', target: 'leaked.json', description: 'read the key'}]},
  ], // 2
  ['step.started', {step: 'inspect', uses: 'key.inspect', attempt: 1, input: {key: 'leaked.json'}}], // 3
  ['step.succeeded', {step: 'inspect', outputs: {thumbprint: '3f9a1cQ', private: true}}], // 4
  ['step.started', {step: 'notify', uses: 'notify.slack', attempt: 1, input: {channel: '#sec'}}], // 5
  [
    'step.failed',
    {step: 'notify', error: {code: 'ERR_SLACK_RATE_LIMITED', message: 'Slack said slow down'}, attempt: 1, final: false},
  ], // 6
  ['step.retrying', {step: 'notify', attempt: 2, delayMs: 2000}], // 7
  ['step.started', {step: 'notify', uses: 'notify.slack', attempt: 2, input: {channel: '#sec'}}], // 8
  ['step.succeeded', {step: 'notify', outputs: {ts: '1732849200.000100'}}], // 9
  ['note.added', {text: 'Slack was slow,\n  retried once', author: 'ana', step: 'notify'}], // 10
  [
    'step.planned',
    {step: 'rotate', uses: 'key.rotate', calls: [{kind: 'http', target: 'POST https://auth/rotate', description: 'rotate'}]},
  ], // 11
  ['step.approved', {step: 'rotate', by: 'ana'}], // 12
  ['step.started', {step: 'rotate', uses: 'key.rotate', attempt: 1, input: {issuer: 'auth-main'}}], // 13
  ['effect.intent', {step: 'rotate', key: 'inc:rotate:add-key', description: 'Publish the new key at auth-main'}], // 14
  ['effect.done', {step: 'rotate', key: 'inc:rotate:add-key', ref: {kid: 'prod-2'}}], // 15
  ['effect.intent', {step: 'rotate', key: 'inc:rotate:remove-key', description: 'Remove the leaked key from auth-main'}], // 16
]

describe('foldIncident', () => {
  it('folds a crashed run: done steps, a retried step, the interrupted step, and an effect with no result', async () => {
    // Given the journal of a run that was killed inside `rotate`
    const journal = await journalOf(crashedRun)
    // When it is folded
    const state = foldIncident(journal.events())
    // Then the incident's facts come from incident.opened and playbook.loaded
    expect(state).toMatchObject({
      id: '2026-11-29-3f9a1c',
      thumbprint: '3f9a1cQ',
      kid: 'prod-1',
      kty: 'RSA',
      alg: 'RS256',
      source: 'leaked.json',
      drill: false,
      playbook: 'leaked-signing-key',
      playbookLoaded: {name: 'leaked-signing-key', file: 'playbooks/leaked-signing-key.yaml', digest: 'sha256:ab12'},
      inputs: {key: 'leaked.json'},
      startedBy: {user: 'ana', host: 'laptop'},
      status: 'running',
      openedAt: at(0),
      lastEventAt: at(16),
      lastSeq: 17,
      closedAt: undefined,
    })
    // And each step has its state, in playbook order
    expect(state.stepOrder).toEqual(['inspect', 'notify', 'rotate', 'wait'])
    expect(state.steps.inspect).toMatchObject({
      status: 'succeeded',
      uses: 'key.inspect',
      title: 'Inspect the key',
      plan: [{kind: 'none', target: 'leaked.json', description: 'read the key'}],
      outputs: {thumbprint: '3f9a1cQ', private: true},
      attempts: 1,
      startedAt: at(3),
      finishedAt: at(4),
    })
    expect(state.steps.notify).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      startedAt: at(8),
      error: undefined,
      outputs: {ts: '1732849200.000100'},
    })
    // The step whose last event is step.started is running: interrupted, since nothing holds it now
    expect(state.steps.rotate).toMatchObject({
      status: 'running',
      approvedBy: 'ana',
      attempts: 1,
      input: {issuer: 'auth-main'},
      finishedAt: undefined,
    })
    expect(state.steps.wait).toMatchObject({status: 'pending', uses: 'core.wait', attempts: 0})
    // The effect with an intent and no result is still an intent; the other is done with its ref
    expect(state.effects).toEqual({
      'inc:rotate:add-key': {
        step: 'rotate',
        description: 'Publish the new key at auth-main',
        status: 'done',
        ref: {kid: 'prod-2'},
        intentAt: at(14),
        doneAt: at(15),
        repeatedReason: undefined,
      },
      'inc:rotate:remove-key': {
        step: 'rotate',
        description: 'Remove the leaked key from auth-main',
        status: 'intent',
        ref: undefined,
        intentAt: at(16),
        doneAt: undefined,
        repeatedReason: undefined,
      },
    })
    expect(state.notes).toEqual([{ts: at(10), text: 'Slack was slow,\n  retried once', author: 'ana', step: 'notify'}])
    // And the timeline has one readable line per event
    expect(state.timeline).toHaveLength(17)
    expect(state.timeline.map((entry) => entry.summary)).toEqual([
      'Incident 2026-11-29-3f9a1c opened for key 3f9a1cQ (RSA RS256) by ana@laptop',
      'Playbook leaked-signing-key loaded (4 steps)',
      'Step inspect (key.inspect) planned: 1 call',
      'Step inspect started',
      'Step inspect succeeded',
      'Step notify started',
      'Step notify failed: Slack said slow down (will retry)',
      'Step notify retrying (attempt 2) in 2s',
      'Step notify started (attempt 2)',
      'Step notify succeeded',
      'Note by ana on notify: Slack was slow, retried once',
      'Step rotate (key.rotate) planned: 1 call',
      'Step rotate approved by ana',
      'Step rotate started',
      'Step rotate begins inc:rotate:add-key: Publish the new key at auth-main',
      'Step rotate completed inc:rotate:add-key (kid prod-2)',
      'Step rotate begins inc:rotate:remove-key: Remove the leaked key from auth-main',
    ])
    expect(state.timeline[16]).toMatchObject({seq: 17, ts: at(16), type: 'effect.intent'})
  })

  it('folds the interruption, the resume with a repeated effect, and the close', async () => {
    // Given the crashed run, interrupted, then resumed and finished
    const journal = await journalOf([
      ...crashedRun,
      ['run.interrupted', {reason: 'interrupted (Ctrl-C)'}], // 17
      ['incident.resumed', {by: 'bo'}], // 18
      ['effect.repeated', {step: 'rotate', key: 'inc:rotate:remove-key', reason: 'repeated under --yes'}], // 19
      ['effect.intent', {step: 'rotate', key: 'inc:rotate:remove-key', description: 'Remove the leaked key from auth-main'}], // 20
      ['effect.done', {step: 'rotate', key: 'inc:rotate:remove-key', ref: {removed: true}}], // 21
      ['step.succeeded', {step: 'rotate', outputs: {newKid: 'prod-2'}}], // 22
      ['step.skipped', {step: 'wait', reason: 'no inventory'}], // 23
      ['run.finished', {status: 'completed'}], // 24
    ])
    const events = journal.events()
    // Then after the interruption the incident is paused with its reason, and running again on resume
    const interrupted = foldIncident(events.slice(0, 18))
    expect(interrupted).toMatchObject({status: 'paused', interrupted: 'interrupted (Ctrl-C)'})
    expect(foldIncident(events.slice(0, 19))).toMatchObject({status: 'running', interrupted: undefined})
    // And the repeated effect is marked while it runs again, then done, keeping why it was repeated
    expect(foldIncident(events.slice(0, 20)).effects['inc:rotate:remove-key']?.status).toBe('repeated')
    const finished = foldIncident(events)
    expect(finished.effects['inc:rotate:remove-key']).toMatchObject({
      status: 'done',
      ref: {removed: true},
      repeatedReason: 'repeated under --yes',
    })
    expect(finished.steps.rotate).toMatchObject({status: 'succeeded', outputs: {newKid: 'prod-2'}})
    expect(finished.steps.wait).toMatchObject({status: 'skipped', reason: 'no inventory', finishedAt: at(23)})
    expect(finished.status).toBe('completed')
    // When it is closed, then it stays closed even if a note follows
    await journal.append('incident.closed', {reason: 'contained'})
    await journal.append('note.added', {text: 'post-mortem booked', author: 'ana'})
    const closed = foldIncident(journal.events())
    expect(closed).toMatchObject({status: 'closed', closedAt: at(25), closeReason: 'contained', lastEventAt: at(26)})
    expect(closed.timeline.at(-2)?.summary).toBe('Incident closed: contained')
  })

  it('tells a paused run (interrupted) from one the responder stopped, also in journals of an older jwkr', async () => {
    // Given an interrupted run (this jwkr ends it `paused`, an older one `aborted`), and a run stopped at a No
    const opened = crashedRun[0] as [string, Record<string, unknown>]
    const paused = await journalOf([
      opened,
      ['run.interrupted', {reason: 'interrupted (SIGTERM)'}],
      ['run.finished', {status: 'paused'}],
    ])
    const older = await journalOf([
      opened,
      ['run.interrupted', {reason: 'interrupted (Ctrl-C)'}],
      ['run.finished', {status: 'aborted'}],
    ])
    const stopped = await journalOf([opened, ['run.finished', {status: 'aborted', reason: 'The responder answered No'}]])
    // Then the first two are paused with their reason, the last aborted without one
    expect(foldIncident(paused.events())).toMatchObject({status: 'paused', interrupted: 'interrupted (SIGTERM)'})
    expect(foldIncident(older.events())).toMatchObject({status: 'paused', interrupted: 'interrupted (Ctrl-C)'})
    expect(foldIncident(stopped.events())).toMatchObject({status: 'aborted', interrupted: undefined})
  })

  it('keeps that an incident was closed with containment unproven, and nothing for an older close', async () => {
    const opened = crashedRun[0] as [string, Record<string, unknown>]
    const unproven = {outcome: 'not-proven', missing: ['billing still accepts the key']}
    const closed = await journalOf([opened, ['incident.closed', {reason: 'accepted risk', unproven}]])
    const plain = await journalOf([opened, ['incident.closed', {reason: 'done'}]])
    expect(foldIncident(closed.events())).toMatchObject({
      status: 'closed',
      closeReason: 'accepted risk',
      closedUnproven: unproven,
    })
    expect(foldIncident(plain.events()).closedUnproven).toBeUndefined()
  })

  it('marks a step failed on a final failure, and waiting when the run stops for approval', async () => {
    const journal = await journalOf([
      ['step.started', {step: 'rotate', uses: 'key.rotate', attempt: 3, input: {}}],
      ['step.failed', {step: 'rotate', error: {code: 'ERR_STEP_FAILED', message: 'issuer said 500'}, attempt: 3, final: true}],
      ['run.finished', {status: 'failed'}],
    ])
    const state = foldIncident(journal.events())
    expect(state.steps.rotate).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: {code: 'ERR_STEP_FAILED', message: 'issuer said 500'},
      finishedAt: at(1),
    })
    expect(state.status).toBe('failed')
    expect(
      foldIncident([...journal.events(), {...(journal.last() as JournalEvent), seq: 4, data: {status: 'waiting'}}]).status,
    ).toBe('waiting')
  })

  it('survives unknown event types and malformed data, and shares no objects with the events', async () => {
    // Given events from a newer jwkr or a step's own type, and data of the wrong shape
    const journal = await journalOf([
      ['evidence.probe', {step: 'verify', url: 'https://billing/api/me', status: 401}],
      ['step.succeeded', {step: 'x', outputs: 'not an object'}],
      ['step.failed', {step: 42}],
      ['effect.done', {key: 'orphan', ref: {pr: 7}}],
      ['journal.repaired', {droppedBytes: 120, afterSeq: 3}],
    ])
    // When folded
    const state = foldIncident(journal.events())
    // Then nothing throws, the odd data is handled, and every event is on the timeline
    expect(state.timeline.map((entry) => entry.summary)).toEqual([
      'evidence.probe (step verify)',
      'Step x succeeded',
      'Step ? failed: unknown error',
      'Step ? completed orphan (pr 7)',
      'Journal repaired: an incomplete last line (120 bytes) was cut off',
    ])
    expect(state.steps.x).toMatchObject({status: 'succeeded', outputs: {}})
    expect(state.effects.orphan).toMatchObject({status: 'done', ref: {pr: 7}})
    // And changing the folded state is allowed and leaves the journal untouched
    ;(state.effects.orphan?.ref as {pr: number}).pr = 8
    expect(journal.events()[3]?.data).toEqual({key: 'orphan', ref: {pr: 7}})
  })

  it('starts from an empty state', () => {
    expect(foldIncident([])).toMatchObject({id: '', status: 'open', steps: {}, stepOrder: [], timeline: [], lastSeq: 0})
  })
})
