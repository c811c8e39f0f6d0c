// What every IdP double in test/mocks shares: a record of each request (method, path, headers,
// body) and a queue of injected failures (status, how often, Retry-After) that each double answers
// in its own vendor's error shape.

import type {RecordedRequest} from '../../../../src/drill/simulator.js'

/** The API simulators' record of a request (method, url, path below the root, query, headers, body). */
export type {RecordedRequest}

export interface InjectedFailure {
  status: number
  /** How many matching requests fail; decremented as they do. */
  times: number
  /** Only requests whose "METHOD /path" starts with this fail (all when absent). */
  match?: string
  /** Seconds, sent as Retry-After. */
  retryAfter?: number
  /** Seconds until the vendor's own rate-limit reset header (x-ratelimit-reset) says the window opens. */
  resetIn?: number
}

export interface MockBase {
  /** Service origin (or API root), without a trailing slash. */
  baseUrl: string
  requests: RecordedRequest[]
  failures: InjectedFailure[]
}

export async function recordRequest(state: MockBase, request: Request): Promise<RecordedRequest> {
  const url = new URL(request.url)
  const recorded: RecordedRequest = {
    method: request.method,
    url: request.url,
    path: url.pathname.slice(new URL(state.baseUrl).pathname.replace(/\/$/, '').length),
    query: Object.fromEntries(url.searchParams),
    headers: Object.fromEntries(request.headers),
    body: await request.clone().text(),
  }
  state.requests.push(recorded)
  return recorded
}

/** The next injected failure for this request, consumed; undefined when none applies. */
export function takeFailure(state: MockBase, recorded: RecordedRequest): InjectedFailure | undefined {
  const line = `${recorded.method} ${recorded.path}`
  const failure = state.failures.find((item) => item.times > 0 && (item.match === undefined || line.startsWith(item.match)))
  if (failure) failure.times -= 1
  return failure
}

export function retryHeaders(failure: InjectedFailure): Record<string, string> {
  return failure.retryAfter === undefined ? {} : {'retry-after': String(failure.retryAfter)}
}

/** "METHOD /path" of each request, for asserting the sequence a change made. */
export function requestLines(state: MockBase): string[] {
  return state.requests.map((request) => `${request.method} ${request.path}`)
}
