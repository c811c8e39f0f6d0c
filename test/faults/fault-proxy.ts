// A loopback HTTP proxy in front of one of the drill's servers (its fake Slack or GitHub), for faults
// the fakes cannot script themselves: a write that is applied and then answered with a 5xx, a server
// that accepts the connection and never answers, and one that is down (nothing listens on its port).
// `rule` decides per request, at the moment it arrives, so a test can change it mid-run.
import {createServer, request, type IncomingMessage, type ServerResponse} from 'node:http'

import {listenSwitchable} from './switchable-server.js'

export type ProxyAction =
  /** Forward it and answer with the real answer. */
  | 'pass'
  /** Accept it and never answer (until the proxy closes). */
  | 'hang'
  /** Forward it (the write happens), then answer this status instead of the real answer. */
  | {appliedThen: number}

export interface ProxiedRequest {
  method: string
  path: string
  action: 'pass' | 'hang' | 'applied-then-error'
}

export interface FaultProxy {
  origin: string
  /** Decides what happens to each request (default: pass). */
  rule: (method: string, path: string) => ProxyAction
  readonly requests: readonly ProxiedRequest[]
  /** Stops listening and cuts every open connection: a connection now is refused. */
  down(): Promise<void>
  /** Listens again on the same port. */
  up(): Promise<void>
  close(): Promise<void>
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target)
  const requests: ProxiedRequest[] = []
  let rule: FaultProxy['rule'] = () => 'pass'

  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const method = incoming.method ?? 'GET'
    const path = incoming.url ?? '/'
    const action = rule(method, path)
    if (action === 'hang') {
      requests.push({method, path, action: 'hang'})
      incoming.resume()
      return
    }
    requests.push({method, path, action: action === 'pass' ? 'pass' : 'applied-then-error'})
    const forwarded = request(
      {host: upstream.hostname, port: upstream.port, method, path, headers: {...incoming.headers, host: upstream.host}},
      (answer) => {
        if (action === 'pass') {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(outgoing)
          return
        }
        answer.resume()
        answer.once('end', () => {
          outgoing.writeHead(action.appliedThen, {'content-type': 'text/html'})
          outgoing.end('<html><body>Bad gateway</body></html>')
        })
      },
    )
    forwarded.once('error', () => outgoing.destroy())
    incoming.pipe(forwarded)
  })
  const {port, down, up} = await listenSwitchable(server)
  return {
    origin: `http://127.0.0.1:${port}`,
    get rule() {
      return rule
    },
    set rule(next) {
      rule = next
    },
    requests,
    down,
    up,
    close: down,
  }
}

/** The same URL with its origin replaced by the proxy's (SLACK_API_URL, GITHUB_API_URL). */
export function viaProxy(url: string, proxy: FaultProxy): string {
  const parsed = new URL(url)
  return `${proxy.origin}${parsed.pathname}${parsed.search}`
}
