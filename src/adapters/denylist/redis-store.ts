// The denylist in Redis (DESIGN.md, Containment): the set `jwkr:revoked` of thumbprints, a hash
// `jwkr:revoked:<thumbprint>` per entry, and a message on `jwkr:revocations` for live guards. Each
// new entry is written in one MULTI (set + hash + message), under WATCH, so a reader never sees half
// an entry and a repeated run adds nothing and announces nothing.
import {Redis} from 'ioredis'

import {
  checkDenylistEntry,
  createDenylistValidator,
  mergeEntries,
  type DenylistEntry,
  type DenylistStore,
  type DenylistValidator,
} from '../../core/containment/denylist.js'
import {JwkrError} from '../../core/errors.js'
import {REDACTED, type SecretRegistry} from '../../core/secrets.js'

export const REVOKED_SET = 'jwkr:revoked'
export const REVOCATIONS_CHANNEL = 'jwkr:revocations'

/** The key of an entry's hash. */
export function revokedEntryKey(thumbprint: string): string {
  return `${REVOKED_SET}:${thumbprint}`
}

export interface RedisConnectOptions {
  secrets: SecretRegistry
  /** Give up connecting after this long (default 5 s). */
  connectTimeoutMs?: number
  /**
   * Keep reconnecting after the first connection was made (a long-lived guard). A command-line run
   * leaves it off: a dropped connection then fails the command at once instead of hanging.
   */
  reconnect?: boolean
}

export interface RedisConnection {
  redis: Redis
  /** The URL without its password, for messages. */
  target: string
}

/** What Redis holds: every denied thumbprint, and the entries whose hash is readable. */
export interface RedisDenylistSnapshot {
  thumbprints: string[]
  entries: DenylistEntry[]
  /** Hashes that are missing or malformed (their thumbprints are denied all the same). */
  problems: JwkrError[]
}

export interface RedisDenylistStore extends DenylistStore {
  readonly redis: Redis
  read(): Promise<RedisDenylistSnapshot>
}

/** How many times a merge re-reads the set when another writer changed it in between. */
const WATCH_ATTEMPTS = 5

/**
 * The URL with its password replaced by [REDACTED]; registers the password (as written and decoded)
 * with the registry. Throws ERR_REDIS_URL_INVALID without quoting the URL.
 *
 * @example describeRedisUrl('redis://:hunter22@cache:6379/0', secrets) // → 'redis://:[REDACTED]@cache:6379/0'
 */
export function describeRedisUrl(url: string, secrets: SecretRegistry): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw urlError('The Redis URL is not a valid URL.')
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw urlError(`The Redis URL has the scheme "${parsed.protocol}", not redis: or rediss:.`)
  }
  for (const password of [parsed.password, parsed.searchParams.get('password') ?? '']) {
    secrets.add(password)
    secrets.add(safeDecode(password))
  }
  const auth = parsed.username || parsed.password ? `${parsed.username}${parsed.password ? `:${REDACTED}` : ''}@` : ''
  return `${parsed.protocol}//${auth}${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`
}

/** Connects to the URL, or throws ERR_REDIS_UNREACHABLE / ERR_REDIS_FAILED naming it without its password. */
export async function connectRedis(url: string, options: RedisConnectOptions): Promise<RedisConnection> {
  const target = describeRedisUrl(url, options.secrets)
  let ready = false
  let lastError: Error | undefined
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // Never retry the first connection (the caller wants an answer); a guard reconnects after it.
    retryStrategy: (times) => (options.reconnect && ready ? Math.min(times * 200, 5000) : null),
    maxRetriesPerRequest: options.reconnect ? 20 : 0,
  })
  // ioredis reports connection problems as events; without a listener it prints them itself.
  const remember = (error: Error) => {
    lastError = error
  }
  redis.on('error', remember)
  try {
    await redis.connect()
  } catch (error) {
    redis.disconnect()
    throw redisError(target, lastError ?? error, options.secrets)
  }
  ready = true
  redis.off('error', remember)
  // A later error is the owner's to report; this keeps ioredis from printing it meanwhile.
  redis.on('error', () => undefined)
  return {redis, target}
}

/** Quits politely when connected, else drops the socket; never throws. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit()
      return
    } catch {
      // Fall through to a hard disconnect.
    }
  }
  redis.disconnect()
}

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
 * Adds the entries whose thumbprint is not in `jwkr:revoked` yet; returns them. Redis keys entries
 * by thumbprint alone: a key already denied is not announced again for a second issuer.
 */
