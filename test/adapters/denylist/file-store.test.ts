// The denylist file: created when missing, merged in place by an atomic replace (no temp files left,
// mode 0644), untouched when nothing changes, and whole when a write fails part-way.
import {execFile, spawn} from 'node:child_process'
import {once} from 'node:events'
import {mkdtemp, readdir, readFile, rm, stat, utimes, writeFile, mkdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {fileDenylistStore, mergeIntoDenylistFile} from '../../../src/adapters/denylist/file-store.js'
import {readDenylistFile} from '../../../src/guard/denylist-file.js'
import type {DenylistEntry} from '../../../src/core/containment/denylist.js'
import {JwkrError} from '../../../src/core/errors.js'

const run = promisify(execFile)
const FIXTURE = fileURLToPath(new URL('fixtures/merge-denylist.ts', import.meta.url))
const T0 = new Date('2025-03-01T10:00:00.000Z')
const T1 = new Date('2025-03-01T11:00:00.000Z')
const TP_A = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
const TP_B = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'

function entry(thumbprint: string, kid = 'k1'): DenylistEntry {
  return {
    thumbprint,
    kid,
    iss: 'https://auth.example.com',
    notBefore: T0.toISOString(),
    reason: 'key-compromise',
    incident: 'inc-1',
  }
}

async function failure(action: () => Promise<unknown>): Promise<JwkrError> {
  try {
    await action()
  } catch (error) {
    if (error instanceof JwkrError) return error
    throw error
  }
  throw new Error('expected a JwkrError')
}

let dir: string
let file: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jwkr-denylist-'))
  file = join(dir, 'denylist.json')
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('mergeIntoDenylistFile', () => {
  it('creates a missing file, readable by everyone (0644) whatever the umask, and leaves no temp file', async () => {
    // Given no file and a strict umask
    const umask = process.umask(0o077)
    try {
      // When an entry is merged
      const {added} = await mergeIntoDenylistFile(file, [entry(TP_A)], T1)
      // Then the file holds the document, with mode 0644, and is alone in its folder
      expect(added).toEqual([entry(TP_A)])
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({version: 1, updated: T1.toISOString(), entries: [entry(TP_A)]})
      expect((await stat(file)).mode & 0o777).toBe(0o644)
      expect(await readdir(dir)).toEqual(['denylist.json'])
    } finally {
      process.umask(umask)
    }
  })

  it('keeps what the file holds and replaces it by rename (a new inode) when it adds', async () => {
    // Given a file with A
    await mergeIntoDenylistFile(file, [entry(TP_A)], T0)
    const before = await stat(file)
    // When B is merged
    const {document, added} = await mergeIntoDenylistFile(file, [entry(TP_B, 'k2')], T1)
    // Then A is kept first, B follows, and the file was swapped whole rather than rewritten in place
    expect(added.map((e) => e.thumbprint)).toEqual([TP_B])
    expect((await readDenylistFile(file))?.entries).toEqual([entry(TP_A), entry(TP_B, 'k2')])
    expect(document.updated).toBe(T1.toISOString())
    expect((await stat(file)).ino).not.toBe(before.ino)
    expect(await readdir(dir)).toEqual(['denylist.json'])
  })

  it('does not touch the file when nothing is new', async () => {
    // Given a file with A
    await mergeIntoDenylistFile(file, [entry(TP_A)], T0)
    const text = await readFile(file, 'utf8')
    const before = await stat(file)
    // When A is merged again
    const {added} = await mergeIntoDenylistFile(file, [entry(TP_A)], T1)
    // Then the very same file is there, byte for byte
    expect(added).toEqual([])
    expect(await readFile(file, 'utf8')).toBe(text)
    expect((await stat(file)).ino).toBe(before.ino)
  })

  it('refuses to merge into a malformed file and leaves it as it is', async () => {
    // Given a file someone half-edited
    const text = '{"version": 1, "updated": "2025-03-01T10:00:00Z", "entries": [\n  {"thumbprint": "abc"\n'
    await writeFile(file, text)
    // When an entry is merged
    const error = await failure(() => mergeIntoDenylistFile(file, [entry(TP_A)], T1))
    // Then the error names the file and the place, and the file is unchanged
    expect(error.code).toBe('ERR_DENYLIST_INVALID')
    expect(error.message).toBe(`The denylist ${file} is not valid JSON at line 3, column 1.`)
    expect(await readFile(file, 'utf8')).toBe(text)
  })

  it('says so when the folder does not exist, and creates nothing', async () => {
    const missing = join(dir, 'no-such-folder', 'denylist.json')
    const error = await failure(() => mergeIntoDenylistFile(missing, [entry(TP_A)], T1))
    expect(error.code).toBe('ERR_DENYLIST_WRITE')
    expect(error.hint).toBe(
      `The folder ${join(dir, 'no-such-folder')} does not exist: create it, or pass another --denylist-file.`,
    )
    expect(await readdir(dir)).toEqual([])
  })

  it('keeps the old file whole when the write fails before the rename (a file size limit cuts it off)', async () => {
    // Given a file with A
    await mergeIntoDenylistFile(file, [entry(TP_A)], T0)
    const text = await readFile(file, 'utf8')
    // When another process merges 40 entries under a 1 KiB file size limit (the temp file cannot be written whole)
    const child = await run('bash', [
      '-c',
      `ulimit -f 2; exec "${process.execPath}" --import tsx "${FIXTURE}" "${file}" 40`,
    ]).then(
      ({stdout}) => ({code: 0, stdout}),
      (error: {code: number; stdout: string}) => error,
    )
    // Then it fails with a clear write error, the old file is intact and no temp file is left
    expect(child.code).toBe(1)
    expect(JSON.parse(child.stdout)).toEqual({
      code: 'ERR_DENYLIST_WRITE',
      message: `Cannot write the denylist ${file}: EFBIG. The previous file is unchanged.`,
    })
    expect(await readFile(file, 'utf8')).toBe(text)
    expect(await readdir(dir)).toEqual(['denylist.json'])
    // And without the limit the same merge goes through
    const ok = await run(process.execPath, ['--import', 'tsx', FIXTURE, file, '40'])
    expect(JSON.parse(ok.stdout)).toEqual({added: 40})
    expect((await readDenylistFile(file))?.entries).toHaveLength(41)
  })
})

describe('concurrent writers', () => {
  const WRITERS = 8
  const ROUNDS = 5

  /** A writer process that merges one entry, `<name>-<round>-0`, each time it is sent a round. */
  async function startWriter(name: string): Promise<{merge(round: number): Promise<unknown>; stop(): Promise<void>}> {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, file, '1', name, '--rounds'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    const lines = createInterface({input: child.stdout})[Symbol.asyncIterator]()
    expect((await lines.next()).value).toBe('ready')
    return {
      merge: async (round) => {
        child.stdin.write(`${round}\n`)
        return JSON.parse(String((await lines.next()).value)) as unknown
      },
      stop: async () => {
        child.stdin.end()
        await once(child, 'close')
      },
    }
  }

  it(`loses no entry when ${WRITERS} processes merge into one file at the same instant, round after round`, async () => {
    // Given eight writer processes, each with keys of its own, and one denylist file, not there yet
    const names = Array.from({length: WRITERS}, (_, writer) => `writer-${writer}`)
    const writers = await Promise.all(names.map(startWriter))
    try {
      for (let round = 0; round < ROUNDS; round++) {
        // When all of them merge an entry at once
        const outcomes = await Promise.all(writers.map((writer) => writer.merge(round)))
        // Then every one of them says it added its entry
        expect(outcomes).toEqual(names.map(() => ({added: 1})))
      }
    } finally {
      await Promise.all(writers.map((writer) => writer.stop()))
    }
    // And the file holds every entry of every round, and nothing else is left in the folder
    const kids = new Set((await readDenylistFile(file))?.entries.map((found) => found.kid))
    const expected = names.flatMap((name) => Array.from({length: ROUNDS}, (_, round) => `${name}-${round}-0`))
    const lost = expected.filter((kid) => !kids.has(kid))
    expect({writers: WRITERS, entries: expected.length, lost: lost.length}).toEqual({
      writers: WRITERS,
      entries: WRITERS * ROUNDS,
      lost: 0,
    })
    expect(await readdir(dir)).toEqual(['denylist.json'])
  }, 120_000)

  it('takes over a lock left by a writer that was killed, once it has gone stale', async () => {
    // Given the lock of a writer killed while it held it: untouched for a minute
    await mergeIntoDenylistFile(file, [entry(TP_A)], T0)
    await mkdir(`${file}.lock`)
    const minuteAgo = new Date(Date.now() - 60_000)
    await utimes(`${file}.lock`, minuteAgo, minuteAgo)
    // When another writer merges
    const {added} = await mergeIntoDenylistFile(file, [entry(TP_B, 'k2')], T1)
    // Then it goes through, keeps what was there, and removes the lock
    expect(added.map((found) => found.thumbprint)).toEqual([TP_B])
    expect((await readDenylistFile(file))?.entries.map((found) => found.thumbprint)).toEqual([TP_A, TP_B])
    expect(await readdir(dir)).toEqual(['denylist.json'])
  })

  it('installs no signal handler in a process that only reads the file (a relying party with the guard)', async () => {
    // Given a process that loads the guard's file source and reads a denylist
    await mergeIntoDenylistFile(file, [entry(TP_A)], T0)
    const script = [
      `const {readDenylistFile} = await import(${JSON.stringify(new URL('../../../src/guard/denylist-file.ts', import.meta.url).href)})`,
      `await import(${JSON.stringify(new URL('../../../src/guard/file-source.ts', import.meta.url).href)})`,
      `await readDenylistFile(${JSON.stringify(file)})`,
      `console.log(JSON.stringify(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGXFSZ'].map((name) => process.listeners(name).length)))`,
    ].join('\n')
    // When it has read it
    const {stdout} = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])
    // Then no signal of the process has a listener: its own handling is unchanged
    expect(JSON.parse(stdout)).toEqual([0, 0, 0, 0])
  })
})

describe('readDenylistFile', () => {
  it('gives undefined for a missing file', async () => {
    expect(await readDenylistFile(file)).toBeUndefined()
  })

  it('reports a path it cannot read as a file', async () => {
    await mkdir(file)
    const error = await failure(() => readDenylistFile(file))
    expect(error.code).toBe('ERR_DENYLIST_READ')
    expect(error.message).toBe(`Cannot read the denylist ${file}: EISDIR.`)
  })
})

describe('fileDenylistStore', () => {
  it('merges through the DenylistStore port', async () => {
    const store = fileDenylistStore(file)
    expect(store.target).toBe(file)
    expect((await store.merge([entry(TP_A)], T1)).added).toEqual([entry(TP_A)])
    expect((await store.merge([entry(TP_A)], T1)).added).toEqual([])
    await store.close()
  })
})
