// A simulated API (Slack, GitHub) is one state machine that answers requests — src/drill/slack-simulator.ts,
// src/drill/github-simulator.ts — and two thin transports that only translate: the node:http server
// below, which the drill's world listens with, and msw handlers (test/mocks/simulator.ts) for the tests.
// So the drill and the test suite exercise the same simulator: state, validation, refusals and faults.
import type {IncomingMessage, ServerResponse} from 'node:http'

import {readBody, sendJson, startLoopbackServer, type LoopbackServer} from './loopback-server.js'

/** One request, as any transport hands it to a simulator. */
export interface SimRequest {
  method: string
  /** The whole URL the client asked for (query string included). */
  url: URL
  /** The path below the API root (`/repos/o/r/issues`, `chat.postMessage`), percent-encoding kept. */
  path: string
  /** Lower-case names. */
  headers: Record<string, string>
  body: string
}

/** A request as a simulator records it. */
export interface RecordedRequest {
  method: string
  url: string
  /** Path below the API root, e.g. /search/code. */
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  body: string
}

/** What the simulator answers: JSON, a dropped connection, or nothing at all (a hang). */
export type SimReply = {status: number; json: unknown; headers?: Record<string, string>} | {network: 'drop' | 'hang'}

export type Simulate = (request: SimRequest) => SimReply

export function recordOf(request: SimRequest): RecordedRequest {
  const {method, url, path, headers, body} = request
  return {method, url: url.toString(), path, query: Object.fromEntries(url.searchParams), headers, body}
}

/** Consumes one use of a fault switch (`{times}`); true when it was on. */
export function take(value: {times: number} | null): boolean {
  if (!value || value.times <= 0) return false
  value.times -= 1
  return true
}

/** The path of `url` below `rootPath` (`/api/v3`), or null when it is not under it. */
export function pathBelow(url: URL, rootPath: string): string | null {
  const root = rootPath.replace(/\/$/, '')
  if (url.pathname !== root && !url.pathname.startsWith(`${root}/`)) return null
  return url.pathname.slice(root.length)
}

/**
 * Serves a simulator on loopback (the drill's transport): requests outside `rootPath` get `outside`.
 * A hang is answered when the server closes.
 */
export async function serveSimulator(
  rootPath: string,
  simulate: Simulate,
  outside: (url: URL) => SimReply,
): Promise<LoopbackServer> {
  return startLoopbackServer(async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`)
    const body = await readBody(request)
    const path = pathBelow(url, rootPath)
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]),
    )
    const reply = path === null ? outside(url) : simulate({method: request.method ?? 'GET', url, path, headers, body})
    if (!('network' in reply)) sendJson(response, reply.status, reply.json, reply.headers)
    else if (reply.network === 'drop') response.socket?.destroy()
  })
}