export async function mergeIntoRedis(
  redis: Redis,
  entries: readonly DenylistEntry[],
  now: Date,
  validator = createDenylistValidator(),
): Promise<DenylistEntry[]> {
  const candidates = uniqueByThumbprint(mergeEntries(undefined, entries, now, validator).added)
  if (candidates.length === 0) return []
  for (let attempt = 1; attempt <= WATCH_ATTEMPTS; attempt++) {
    const added = await addUnlessPresent(redis, candidates)
    // undefined: the set changed after WATCH (another writer); look again.
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

/** One optimistic attempt: WATCH the set, see which thumbprints are new, write those in one MULTI. */
async function addUnlessPresent(redis: Redis, candidates: readonly DenylistEntry[]): Promise<DenylistEntry[] | undefined> {
  await redis.watch(REVOKED_SET)
  let fresh: DenylistEntry[]
  try {
    const present = await redis.smismember(REVOKED_SET, ...candidates.map((entry) => entry.thumbprint))
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
    const key = revokedEntryKey(entry.thumbprint)
    transaction
      .sadd(REVOKED_SET, entry.thumbprint)
      .del(key)
      .hset(key, entry as unknown as Record<string, string>)
      .publish(REVOCATIONS_CHANNEL, JSON.stringify(entry))
  }
  const replies = await transaction.exec()
  if (replies === null) return undefined
  const failed = replies.find(([error]) => error)
  if (failed?.[0]) throw failed[0]
  return fresh
}

/** Reads the set and every entry's hash. */
export async function readRedisDenylist(
  redis: Redis,
  validator: DenylistValidator = createDenylistValidator(),
): Promise<RedisDenylistSnapshot> {
  const thumbprints = await redis.smembers(REVOKED_SET)
  const pipeline = redis.pipeline()
  for (const thumbprint of thumbprints) pipeline.hgetall(revokedEntryKey(thumbprint))
  const replies = thumbprints.length > 0 ? ((await pipeline.exec()) ?? []) : []
  const entries: DenylistEntry[] = []
  const problems: JwkrError[] = []
  thumbprints.forEach((thumbprint, index) => {
    const [error, hash] = replies[index] ?? [new Error('no reply')]
    const label = `the Redis hash ${revokedEntryKey(thumbprint)}`
    try {
      if (error) throw error
      const fields = hash as Record<string, string>
      if (Object.keys(fields).length === 0) throw new JwkrError('ERR_DENYLIST_INVALID', `${capitalize(label)} is missing.`)
      entries.push(checkDenylistEntry(fields, label, validator))
    } catch (problem) {
      problems.push(
        problem instanceof JwkrError
          ? problem
          : new JwkrError('ERR_REDIS_FAILED', `Cannot read ${label}: ${(problem as Error).message}`),
      )
    }
  })
  return {thumbprints, entries, problems}
}

/** Runs Redis work, turning its errors into JwkrErrors that name the URL without its password. */
export async function withRedisErrors<T>(target: string, secrets: SecretRegistry, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw redisError(target, error, secrets)
  }
}

function redisError(target: string, error: unknown, secrets: SecretRegistry): JwkrError {
  if (error instanceof JwkrError) return error
  const said = secrets.redact(error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''
  if (/NOAUTH|WRONGPASS|invalid password/i.test(said)) {
    return new JwkrError('ERR_REDIS_FAILED', `Redis at ${target} refused jwkr's credentials: ${said}`, {
      hint: 'Put the password (and user, if any) in the URL: redis://[user]:password@host:port/db.',
      details: {target},
    })
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|Connection is closed|connect/i.test(said)) {
    return new JwkrError('ERR_REDIS_UNREACHABLE', `Cannot reach Redis at ${target}: ${said}.`, {
      hint: 'Check that Redis is running and that the host and port are right (--redis or REDIS_URL).',
      details: {target},
    })
  }
  return new JwkrError('ERR_REDIS_FAILED', `Redis at ${target} refused a command: ${said}`, {
    hint: `Check that the keys ${REVOKED_SET} and ${REVOKED_SET}:* hold what jwkr writes (a set and hashes) and that the user may write them.`,
    details: {target},
  })
}

function uniqueByThumbprint(entries: readonly DenylistEntry[]): DenylistEntry[] {
  const seen = new Set<string>()
  return entries.filter((entry) => !seen.has(entry.thumbprint) && seen.add(entry.thumbprint))
}

function urlError(message: string): JwkrError {
  return new JwkrError('ERR_REDIS_URL_INVALID', message, {
    hint: 'Pass a URL such as redis://localhost:6379 or rediss://:password@host:6380/0 (--redis or REDIS_URL).',
  })
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
