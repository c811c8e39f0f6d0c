import {spawn} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {appendFile, readFile, stat, truncate, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {type JwkrError} from '../../src/core/errors.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {Journal} from '../../src/incident/journal.js'
import {GENESIS_HASH} from '../../src/core/journal/types.js'
import {verifyJournal} from '../../src/incident/verify-journal.js'
import {tempDir, tickingClock, writeJournal} from './helpers.js'

const fixture = fileURLToPath(new URL('./fixtures/append-until-killed.ts', import.meta.url))

async function rejection(promise: Promise<unknown>): Promise<JwkrError> {
  try {
    await promise
  } catch (error) {
    return error as JwkrError
  }
  throw new Error('expected a rejection')
}

describe('Journal', () => {
  it('appends chained events and reads the same events back after reopening', async () => {
    // Given a new journal with three events
    const file = join(await tempDir(), 'journal.jsonl')
    const journal = await Journal.create(file, {secrets: new SecretRegistry(), now: tickingClock()})
    await journal.append('incident.opened', {id: 'x', drill: false})
    await journal.append('note.added', {text: 'first look', author: 'ana'})
    const third = await journal.append('note.added', {text: 'second look', author: 'ana'})
    await journal.close()
    // When it is reopened and one more event is appended
    const reopened = await Journal.open(file, {secrets: new SecretRegistry(), now: tickingClock('2026-11-29T04:00:00.000Z')})
    const fourth = await reopened.append('incident.closed', {reason: 'done'})
    await reopened.close()
    // Then the events read back are the ones written, and the chain continues from them
    expect(reopened.events().slice(0, 3)).toEqual(journal.events())
    expect(journal.events().map((event) => [event.seq, event.ts, event.type])).toEqual([
      [1, '2026-11-29T03:00:00.000Z', 'incident.opened'],
      [2, '2026-11-29T03:00:01.000Z', 'note.added'],
      [3, '2026-11-29T03:00:02.000Z', 'note.added'],
    ])
    expect(journal.events()[0]?.prev).toBe(GENESIS_HASH)
    expect(fourth).toMatchObject({seq: 4, prev: third.hash, ts: '2026-11-29T04:00:00.000Z', data: {reason: 'done'}})
    expect(reopened.last()).toEqual(fourth)
    // And the file is one line per event, private to the user, and its chain verifies
    const text = await readFile(file, 'utf8')
    expect(text.split('\n')).toHaveLength(5)
    expect(text.endsWith('\n')).toBe(true)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(verifyJournal(text)).toEqual({ok: true, events: 4})
  })

  it('refuses to create over an existing journal, and to open a missing one', async () => {
    // Given a journal file that exists
    const {dir, file} = await writeJournal(1)
    // When create is asked for the same file, then it refuses and the file keeps its event
    const exists = await rejection(Journal.create(file, {secrets: new SecretRegistry()}))
    expect(exists.code).toBe('ERR_JOURNAL_EXISTS')
    expect(exists.hint).toMatch(/resume/)
    expect(verifyJournal(await readFile(file, 'utf8'))).toEqual({ok: true, events: 1})
    // When open is asked for a file that does not exist, then it says so
    const missing = await rejection(Journal.open(join(dir, 'nope.jsonl'), {secrets: new SecretRegistry()}))
    expect(missing.code).toBe('ERR_INCIDENT_NOT_FOUND')
    expect(missing.message).toContain('nope.jsonl')
  })

  it('keeps every event whose append resolved when the process is killed mid-stream (SIGKILL)', async () => {
    // Given a child process appending events as fast as it can, printing each seq once append resolves
    const file = join(await tempDir(), 'journal.jsonl')
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, file], {stdio: ['ignore', 'pipe', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const confirmed: number[] = []
    // When it is killed with SIGKILL after at least 30 confirmed appends
    await new Promise<void>((resolve, reject) => {
      let buffered = ''
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        const lines = buffered.split('\n')
        buffered = lines.pop() as string
        confirmed.push(...lines.map(Number))
        if (confirmed.length >= 30) child.kill('SIGKILL')
      })
      child.on('exit', () => resolve())
      child.on('error', reject)
    })
    expect(confirmed.length, stderr).toBeGreaterThanOrEqual(30)
    // Then reopening (which repairs a line cut mid-write, if any) finds every confirmed event, in order
    const journal = await Journal.open(file, {secrets: new SecretRegistry()})
    const kept = journal.events().filter((event) => event.type === 'test.event')
    expect(kept.length).toBeGreaterThanOrEqual(confirmed.length)
    expect(kept.slice(0, confirmed.length).map((event) => event.data.n)).toEqual(confirmed)
    await journal.close()
    // And the chain verifies
    expect(verifyJournal(await readFile(file, 'utf8')).ok).toBe(true)
  })

  it('cuts an incomplete last line (power loss mid-write), records the repair, and goes on', async () => {
    // Given a journal whose last line was cut halfway, in the middle of a multi-byte character
    const {file} = await writeJournal(3, (n) => ({n, note: `€${'€'.repeat(n * 10)}`}))
    const original = await readFile(file)
    const thirdLineStart = original.subarray(0, original.length - 1).lastIndexOf(0x0a) + 1
    const euro = original.indexOf(Buffer.from('€'), thirdLineStart)
    const cutAt = euro + 1
    await truncate(file, cutAt)
    expect(verifyJournal(await readFile(file, 'utf8'))).toMatchObject({ok: false, events: 2, broken: {line: 3, seq: null}})
    // When it is opened and appended to
    const journal = await Journal.open(file, {secrets: new SecretRegistry(), now: tickingClock('2026-11-29T05:00:00.000Z')})
    await journal.append('incident.resumed', {by: 'ana'})
    await journal.close()
    // Then the partial line is gone, a journal.repaired event says how many bytes, and the chain verifies
    expect(journal.events().map((event) => event.type)).toEqual([
      'test.event',
      'test.event',
      'journal.repaired',
      'incident.resumed',
    ])
    expect(journal.events()[2]?.data).toEqual({droppedBytes: cutAt - thirdLineStart, afterSeq: 2})
    const text = await readFile(file, 'utf8')
    expect(text.startsWith(original.subarray(0, thirdLineStart).toString())).toBe(true)
    expect(verifyJournal(text)).toEqual({ok: true, events: 4})
  })

  it('cuts trailing zero bytes left by a power loss after the last complete line', async () => {
    // Given a journal followed by zero bytes (a file system that extended the file but not its data)
    const {file} = await writeJournal(2)
    await appendFile(file, Buffer.alloc(512))
    // When it is opened
    const journal = await Journal.open(file, {secrets: new SecretRegistry()})
    await journal.close()
    // Then the zeros are cut and recorded, and the chain verifies
    expect(journal.last()).toMatchObject({seq: 3, type: 'journal.repaired', data: {droppedBytes: 512, afterSeq: 2}})
    expect(verifyJournal(await readFile(file, 'utf8'))).toEqual({ok: true, events: 3})
  })

  it('refuses a journal broken in the middle, names the first broken event, and changes nothing', async () => {
    // Given a journal whose third line was edited, and whose last line is also incomplete
    const {file} = await writeJournal(5)
    const lines = (await readFile(file, 'utf8')).split('\n')
    lines[2] = (lines[2] as string).replace('event 3', 'event 9')
    const tampered = lines.join('\n') + '{"seq":6,"ts":'
    await writeFile(file, tampered)
    // When it is opened
    const error = await rejection(Journal.open(file, {secrets: new SecretRegistry()}))
    // Then it is refused with ERR_JOURNAL_CORRUPT naming line and event 3, and the file is untouched
    expect(error.code).toBe('ERR_JOURNAL_CORRUPT')
    expect(error.message).toMatch(/line 3: Event 3 does not match its hash/)
    expect(error.details).toMatchObject({seq: 3, line: 3})
    expect(await readFile(file, 'utf8')).toBe(tampered)
  })

  it('never writes a registered secret, in any encoding the registry knows, however deeply nested', async () => {
    // Given a registry holding a leaked RSA key's private members
    const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 1024})
    const jwk = privateKey.export({format: 'jwk'}) as Record<string, string>
    const secrets = new SecretRegistry()
    secrets.addJwk(jwk)
    const d = jwk.d as string
    const needles = [
      d,
      Buffer.from(d, 'base64url').toString('base64').replace(/=+$/, ''),
      Buffer.from(d, 'base64url').toString('hex'),
    ]
    for (const name of ['p', 'q', 'dp', 'dq', 'qi']) needles.push(jwk[name] as string)
    // When events carry them in nested objects, arrays, inside longer text, and as a member name
    const file = join(await tempDir(), 'journal.jsonl')
    const journal = await Journal.create(file, {secrets})
    await journal.append('step.succeeded', {step: 'inspect', outputs: {key: jwk, found: [{at: `line 3: "d": "${d}"`}]}})
    await journal.append('evidence.dump', {
      base64: needles[1],
      nested: {deeper: [[{hex: needles[2]}]]},
      [jwk.p as string]: 'a member name',
    })
    await journal.close()
    // Then neither the file nor the events kept in memory contain any of them, and the chain verifies
    const text = await readFile(file, 'utf8')
    for (const needle of needles) {
      expect(text).not.toContain(needle)
      expect(JSON.stringify(journal.events())).not.toContain(needle)
    }
    expect(text).toContain('[REDACTED]')
    expect(journal.events()[0]?.data).toMatchObject({outputs: {key: {kty: 'RSA', d: '[REDACTED]'}}})
    expect(verifyJournal(text)).toEqual({ok: true, events: 2})
  })

  it('keeps concurrent appends from one process in call order and correctly chained', async () => {
    // Given a journal
    const file = join(await tempDir(), 'journal.jsonl')
    const journal = await Journal.create(file, {secrets: new SecretRegistry()})
    // When 100 appends are started at once, without waiting for each other
    const events = await Promise.all(Array.from({length: 100}, (_, i) => journal.append('test.event', {n: i + 1})))
    await journal.close()
    // Then each got the seq of its call, each points to the one before, and the file verifies
    expect(events.map((event) => event.data.n)).toEqual(events.map((event) => event.seq))
    expect(events.slice(1).every((event, i) => event.prev === events[i]?.hash)).toBe(true)
    const text = await readFile(file, 'utf8')
    expect(verifyJournal(text)).toEqual({ok: true, events: 100})
    expect(
      text
        .split('\n')
        .slice(0, -1)
        .map((line) => JSON.parse(line).data.n),
    ).toEqual(events.map((event) => event.seq))
  })

  it('refuses data with no JSON form without writing anything, and keeps working after', async () => {
    // Given a journal with one event
    const file = join(await tempDir(), 'journal.jsonl')
    const journal = await Journal.create(file, {secrets: new SecretRegistry()})
    await journal.append('test.event', {n: 1})
    // When an append carries NaN, and then a good one follows
    const bad = journal.append('test.event', {ratio: Number.NaN})
    const good = journal.append('test.event', {n: 2})
    // Then the bad one is refused naming the member, and the good one continues the chain
    expect((await rejection(bad)).message).toContain('value.ratio')
    expect(await good).toMatchObject({seq: 2, data: {n: 2}})
    await journal.close()
    expect(verifyJournal(await readFile(file, 'utf8'))).toEqual({ok: true, events: 2})
  })

  it('stores plain data: later changes to the caller objects or the returned event cannot touch the chain', async () => {
    // Given data with a Date and an undefined member, appended
    const file = join(await tempDir(), 'journal.jsonl')
    const journal = await Journal.create(file, {secrets: new SecretRegistry()})
    const outputs = {list: [1], at: new Date('2026-11-29T00:00:00.000Z'), gone: undefined}
    const event = await journal.append('step.succeeded', {step: 's', outputs})
    // When the caller changes its object and tries to change the event
    outputs.list.push(2)
    // Then the event holds what was written, as it will be read back, and cannot be changed
    expect(event.data).toEqual({step: 's', outputs: {list: [1], at: '2026-11-29T00:00:00.000Z'}})
    expect(() => ((event.data.outputs as {list: number[]}).list[0] = 9)).toThrow(TypeError)
    await journal.close()
    const reopened = await Journal.open(file, {secrets: new SecretRegistry()})
    expect(reopened.events()).toEqual([event])
    await reopened.close()
  })

  it('refuses appends after close', async () => {
    const file = join(await tempDir(), 'journal.jsonl')
    const journal = await Journal.create(file, {secrets: new SecretRegistry()})
    await journal.close()
    await journal.close()
    expect((await rejection(journal.append('test.event', {}))).message).toMatch(/closed/)
  })
})
