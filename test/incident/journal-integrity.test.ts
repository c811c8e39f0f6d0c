// The journal as evidence: `jwkr incident verify` must not call a journal intact when it was emptied,
// deleted or rewritten from the top. The chain is keyed with a per-incident secret (an HMAC chain), so
// recomputing the published formula over edited events does not pass; incidents opened before chains
// were keyed still verify, with a warning in words.
import {createHash, createHmac} from 'node:crypto'
import {readFile, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'

import {SecretRegistry} from '../../src/core/secrets.js'
import {canonicalJson} from '../../src/incident/canonical-json.js'
import {CHAIN_KEY_FILE} from '../../src/incident/chain-key.js'
import {formatEventLine, hashEvent} from '../../src/incident/event-line.js'
import {Journal} from '../../src/incident/journal.js'
import {GENESIS_HASH, type JournalEvent} from '../../src/core/journal/types.js'
import {verifyIncident} from '../../src/incident/verify-incident.js'
import {createIncident} from '../../src/incident/workspace.js'
import {startRun} from '../../src/playbook/respond.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome} from '../helpers/engine-harness.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

const example = join(projectRoot, 'examples/leaked-signing-key.json')

/** The same events with every hash recomputed by the published, unkeyed formula: a rewrite from the top. */
function rewrittenUnkeyed(events: JournalEvent[], change: (event: JournalEvent) => JournalEvent = (e) => e): string {
  let prev = GENESIS_HASH
  return events
    .map((original) => {
      const {seq, ts, type, data} = change(original)
      const hash = createHash('sha256')
        .update(prev + canonicalJson({seq, ts, type, data, prev}))
        .digest('hex')
      const line = formatEventLine({seq, ts, type, data, prev, hash})
      prev = hash
      return `${line}\n`
    })
    .join('')
}

describe('journal integrity', {timeout: 60_000}, () => {
  let home: string
  let id: string
  let dir: string
  let journalPath: string

  beforeEach(async () => {
    // Given an incident opened by a real run (inspect-only, on the example leaked key)
    home = await tempHome()
    const result = await startRun({
      ...baseOptions(home),
      yes: true,
      playbook: 'inspect-only',
      inputs: {key: example},
      registry: registryWith(),
      ui: scriptedUi({}, false),
    })
    id = result.incident
    dir = join(home, 'incidents', id)
    journalPath = join(dir, 'journal.jsonl')
  })

  it('keys the chain with a per-incident secret kept in the incident folder (0600), and verifies it', async () => {
    // Then the chain key sits beside the journal with mode 0600
    const keyFile = join(dir, CHAIN_KEY_FILE)
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    const key = Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64url')
    expect(key).toHaveLength(32)
    // And every hash is an HMAC-SHA-256 under it, not the plain SHA-256 of the same bytes
    const [first] = await readJournal(home, id)
    const {seq, ts, type, data, prev} = first as JournalEvent
    const bytes = prev + canonicalJson({seq, ts, type, data, prev})
    expect(first?.hash).toBe(createHmac('sha256', key).update(bytes).digest('hex'))
    expect(first?.hash).not.toBe(createHash('sha256').update(bytes).digest('hex'))
    // And the incident verifies as a keyed chain, without warnings, printing no part of the key
    expect(await verifyIncident(home, id)).toMatchObject({ok: true, chain: 'keyed', warnings: []})
    const {stdout, stderr, error} = await run(['incident', 'verify', id, '--home', home, '--json'])
    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({ok: true, chain: 'keyed', warnings: []})
    expect(stdout + stderr).not.toContain((await readFile(keyFile, 'utf8')).trim())
    expect(await readFile(journalPath, 'utf8')).not.toContain((await readFile(keyFile, 'utf8')).trim())
  })

  it('fails on an emptied journal, with a clear message and exit 1', async () => {
    // Given the journal emptied
    await writeFile(journalPath, '')
    // When verified, then it fails, saying the journal is empty, and exits non-zero
    await expect(verifyIncident(home, id)).rejects.toMatchObject({
      code: 'ERR_JOURNAL_MISSING',
      message: expect.stringContaining('is empty'),
    })
    const {stderr, error} = await run(['incident', 'verify', id, '--home', home])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain(`The journal of incident ${id} is empty`)
    expect(stderr).not.toContain('chain intact')
  })

  it('fails on a deleted journal, saying the folder shows the incident ran when its artifacts do', async () => {
    // Given a report the run wrote, and then the journal deleted
    await writeFile(join(dir, 'artifacts', 'rca.md'), '# RCA\n')
    await rm(journalPath)
    // When verified, then it fails: the journal is missing, and was deleted after the incident ran
    const {stderr, error} = await run(['incident', 'verify', id, '--home', home])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain(`The journal of incident ${id} is missing`)
    expect(stderr).toContain('rca.md')
    expect(stderr).toContain('deleted or emptied after the incident ran')
  })

  it('fails on a journal rewritten from the top with a recomputed unkeyed chain', async () => {
    // Given the journal rewritten: the note's text changed and every hash recomputed with the published formula
    const events = await readJournal(home, id)
    const forged = rewrittenUnkeyed(events, (event) =>
      event.type === 'note.added' ? {...event, data: {...event.data, text: 'Nothing was exposed.'}} : event,
    )
    await writeFile(journalPath, forged)
    // When verified, then event 1 is refused: its hash is not the keyed one
    await expect(verifyIncident(home, id)).rejects.toMatchObject({
      code: 'ERR_JOURNAL_CORRUPT',
      details: {seq: 1, line: 1},
      message: expect.stringContaining("does not match its hash under the incident's chain key"),
    })
    const {stderr, error} = await run(['incident', 'verify', id, '--home', home])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain('the whole journal was rewritten')
    // And the same events rewritten unchanged fail too: only the chain key makes a valid hash
    await writeFile(journalPath, rewrittenUnkeyed(events))
    expect(exitCodeOf((await run(['incident', 'verify', id, '--home', home])).error)).toBe(1)
  })

  it('fails when the chain key was removed, saying to put it back', async () => {
    await rm(join(dir, CHAIN_KEY_FILE))
    await expect(verifyIncident(home, id)).rejects.toMatchObject({
      code: 'ERR_JOURNAL_CORRUPT',
      message: expect.stringContaining(`put it back`),
    })
  })

  it('refuses to resume or append to a rewritten journal', async () => {
    await writeFile(journalPath, rewrittenUnkeyed(await readJournal(home, id)))
    const {stderr, error} = await run(['incident', 'close', id, '--reason', 'done', '--home', home])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain('is broken at line 1')
  })
})

describe('journals of incidents opened before chains were keyed', () => {
  it('still verify, with "unkeyed chain" as a warning in words, never a silent ok', async () => {
    // Given an incident folder and journal as an earlier jwkr wrote them: no chain key
    const home = await tempHome()
    const location = await createIncident(home, {thumbprint: 'legacy', now: new Date('2026-11-29T03:00:00.000Z')})
    const journal = await Journal.create(location.journalPath, {secrets: new SecretRegistry()})
    await journal.append('incident.opened', {id: location.id, thumbprint: 'legacy', inputs: {}})
    await journal.close()
    // When verified on the command line
    const {stdout, stderr, error} = await run(['incident', 'verify', location.id, '--home', home])
    // Then it passes, and says in words what an unkeyed chain cannot show
    expect(error).toBeUndefined()
    expect(stdout).toContain('1 events, unkeyed chain intact')
    expect(stderr).toMatch(/Warning: unkeyed chain: .*rewritten from the top with recomputed hashes would pass/)
    // And its hashes are the published unkeyed formula, still checked
    const [event] = await readJournal(home, location.id)
    expect(event?.hash).toBe(hashEvent(event as JournalEvent))
  })
})
