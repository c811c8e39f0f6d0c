// Atomic writes: a file appears whole or not at all, a key file or backup is never written over, a
// process killed mid-write leaves only a temp file (never a torn file at the path), and resume's
// cleanup removes the temp files of dead processes and nothing else.
import {execFile, spawn} from 'node:child_process'
import {once} from 'node:events'
import {mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {backupOnce, createFileAtomic, removeLeftoverTempFiles, writeFileAtomic} from '../../../src/adapters/fs/atomic-file.js'

const run = promisify(execFile)
const KILLED_WHILE_WRITING = fileURLToPath(new URL('fixtures/killed-while-writing.ts', import.meta.url))
const FAIL_WHILE_WRITING = fileURLToPath(new URL('fixtures/fail-while-writing.ts', import.meta.url))

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jwkr-atomic-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

/** Runs the fixture that kills itself as it starts writing; resolves with the signal it died of. */
async function killedWhileWriting(what: 'key' | 'backup', path: string): Promise<string | null> {
  const child = await run(process.execPath, ['--import', 'tsx', KILLED_WHILE_WRITING, what, path]).then(
    () => ({signal: null}),
    (error: {signal: string | null}) => error,
  )
  return child.signal
}

/**
 * Replaces `path` with `bytes` bytes in a child process whose file-size limit is `limit` bytes, set
 * with prlimit once the child has loaded: the write fails half way. Resolves with what the child saw.
 */
async function failWhileWriting(path: string, bytes: number, limit: number): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', FAIL_WHILE_WRITING, path, String(bytes)])
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  while (!out.includes('ready')) await once(child.stdout, 'data')
  await run('prlimit', [`--pid=${child.pid}`, `--fsize=${limit}:${limit}`])
  child.stdin.end('go\n')
  await once(child, 'exit')
  return out.replace('ready\n', '').trim()
}

/** The pid of a process that has exited (and so cannot own a temp file any more). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''])
  await once(child, 'exit')
  return child.pid as number
}

describe('createFileAtomic', () => {
  it('creates the file whole, with the mode given whatever the umask, and leaves no temp file', async () => {
    const umask = process.umask(0o077)
    try {
      await createFileAtomic(join(dir, 'a.json'), 'whole\n', 0o640)
    } finally {
      process.umask(umask)
    }
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('whole\n')
    expect((await stat(join(dir, 'a.json'))).mode & 0o777).toBe(0o640)
    expect(await readdir(dir)).toEqual(['a.json'])
  })

  it('refuses to replace a file (EEXIST), leaving it and nothing else', async () => {
    await writeFile(join(dir, 'a.json'), 'first\n')
    const error = await createFileAtomic(join(dir, 'a.json'), 'second\n').catch((caught: unknown) => caught)
    expect(error).toMatchObject({code: 'EEXIST'})
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('first\n')
    expect(await readdir(dir)).toEqual(['a.json'])
  })
})

describe('writeFileAtomic', () => {
  it('keeps the mode of the file it replaces, unless told to set its own', async () => {
    await writeFile(join(dir, 'a.json'), 'old\n', {mode: 0o644})
    await writeFileAtomic(join(dir, 'a.json'), 'new\n', 0o600)
    expect((await stat(join(dir, 'a.json'))).mode & 0o777).toBe(0o644)
    await writeFileAtomic(join(dir, 'a.json'), 'newer\n', 0o600, {keepMode: false})
    expect((await stat(join(dir, 'a.json'))).mode & 0o777).toBe(0o600)
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('newer\n')
    expect(await readdir(dir)).toEqual(['a.json'])
  })

  it('leaves the old file whole and no temp file when the write fails half way', async () => {
    // Given a file, and a process allowed to write 16 KiB per file
    await writeFile(join(dir, 'world.json'), '{"old":true}\n', {mode: 0o600})
    // When it replaces the file with 64 KiB
    const outcome = await failWhileWriting(join(dir, 'world.json'), 64 * 1024, 16 * 1024)
    // Then the write failed (file too large), the old file is as it was, and nothing else is left
    expect(outcome).toBe('EFBIG')
    expect(await readFile(join(dir, 'world.json'), 'utf8')).toBe('{"old":true}\n')
    expect(await readdir(dir)).toEqual(['world.json'])
  })
})

describe('a process killed while writing', () => {
  it('leaves no key file at the path, so a rerun can write a whole one', async () => {
    // Given a process killed as it writes a new private key
    const path = join(dir, 'keys', 'rotate.private.jwk.json')
    expect(await killedWhileWriting('key', path)).toBe('SIGKILL')
    // Then nothing is at the path (a torn key would make resume fail), only a temp file, mode 0600
    const left = await readdir(join(dir, 'keys'))
    expect(left).toHaveLength(1)
    expect(left[0]).toMatch(/^\.rotate\.private\.jwk\.json\.\d+\.[0-9a-f]{12}\.tmp$/)
    expect((await stat(join(dir, 'keys', left[0] as string))).mode & 0o777).toBe(0o600)
    // And resume's cleanup removes it
    expect(await removeLeftoverTempFiles(dir)).toEqual([join(dir, 'keys', left[0] as string)])
    expect(await readdir(join(dir, 'keys'))).toEqual([])
  })

  it('leaves no half backup, so the next attempt still keeps the true original', async () => {
    // Given a process killed as it writes the first backup
    const path = join(dir, 'backups', 'auth-main.before-add.json')
    expect(await killedWhileWriting('backup', path)).toBe('SIGKILL')
    // When the change is attempted again
    expect(await backupOnce('the original\n', path)).toBe(true)
    // Then the backup holds the original, and a later attempt keeps it
    expect(await backupOnce('half-changed\n', path)).toBe(false)
    expect(await readFile(path, 'utf8')).toBe('the original\n')
  })
})

describe('removeLeftoverTempFiles', () => {
  it('removes the temp files of dead processes in every subfolder, and nothing else', async () => {
    // Given temp files of a dead process, of this (live) process, and files that only look alike
    const dead = await deadPid()
    await mkdir(join(dir, 'artifacts', 'keys'), {recursive: true})
    const files = {
      deadTop: join(dir, `.journal.jsonl.${dead}.0123456789ab.tmp`),
      deadDeep: join(dir, 'artifacts', 'keys', `.rotate.private.jwk.json.${dead}.abcdef012345.tmp`),
      live: join(dir, 'artifacts', `.locate.json.${process.pid}.abcdef012345.tmp`),
      journal: join(dir, 'journal.jsonl'),
      userTmp: join(dir, 'artifacts', 'notes.tmp'),
    }
    for (const path of Object.values(files)) await writeFile(path, '')
    // When resume cleans up
    const removed = await removeLeftoverTempFiles(dir)
    // Then only the dead process's temp files are gone
    expect(removed).toEqual([files.deadDeep, files.deadTop].sort())
    for (const path of [files.live, files.journal, files.userTmp]) await expect(stat(path)).resolves.toBeDefined()
  })

  it('answers nothing for a folder that does not exist', async () => {
    expect(await removeLeftoverTempFiles(join(dir, 'none'))).toEqual([])
  })
})
