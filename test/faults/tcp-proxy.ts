// A TCP proxy in front of a real server (redis-server), so that a test can take it "down" for its
// clients and bring it back on the same address (switchable-server.ts), as a restart would.
import {connect, createServer} from 'node:net'

import {listenSwitchable, type Switchable} from './switchable-server.js'

export async function startTcpProxy(targetPort: number): Promise<Switchable> {
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    for (const socket of [client, upstream]) socket.on('error', () => undefined)
    client.pipe(upstream).pipe(client)
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  })
  return listenSwitchable(server)
}
