// The effect ledger's rule, branch by branch, over a real journal in a temp folder: done effects are
// not made again; an unknown one (intent, no result) is looked for remotely, else asked about, else
// made again only under --yes; the intent is on disk before the change, and the lock keeps a second
// process out.
import {mkdir, mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {JwkrError} from '../../src/core/errors.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {journalLedger, processLedger, type LedgerOptions} from '../../src/incident/effect-ledger.js'
import {withCommandEffects} from '../../src/incident/incident-journal.js'
import {Journal} from '../../src/incident/journal.js'
import {acquireLock} from '../../src/incident/lock.js'
import {foldIncident} from '../../src/core/journal/state.js'

const NO_WAIT = {retries: 0, factor: 1, minTimeout: 0, maxTimeout: 0}
const KEY = 'inc-1:rotate:auth-main:add'
const HINT = 'Check by hand, then rerun with --yes.'

let dir: string
let journal: Journal
let applied: number

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jwkr-ledger-'))
  journal = await Journal.create(join(dir, 'journal.jsonl'), {secrets: new SecretRegistry()})
  applied = 0
})

afterEach(async () => {
  await journal.close()
})

function ledger(rule: Partial<LedgerOptions> = {}) {
  return journalLedger(journal, {step: 'rotate', yes: false, refusalHint: HINT, window: NO_WAIT, ...rule})
}

const apply = async () => ({kid: `new-${++applied}`})

/** The journal of a process that died after its change reached the remote, before the result was written. */
async function interrupted(): Promise<void> {
  await journal.append('effect.intent', {step: 'rotate', key: KEY, description: 'Publish the new key'})
}

function typesOf(key = KEY): string[] {
  return journal
    .events()
    .filter((event) => event.data.key === key)
    .map((event) => event.type)
}

async function refusal(promise: Promise<unknown>): Promise<JwkrError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(JwkrError)
  return error as JwkrError
}

