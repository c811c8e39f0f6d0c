import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'
import {readFile, stat, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {type JwkrError} from '../../src/core/errors.js'
import {acquireLock, isOwnerAlive, readLock} from '../../src/incident/lock.js'
import {tempDir} from './helpers.js'

const children: ChildProcess[] = []

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
})

/** A node process that sleeps until killed. */
async function liveProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {stdio: 'ignore'})
  children.push(child)
  await once(child, 'spawn')
  return child.pid as number
}

/** The pid of a node process that has already exited. */
async function deadProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], {stdio: 'ignore'})
  await once(child, 'exit')
  return child.pid as number
}

async function writeLock(dir: string, owner: {pid: number; host?: string; since?: string}): Promise<string> {
  const content = JSON.stringify({host: hostname(), since: new Date().toISOString(), ...owner})
  await writeFile(join(dir, 'lock'), content)
  return content
}

async function refusal(promise: Promise<unknown>): Promise<JwkrError> {
  try {
    await promise
  } catch (error) {
    return error as JwkrError
  }
  throw new Error('expected acquireLock to refuse')
}

describe('acquireLock', () => {
  it('writes the owner to a private lock file and removes it on release', async () => {
    // Given an incident folder, when its lock is taken
    const dir = await tempDir()
    const lock = await acquireLock(dir, {now: () => new Date('2026-11-29T03:00:00.000Z')})
    // Then the lock names this process, this host and the time, readable only by the user
    expect(lock.owner).toEqual({pid: process.pid, host: hostname(), since: '2026-11-29T03:00:00.000Z'})
    expect(JSON.parse(await readFile(join(dir, 'lock'), 'utf8'))).toMatchObject(lock.owner)
    expect((await stat(join(dir, 'lock'))).mode & 0o777).toBe(0o600)
    expect(lock.tookOverFrom).toBeUndefined()
    expect(await readLock(dir)).toMatchObject(lock.owner)
    // When it is released (twice), then the file is gone and the lock can be taken again
    await lock.release()
    await lock.release()
    expect(await readLock(dir)).toBeUndefined()
    const again = await acquireLock(dir)
    again.releaseSync()
    expect(await readLock(dir)).toBeUndefined()
  })

  it('refuses a second acquire in the same process, naming pid, host and since and what to do', async () => {
    // Given a lock held by this process
    const dir = await tempDir()
    const held = await acquireLock(dir)
    // When a second acquire is attempted
    const error = await refusal(acquireLock(dir))
    // Then it fails with ERR_INCIDENT_LOCKED and a message a responder can act on
    expect(error.code).toBe('ERR_INCIDENT_LOCKED')
    expect(error.message).toContain(`process ${process.pid} (this very process) on ${hostname()} since ${held.owner.since}`)
    expect(error.hint).toMatch(/Wait for it to finish, or stop it/)
    await held.release()
  })

  it('refuses a lock held by a live process on this host, and leaves the lock alone', async () => {
    // Given a lock naming a running child process
    const dir = await tempDir()
    const pid = await liveProcess()
    const content = await writeLock(dir, {pid})
    // When the lock is asked for
    const error = await refusal(acquireLock(dir))
    // Then it is refused naming that process, and the lock file is unchanged
    expect(error.code).toBe('ERR_INCIDENT_LOCKED')
    expect(error.message).toContain(`process ${pid} on ${hostname()}`)
    expect(error.hint).toContain(`kill ${pid}`)
    expect(await readFile(join(dir, 'lock'), 'utf8')).toBe(content)
  })

  it('takes over a lock whose process is dead, and says whose it was', async () => {
    // Given a lock naming a process that has exited
    const dir = await tempDir()
    const pid = await deadProcess()
    const since = new Date().toISOString()
    await writeLock(dir, {pid, since})
    // When the lock is asked for
    const lock = await acquireLock(dir)
    // Then it is taken over, the old owner is reported, and the file now names this process
    expect(lock.tookOverFrom).toEqual({
      pid,
      host: hostname(),
      since,
      reason: `process ${pid} on ${hostname()} is no longer running`,
    })
    expect(await readLock(dir)).toEqual(lock.owner)
    await lock.release()
  })

  it('takes over a lock taken before this machine last started, even if its pid is now in use', async () => {
    // Given a lock from before the last boot whose pid has been reused by a live process
    const dir = await tempDir()
    const pid = await liveProcess()
    await writeLock(dir, {pid, since: '2000-01-01T00:00:00.000Z'})
    // When the lock is asked for, then it is taken over with that reason
    const lock = await acquireLock(dir)
    expect(lock.tookOverFrom?.reason).toMatch(/before this machine last started/)
    await lock.release()
  })

  it('takes over an empty lock file (a crash between creating and writing it)', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'lock'), '')
    const lock = await acquireLock(dir)
    expect(lock.tookOverFrom).toEqual({
      pid: null,
      host: null,
      since: null,
      reason: 'the lock file was empty or unreadable (left by a crash)',
    })
    await lock.release()
  })

  it('refuses a lock held on another host, which it cannot check, and says how to clear it', async () => {
    const dir = await tempDir()
    await writeLock(dir, {pid: 4242, host: 'laptop-of-ana'})
    const error = await refusal(acquireLock(dir))
    expect(error.code).toBe('ERR_INCIDENT_LOCKED')
    expect(error.message).toContain('process 4242 on laptop-of-ana')
    expect(error.hint).toContain(`delete ${join(dir, 'lock')}`)
    expect(isOwnerAlive({pid: 4242, host: 'laptop-of-ana', since: ''})).toBeUndefined()
  })

  it('does not remove the lock of a process that took it over', async () => {
    // Given a lock taken under a pid that then died, and taken over by another owner
    const dir = await tempDir()
    const first = await acquireLock(dir, {pid: await deadProcess()})
    const second = await acquireLock(dir)
    expect(second.tookOverFrom?.pid).toBe(first.owner.pid)
    // When the first owner releases, then the second owner's lock stays
    await first.release()
    first.releaseSync()
    expect(await readLock(dir)).toEqual(second.owner)
    await second.release()
  })
})
