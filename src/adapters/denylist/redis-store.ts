// jwkr's writer of the denylist in Redis (the layout, the connection and the reading are the
// guard's: guard/redis-denylist.ts). Each new entry is written in one MULTI (set + hash field +
// message), under WATCH, so a reader never sees half an entry and a repeated run adds nothing and
// announces nothing.
import type {Redis} from 'ioredis'

import {createDenylistValidator, mergeEntries, type DenylistEntry, type DenylistStore} from '../../core/containment/denylist.js'
import {JwkrError} from '../../core/errors.js'
import {
  closeRedis,
  connectRedis,
  execTransaction,
  readRedisDenylist,
  revokedEntryField,
  revokedEntryKey,
  REVOCATIONS_CHANNEL,
  REVOKED_SET,
  withRedisErrors,
  type RedisConnectOptions,
  type RedisDenylistSnapshot,
} from '../../guard/redis-denylist.js'

export interface RedisDenylistStore extends DenylistStore {
  readonly redis: Redis
  read(): Promise<RedisDenylistSnapshot>
}

/** How many times a merge re-reads the set when another writer changed it in between. */
const WATCH_ATTEMPTS = 5

/** Opens the store at `url` (the caller resolves `--redis` / `REDIS_URL`). */
export async function openRedisDenylistStore(
  url: string,
  options: Omit<RedisConnectOptions, 'reconnect'>,
): Promise<RedisDenylistStore> {
  const {redis, target} = await connectRedis(url, options)
  const guarded = <T>(work: () => Promise<T>) => withRedisErrors(target, options.secrets, work)
  const validator = createDenylistValidator()
  let queue: Promise<unknown> = Promise.resolve()
  return {
    target,
    redis,
    read: () => guarded(() => readRedisDenylist(redis, validator)),
    // WATCH belongs to the connection: merges on one store run one after another.
    merge: (entries, now) => {
      const next = queue.then(() => guarded(async () => ({added: await mergeIntoRedis(redis, entries, now, validator)})))
      queue = next.catch(() => undefined)
      return next
    },
    close: () => closeRedis(redis),
  }
}

/**
 * Adds the entries whose thumbprint and issuer are not in Redis yet; returns them. A key denied for
 * one issuer gets a second entry (and a second message) for another issuer, as in the file.
 */
export async function mergeIntoRedis(
  redis: Redis,
  entries: readonly DenylistEntry[],
  now: Date,
  validator = createDenylistValidator(),
): Promise<DenylistEntry[]> {
  const candidates = mergeEntries(undefined, entries, now, validator).added
  if (candidates.length === 0) return []
  for (let attempt = 1; attempt <= WATCH_ATTEMPTS; attempt++) {
    const added = await addUnlessPresent(redis, candidates)
    // undefined: a watched key changed after WATCH (another writer); look again.
    if (added) return added
  }
  throw new JwkrError(
    'ERR_REDIS_FAILED',
    `Redis kept changing ${REVOKED_SET} while jwkr was writing to it (${WATCH_ATTEMPTS} attempts).`,
    {
      hint: 'Another writer is busy on the denylist: run the command again.',
    },
  )
}

/**
 * One optimistic attempt: WATCH the set and the candidates' hashes (adding a second issuer's entry
 * changes only the hash), see which entries are new, write those in one MULTI.
 */
async function addUnlessPresent(redis: Redis, candidates: readonly DenylistEntry[]): Promise<DenylistEntry[] | undefined> {
  const hashes = [...new Set(candidates.map((entry) => revokedEntryKey(entry.thumbprint)))]
  await redis.watch(REVOKED_SET, ...hashes)
  let fresh: DenylistEntry[]
  try {
    const present = await Promise.all(
      candidates.map((entry) => redis.hexists(revokedEntryKey(entry.thumbprint), revokedEntryField(entry))),
    )
    fresh = candidates.filter((_, index) => present[index] !== 1)
  } catch (error) {
    await redis.unwatch().catch(() => undefined)
    throw error
  }
  if (fresh.length === 0) {
    await redis.unwatch()
    return []
  }
  const transaction = redis.multi()
  for (const entry of fresh) {
    transaction
      .sadd(REVOKED_SET, entry.thumbprint)
      .hset(revokedEntryKey(entry.thumbprint), revokedEntryField(entry), JSON.stringify(entry))
      .publish(REVOCATIONS_CHANNEL, JSON.stringify(entry))
  }
  return (await execTransaction(transaction)) === null ? undefined : fresh
}