describe('the effect ledger', () => {
  it('journals the intent before the change and the result after it, and never makes a done effect again', async () => {
    // Given an effect made once
    const first = await ledger()(KEY, 'Publish the new key', async () => {
      // The intent is on disk while the change is being made
      expect(typesOf()).toEqual(['effect.intent'])
      return apply()
    })
    // When it is asked for again, by a new ledger over the same journal (a resume)
    const again = await ledger()(KEY, 'Publish the new key', apply)
    // Then it was made once and the second call got the recorded ref
    expect(applied).toBe(1)
    expect(again).toEqual(first)
    expect(typesOf()).toEqual(['effect.intent', 'effect.done'])
  })

  it('unknown, and the remote shows it: records it as recovered and does not make it again', async () => {
    await interrupted()
    const ref = await ledger()(KEY, 'Publish the new key', apply, async () => ({kid: 'found'}))
    expect(ref).toEqual({kid: 'found'})
    expect(applied).toBe(0)
    expect(journal.events().at(-1)?.data).toMatchObject({key: KEY, ref: {kid: 'found'}, recovered: true})
  })

  it('unknown, and the remote says it was not made: makes it, without asking', async () => {
    await interrupted()
    const asked: string[] = []
    await ledger({confirmRepeat: async (description) => Boolean(asked.push(description))})(
      KEY,
      'Publish the new key',
      apply,
      async () => undefined,
    )
    expect(applied).toBe(1)
    expect(asked).toEqual([])
    expect(typesOf()).toEqual(['effect.intent', 'effect.intent', 'effect.done'])
  })

  describe.each([
    ['the remote cannot tell', async () => 'unknown' as const],
    ['the effect offers no check', undefined],
  ])('unknown, and %s', (_case, check) => {
    it('on a terminal: asks, and makes it again when the responder says so (journaled as repeated)', async () => {
      await interrupted()
      const asked: string[] = []
      await ledger({confirmRepeat: async (description) => Boolean(asked.push(description))})(
        KEY,
        'Publish the new key',
        apply,
        check,
      )
      expect(asked).toEqual(['Publish the new key'])
      expect(applied).toBe(1)
      expect(journal.events().find((event) => event.type === 'effect.repeated')?.data).toMatchObject({
        key: KEY,
        reason: 'repeated by the responder',
      })
    })

    it('on a terminal: refuses when the responder says no, making nothing', async () => {
      await interrupted()
      const error = await refusal(ledger({confirmRepeat: async () => false})(KEY, 'Publish the new key', apply, check))
      expect(error.code).toBe('ERR_APPROVAL_REQUIRED')
      expect(applied).toBe(0)
      expect(typesOf()).toEqual(['effect.intent'])
    })

    it('without a terminal and without --yes: refuses with ERR_APPROVAL_REQUIRED, saying what to do', async () => {
      await interrupted()
      const error = await refusal(ledger()(KEY, 'Publish the new key', apply, check))
      expect(error.code).toBe('ERR_APPROVAL_REQUIRED')
      expect(error.message).toBe('Cannot tell whether "Publish the new key" already happened before the interruption.')
      expect(error.hint).toBe(HINT)
      expect(applied).toBe(0)
      expect(foldIncident(journal.events()).effects[KEY]?.status).toBe('intent')
    })

    it('under --yes: makes it again without asking, journaled as repeated under --yes', async () => {
      await interrupted()
      const asked: string[] = []
      await ledger({yes: true, confirmRepeat: async (description) => Boolean(asked.push(description))})(
        KEY,
        'Publish the new key',
        apply,
        check,
      )
      expect(asked).toEqual([])
      expect(applied).toBe(1)
      expect(typesOf()).toEqual(['effect.intent', 'effect.repeated', 'effect.intent', 'effect.done'])
      expect(journal.events().find((event) => event.type === 'effect.repeated')?.data.reason).toBe('repeated under --yes')
    })
  })

  it('a change that dies before its result is written leaves the effect unknown, never done and never lost', async () => {
    const crash = new Error('the process died')
    await expect(
      ledger()(KEY, 'Publish the new key', async () => {
        await apply()
        throw crash
      }),
    ).rejects.toBe(crash)
    expect(foldIncident(journal.events()).effects[KEY]?.status).toBe('intent')
    // And the next process follows the rule instead of making it silently
    expect((await refusal(ledger()(KEY, 'Publish the new key', apply))).code).toBe('ERR_APPROVAL_REQUIRED')
    expect(applied).toBe(1)
  })

  it('with lookFirst, asks the remote before an effect the journal never saw (made by a run observer)', async () => {
    const ref = await ledger({lookFirst: true})(KEY, 'Post the status', apply, async () => ({kid: 'made-by-an-observer'}))
    expect(ref).toEqual({kid: 'made-by-an-observer'})
    expect(applied).toBe(0)
  })

  it('a process ledger (no incident to journal in) makes an effect once per process', async () => {
    const effect = processLedger({step: 'jwkr key rotate', yes: false, refusalHint: HINT})
    await effect(KEY, 'Publish the new key', apply)
    await effect(KEY, 'Publish the new key', apply)
    expect(applied).toBe(1)
  })

  it('a command acting on an incident another process drives is refused by its lock, making nothing', async () => {
    // Given an incident whose lock another process holds (a run in progress)
    const home = await mkdtemp(join(tmpdir(), 'jwkr-ledger-home-'))
    const incidentDir = join(home, 'incidents', '2026-11-29-abcdef')
    await mkdir(incidentDir, {recursive: true})
    const lock = await acquireLock(incidentDir)
    try {
      // When a command acts on it
      const options = {secrets: new SecretRegistry(), command: 'jwkr key rotate', answer: {yes: true}}
      const error = await refusal(
        withCommandEffects(home, '2026-11-29-abcdef', options, (effect) => effect(KEY, 'Publish the new key', apply)),
      )
      // Then it is refused before anything is made
      expect(error.code).toBe('ERR_INCIDENT_LOCKED')
      expect(applied).toBe(0)
    } finally {
      await lock.release()
    }
  })
})
