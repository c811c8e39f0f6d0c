// Shared pieces of the drill tests: a temporary workspace, probing a relying party with a token,
// polling for a condition with a deadline, and checking that a port is closed.
import {mkdtemp, readdir, readFile, rm} from 'node:fs/promises'
import {connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {JwkrError} from '../../src/core/errors.js'

export async function tempHome(): Promise<{home: string; remove: () => Promise<void>}> {
  const root = await mkdtemp(join(tmpdir(), 'jwkr-drill-'))
  return {home: join(root, '.jwkr'), remove: () => rm(root, {recursive: true, force: true})}
}

/** The HTTP status a probe URL answers to a bearer token. */
export async function probe(url: string, token: string): Promise<number> {
  const response = await fetch(url, {headers: {authorization: `Bearer ${token}`}})
  await response.arrayBuffer()
  return response.status
}

/** Polls `check` every 100 ms until it is true; throws after `timeoutMs`. Returns the milliseconds it took. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return Date.now() - started
}

/** Resolves with the error code of a TCP connection to the port (ECONNREFUSED when nothing listens), or 'connected'. */
export function connectTo(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
  })
}

export function portOf(url: string): number {
  return Number(new URL(url).port)
}

/** Pids whose parent is this process (Linux /proc); [] where there is no /proc. */
export async function childPids(): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[])
  const children: number[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    // Field 4 (after "pid (comm) state") is the parent pid; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (ppid === process.pid) children.push(Number(entry))
  }
  return children
}

/** Active handles of the kinds a world opens: listening servers, sockets and file watchers. */
export function openHandles(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) {
    if (['TCPServerWrap', 'TCPSocketWrap', 'FSEventWrap'].includes(kind)) counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}

/** Every private member value of a JWK, as needles for secrecy assertions. */
export function privateValues(jwk: Record<string, unknown>): string[] {
  return ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((name) => jwk[name]).filter((value): value is string => typeof value === 'string')
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<JwkrError> {
  try {
    await promise
  } catch (error) {
    return error as JwkrError
  }
  throw new Error('expected a rejection')
}
