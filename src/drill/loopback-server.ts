// The HTTP plumbing every server of the drill world shares: bind to 127.0.0.1 on a free port, read
// a request body with a size cap, answer JSON, turn a handler's exception into a 500, and close for
// good (idle keep-alive connections included) exactly once, however often close() is called.
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface LoopbackServer {
  /** `http://127.0.0.1:PORT` */
  origin: string
  port: number
  /** Stops listening and ends every open connection; resolves when the port is free. Idempotent. */
  close(): Promise<void>
}

export type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void

/** Bodies larger than this are refused (413): nothing in the drill posts more. */
export const MAX_BODY_BYTES = 1024 * 1024

/**
 * @example const server = await startLoopbackServer((request, response) => sendJson(response, 200, {ok: true}))
 */
export async function startLoopbackServer(handle: Handler): Promise<LoopbackServer> {
  const server = createServer((request, response) => {
    Promise.resolve()
      .then(() => handle(request, response))
      .catch((error: unknown) => {
        if (response.headersSent) {
          response.destroy()
          return
        }
        const status = error instanceof BodyTooLarge ? 413 : 500
        sendJson(response, status, {error: status === 413 ? 'payload_too_large' : 'server_error'})
      })
  })
  // Short idle keep-alive, so a client that never closes its connection cannot hold the port long.
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const {port} = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}

class BodyTooLarge extends Error {}

/** The request body as text (at most MAX_BODY_BYTES; more answers 413). */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge('request body too large')
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Parses a form or JSON body into string fields (objects and arrays JSON-encoded, as Slack's form posts carry them). */
export function parseFields(body: string, contentType: string | undefined): Record<string, string> {
  if (contentType?.includes('application/json')) {
    const value = parseJson(body)
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return {}
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, member]) => member !== undefined && member !== null)
        .map(([name, member]) => [name, typeof member === 'string' ? member : JSON.stringify(member)]),
    )
  }
  return Object.fromEntries(new URLSearchParams(body))
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  })
  response.end(text)
}

/** The path of a request without its query string. */
export function pathOf(request: IncomingMessage): string {
  return (request.url ?? '/').split('?')[0] ?? '/'
}
