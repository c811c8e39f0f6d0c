// A real local HTTP server standing in for a remote service that a step changes. It counts every
// effect by key, can be asked whether an effect happened (for resume), and can hang on request so a
// test can kill the process that made it.
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface EffectServer {
  url: string
  /** How many POSTs each effect key received. */
  counts: Map<string, number>
  /** Resolves the next time a POST arrives (with its key). */
  nextPost(): Promise<string>
  /** When true, POSTs are recorded but never answered. */
  hang: boolean
  close(): Promise<void>
}

export async function startEffectServer(): Promise<EffectServer> {
  const counts = new Map<string, number>()
  let waiters: Array<(key: string) => void> = []
  const hanging: ServerResponse[] = []
  const state = {hang: false}
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const key = decodeURIComponent((request.url ?? '').replace(/^\/effects\//, ''))
    if (request.method === 'POST') {
      counts.set(key, (counts.get(key) ?? 0) + 1)
      const resolveAll = waiters
      waiters = []
      for (const resolve of resolveAll) resolve(key)
      if (state.hang) {
        hanging.push(response)
        return
      }
      response.writeHead(201, {'content-type': 'application/json'}).end(JSON.stringify({id: `remote-${key}`}))
      return
    }
    if (request.method === 'GET' && counts.has(key)) {
      response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({id: `remote-${key}`}))
      return
    }
    response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    nextPost: () => new Promise((resolve) => waiters.push(resolve)),
    get hang() {
      return state.hang
    },
    set hang(value: boolean) {
      state.hang = value
    },
    close: async () => {
      for (const response of hanging) response.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
