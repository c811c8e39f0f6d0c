// A listening server that a test can take down (nothing listens, open connections are cut, so a client
// gets ECONNRESET and then ECONNREFUSED) and bring back on the same port, as a restart would.
import type {AddressInfo, Server, Socket} from 'node:net'

export interface Switchable {
  port: number
  down(): Promise<void>
  up(): Promise<void>
}

/** Starts `server` on a free loopback port and hands back its switch. */
export async function listenSwitchable(server: Server): Promise<Switchable> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  await listen(0)
  const port = (server.address() as AddressInfo).port
  return {
    port,
    up: () => listen(port),
    down: async () => {
      if (!server.listening) return
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}
