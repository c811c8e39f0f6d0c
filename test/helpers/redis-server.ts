// A real, throwaway redis-server for tests: started on a free loopback port with no persistence,
// ready once it answers PING, killed by `stop()`. Where redis-server is not installed (a machine with
// only Node and npm), the Redis suites are skipped with a loud notice, unless JWKR_REQUIRE_REDIS=1
// (CI installs redis-server and sets it): then they fail.
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {Redis} from 'ioredis'
import {describe} from 'vitest'

/** The redis-server binary (JWKR_REDIS_SERVER names another, e.g. to test the skip). */
const REDIS_SERVER = process.env.JWKR_REDIS_SERVER ?? 'redis-server'

/** Whether redis-server can be run here. */
export const redisAvailable = spawnSync(REDIS_SERVER, ['--version'], {encoding: 'utf8'}).status === 0

/**
 * `describe` for suites that need a real redis-server: skipped, loudly, where none is installed;
 * an error instead when JWKR_REQUIRE_REDIS=1, so CI can never pass by skipping them.
 */
export function describeRedis(name: string, body: () => void): void {
  if (!redisAvailable && process.env.JWKR_REQUIRE_REDIS === '1') {
    throw new Error(
      `JWKR_REQUIRE_REDIS=1 but ${REDIS_SERVER} cannot be run: install redis-server (apt-get install redis-server).`,
    )
  }
  if (!redisAvailable) {
    process.stderr.write(
      `\n⚠ SKIPPED (no redis-server on this machine): "${name}". Install redis-server to run it; CI runs it with JWKR_REQUIRE_REDIS=1.\n`,
    )
  }
  describe.skipIf(!redisAvailable)(redisAvailable ? name : `${name} ${REDIS_SKIP_MARK}`, body)
}

/** In the names of suites skipped for want of redis-server: the run's end counts their tests (test/redis-skip-reporter.ts). */
export const REDIS_SKIP_MARK = '[skipped: no redis-server]'

export interface RedisServer {
  port: number
  /** `redis://127.0.0.1:PORT` (with the password when one was asked for). */
  url: string
  /** A new client of this server; closed by `stop()` if the test has not. */
  client(): Redis
  /** SIGSTOP: the server keeps its socket (connections are accepted by the kernel) and answers nothing. */
  freeze(): void
  /** SIGCONT after `freeze`. */
  thaw(): void
  stop(): Promise<void>
}

export interface RedisServerOptions {
  /** Start the server with `--requirepass`. */
  password?: string
  /**
   * Start it as a Redis Cluster of one node holding every slot: commands and MULTIs whose keys fall
   * in different slots then fail with CROSSSLOT, as on a real cluster, while a plain client still works.
   */
  cluster?: boolean
}

/** Starts redis-server; throws a clear error when it is not installed or does not come up within 10 s. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  assertInstalled()
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  if (options.password) args.push('--requirepass', options.password)
  const clusterDir = options.cluster ? await mkdtemp(join(tmpdir(), 'jwkr-redis-cluster-')) : undefined
  if (clusterDir) args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(clusterDir, 'nodes.conf'))
  const child = spawn(REDIS_SERVER, args, {stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = `redis://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}`
  const clients = new Set<Redis>()
  try {
    await waitForPing(url, child)
    if (clusterDir) await takeEverySlot(url)
  } catch (error) {
    await kill(child)
    if (clusterDir) await rm(clusterDir, {recursive: true, force: true})
    throw new Error(`redis-server did not come up on port ${port}: ${(error as Error).message}\n${output}`, {cause: error})
  }
  return {
    port,
    url,
    client: () => {
      const redis = new Redis(url, {maxRetriesPerRequest: 1})
      clients.add(redis)
      return redis
    },
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    stop: async () => {
      for (const redis of clients) redis.disconnect()
      child.kill('SIGCONT')
      await kill(child)
      if (clusterDir) await rm(clusterDir, {recursive: true, force: true})
    },
  }
}

function assertInstalled(): void {
  const probe = spawnSync(REDIS_SERVER, ['--version'], {encoding: 'utf8'})
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'These tests need a real redis-server on the PATH, and none was found. Install it (e.g. `sudo apt-get install redis-server` or `brew install redis`); CI installs it in .ci/run.',
    )
  }
}

/** A port the OS just handed out and took back: free unless someone grabs it in the next instant. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function waitForPing(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000
  let last: unknown
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`)
    const redis = new Redis(url, {lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0})
    redis.on('error', () => undefined)
    try {
      await redis.connect()
      if ((await redis.ping()) === 'PONG') return
    } catch (error) {
      last = error
    } finally {
      redis.disconnect()
    }
    await sleep(50)
  }
  throw new Error(`no PONG within 10 s (${String(last)})`)
}

/** Gives the lone cluster node every slot and waits until the cluster says it is up. */
async function takeEverySlot(url: string): Promise<void> {
  const redis = new Redis(url, {maxRetriesPerRequest: 0})
  try {
    await redis.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383')
    const deadline = Date.now() + 10_000
    while (!String(await redis.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error('the one-node cluster did not reach cluster_state:ok within 10 s')
      await sleep(50)
    }
  } finally {
    redis.disconnect()
  }
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const forced = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(forced)
}
