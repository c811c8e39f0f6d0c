// Keeps a guard's denylist in step with Redis: subscribe to `jwkr:revocations` first, then load the
// set and hashes (so nothing published in between is lost), reload after every reconnect (messages
// sent while disconnected are gone) and every interval (pub/sub delivers at most once). A Redis that
// comes back without any denied key (restarted without persistence, flushed, evicted) is never
// taken at its word: the guard keeps what it denies, writes it back and says so through onError.
import type {Redis} from 'ioredis'

import {
  closeRedis,
  connectRedis,
  parseJson,
  readRedisDenylist,
  restoreRedisDenylist,
  REVOCATIONS_CHANNEL,
  withRedisErrors,
} from './redis-denylist.js'
import {checkDenylistEntry, createDenylistValidator, type DenylistEntry} from '../core/containment/denylist.js'
import {JwkrError} from '../core/errors.js'
import type {SecretRegistry} from '../core/secrets.js'
import type {DenylistIndex} from './denylist-index.js'
import {serialized, type DenylistSource} from './file-source.js'

export interface RedisSourceOptions {
  secrets: SecretRegistry
  onError: (error: Error) => void
  /** How often to reload everything from Redis. */
  intervalMs: number
  connectTimeoutMs?: number
}

/** Connects (or borrows `redis`), loads the denylist into the index and follows it until closed. */
export async function followRedisDenylist(
  redis: string | Redis,
  index: DenylistIndex,
  options: RedisSourceOptions,
): Promise<DenylistSource> {
  const owned = typeof redis === 'string'
  const {redis: reader, target} = owned
    ? await connectRedis(redis, {secrets: options.secrets, connectTimeoutMs: options.connectTimeoutMs, reconnect: true})
    : {redis, target: `redis://${redis.options.host ?? 'localhost'}:${redis.options.port ?? 6379}`}
  // A subscribed connection can do nothing else, so it is a second one, ours to close.
  const subscriber = reader.duplicate()
  const timers: {reload?: NodeJS.Timeout} = {}
  const close = async () => {
    clearInterval(timers.reload)
    await Promise.all([closeRedis(subscriber), owned ? closeRedis(reader) : undefined])
  }

  const report = healthReporter(options.onError)
  const validator = createDenylistValidator()
  // Entries announced while a snapshot is being read may be missing from it: they are put back after it.
  let announcedDuringLoad: DenylistEntry[] | undefined
  let reported = new Set<string>()
  const load = async () => {
    announcedDuringLoad = []
    // Only what was known before this read counts as lost: an entry announced meanwhile may postdate it.
    const known = index.size
    try {
      const snapshot = await withRedisErrors(target, options.secrets, () => readRedisDenylist(reader, validator))
      if (snapshot.thumbprints.length === 0 && known > 0) return await restore()
      index.replace(snapshot.entries, snapshot.thumbprints)
      for (const entry of announcedDuringLoad) index.add(entry)
      // A broken hash is reported once, not at every reload.
      for (const problem of snapshot.problems) if (!reported.has(problem.message)) options.onError(problem)
      reported = new Set(snapshot.problems.map((problem) => problem.message))
    } finally {
      announcedDuringLoad = undefined
    }
  }
  // jwkr never empties the set, so an empty one is a Redis that lost its data: fail closed, and say so.
  const restore = async () => {
    const {entries, bareThumbprints} = index.contents()
    const failure = await withRedisErrors(target, options.secrets, () =>
      restoreRedisDenylist(reader, entries, bareThumbprints),
    ).then(
      () => undefined,
      (error: Error) => error,
    )
    const lost = `Redis at ${target} came back without the denylist (restarted without persistence, flushed or evicted): the guard keeps refusing the ${index.size} key${index.size === 1 ? '' : 's'} it knew`
    options.onError(
      failure
        ? new JwkrError('ERR_DENYLIST_READ', `${lost}, but could not write the denylist back: ${failure.message}`, {
            hint: 'Run jwkr tokens invalidate again for each incident, or let the guard’s Redis user write the {jwkr}:revoked keys.',
          })
        : new JwkrError('ERR_DENYLIST_READ', `${lost} and wrote the denylist back.`, {
            hint: 'Find out why Redis lost its data (persistence off, FLUSHALL, maxmemory eviction) so that it does not happen again.',
          }),
    )
  }
  const reload = serialized(async () => {
    try {
      await load()
      report.healthy()
    } catch (error) {
      report.failed(error as Error)
    }
  })

  subscriber.on('message', (_channel: string, message: string) => {
    try {
      const entry = checkDenylistEntry(parseJson(message), `a message on ${REVOCATIONS_CHANNEL}`, validator)
      index.add(entry)
      announcedDuringLoad?.push(entry)
    } catch (error) {
      options.onError(error as Error)
    }
  })
  subscriber.on('error', (error: Error) =>
    report.failed(new JwkrError('ERR_REDIS_UNREACHABLE', options.secrets.redact(`Lost Redis at ${target}: ${error.message}`))),
  )
  try {
    if (subscriber.status === 'wait') await subscriber.connect()
    await withRedisErrors(target, options.secrets, () => subscriber.subscribe(REVOCATIONS_CHANNEL))
    await load()
  } catch (error) {
    await close()
    throw error
  }
  // After the first connection, 'ready' means a reconnect: catch up on what was missed.
  subscriber.on('ready', () => void reload())
  timers.reload = setInterval(() => void reload(), options.intervalMs)
  timers.reload.unref()
  return {reload, close}
}

/** Reports a failure once, not on every reconnect attempt, until things work again. */
function healthReporter(onError: (error: Error) => void): {failed(error: Error): void; healthy(): void} {
  let failing = false
  return {
    failed: (error) => {
      if (!failing) onError(error)
      failing = true
    },
    healthy: () => {
      failing = false
    },
  }
}
