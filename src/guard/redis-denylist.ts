// The denylist in Redis (ARCHITECTURE.md, Denylist): the set `{jwkr}:revoked` of thumbprints, a hash
// `{jwkr}:revoked:<thumbprint>` per key whose fields are issuers (`iss`, or "" for an entry without
// one) and whose values are the entries as JSON, and a message on `jwkr:revocations` for live
// guards. The `{jwkr}` hash tag puts every key in one slot, so the MULTI that writes an entry works
// on a Redis Cluster. Each new entry is written in one MULTI (set + hash field + message), under
// WATCH, so a reader never sees half an entry and a repeated run adds nothing and announces nothing.
// Readers also read the layout of jwkr 0.1 (the set `jwkr:revoked`, a hash of an entry's members
// per thumbprint), so entries written before an upgrade stay in force; jwkr no longer writes it.
// The layout, the connection and the reading live here, in the published guard, which follows the
// denylist from a relying party's process and must stand alone; jwkr's writer
// (adapters/denylist/redis-store.ts) imports them.
import {Redis} from 'ioredis'

import {
  checkDenylistEntry,
  createDenylistValidator,
  entryIdentity,
  type DenylistEntry,
  type DenylistValidator,
} from '../core/containment/denylist.js'
import {JwkrError} from '../core/errors.js'
import {REDACTED, type SecretRegistry} from '../core/secrets.js'

export const REVOKED_SET = '{jwkr}:revoked'
export const REVOCATIONS_CHANNEL = 'jwkr:revocations'
/** The set of jwkr 0.1, read and never written: its keys fall in other slots than the set's. */
export const LEGACY_REVOKED_SET = 'jwkr:revoked'

/** The key of the hash that holds a key's entries, one field per issuer. */
export function revokedEntryKey(thumbprint: string): string {
  return `${REVOKED_SET}:${thumbprint}`
}

/** The field of an entry in its key's hash: its issuer ("" for none; an `iss` is never empty). */
export function revokedEntryField(entry: Pick<DenylistEntry, 'iss'>): string {
  return entry.iss ?? ''
}

/** The hash of an entry in jwkr 0.1's layout (one entry per thumbprint, its members as fields). */
export function legacyEntryKey(thumbprint: string): string {
  return `${LEGACY_REVOKED_SET}:${thumbprint}`
}

export interface RedisConnectOptions {
  secrets: SecretRegistry
  /** Give up connecting after this long (default 5 s). */
  connectTimeoutMs?: number
  /**
   * Give up on a command (the connection's ready check included) after this long (default 5 s): a
   * Redis that accepts the connection and never answers (stopped, swapped out) must not hang the run.
   */
  commandTimeoutMs?: number
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
    commandTimeout: options.commandTimeoutMs ?? 5000,
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

/**
 * Writes back entries and bare thumbprints that Redis lost (a guard that found it empty), in one
 * MULTI without WATCH (the connection may be a caller's), never over an entry someone wrote since:
 * HSETNX. Announces nothing: the guards that were following already hold these entries.
 */
export async function restoreRedisDenylist(
  redis: Redis,
  entries: readonly DenylistEntry[],
  bareThumbprints: readonly string[],
): Promise<void> {
  const thumbprints = [...new Set([...bareThumbprints, ...entries.map((entry) => entry.thumbprint)])]
  if (thumbprints.length === 0) return
  const transaction = redis.multi().sadd(REVOKED_SET, ...thumbprints)
  for (const entry of entries) {
    transaction.hsetnx(revokedEntryKey(entry.thumbprint), revokedEntryField(entry), JSON.stringify(entry))
  }
  await execTransaction(transaction)
}

/** EXEC's replies, null when a watched key changed; throws the first command that failed. */
export async function execTransaction(transaction: ReturnType<Redis['multi']>): Promise<unknown[] | null> {
  const replies = await transaction.exec()
  if (replies === null) return null
  const failed = replies.find(([error]) => error)
  if (failed?.[0]) throw failed[0]
  return replies.map(([, reply]) => reply)
}

/**
 * Reads the set and every key's hash, and jwkr 0.1's set and hashes. `thumbprints` is every key
 * denied in either; an entry in both layouts is given once (the new one).
 */
export async function readRedisDenylist(
  redis: Redis,
  validator: DenylistValidator = createDenylistValidator(),
): Promise<RedisDenylistSnapshot> {
  const [current, legacy] = await Promise.all([readCurrentLayout(redis, validator), readLegacyLayout(redis, validator)])
  const seen = new Set(current.entries.map(entryIdentity))
  return {
    thumbprints: [...new Set([...current.thumbprints, ...legacy.thumbprints])],
    entries: [...current.entries, ...legacy.entries.filter((entry) => !seen.has(entryIdentity(entry)))],
    problems: [...current.problems, ...legacy.problems],
  }
}

async function readCurrentLayout(redis: Redis, validator: DenylistValidator): Promise<RedisDenylistSnapshot> {
  const thumbprints = await redis.smembers(REVOKED_SET)
  // One slot ({jwkr}): a pipeline works on a cluster too.
  const pipeline = redis.pipeline()
  for (const thumbprint of thumbprints) pipeline.hgetall(revokedEntryKey(thumbprint))
  const replies = thumbprints.length > 0 ? ((await pipeline.exec()) ?? []) : []
  const snapshot: RedisDenylistSnapshot = {thumbprints, entries: [], problems: []}
  thumbprints.forEach((thumbprint, index) => {
    const [error, hash] = replies[index] ?? [new Error('no reply')]
    const label = `the Redis hash ${revokedEntryKey(thumbprint)}`
    const fields = Object.entries((hash ?? {}) as Record<string, string>)
    if (error || fields.length === 0) return snapshot.problems.push(unreadable(label, error))
    for (const [field, value] of fields) {
      addEntry(snapshot, () => checkDenylistEntry(parseJson(value), `${label} field "${field}"`, validator))
    }
  })
  return snapshot
}

/** jwkr 0.1's keys, one command each: they fall in other slots than each other. */
async function readLegacyLayout(redis: Redis, validator: DenylistValidator): Promise<RedisDenylistSnapshot> {
  const thumbprints = await redis.smembers(LEGACY_REVOKED_SET)
  const hashes = await Promise.all(
    thumbprints.map((thumbprint) => redis.hgetall(legacyEntryKey(thumbprint)).catch((error: Error) => error)),
  )
  const snapshot: RedisDenylistSnapshot = {thumbprints, entries: [], problems: []}
  thumbprints.forEach((thumbprint, index) => {
    const hash = hashes[index]
    const label = `the Redis hash ${legacyEntryKey(thumbprint)}`
    if (hash instanceof Error || !hash || Object.keys(hash).length === 0) {
      return snapshot.problems.push(unreadable(label, hash instanceof Error ? hash : null))
    }
    addEntry(snapshot, () => checkDenylistEntry(hash, label, validator))
  })
  return snapshot
}

/** The entry `parse` gives, or its failure as a problem: a bad entry never hides the others. */
function addEntry(snapshot: RedisDenylistSnapshot, parse: () => DenylistEntry): void {
  try {
    snapshot.entries.push(parse())
  } catch (problem) {
    snapshot.problems.push(problem instanceof JwkrError ? problem : unreadable('an entry', problem as Error))
  }
}

/** A hash that is missing (`error` null: its thumbprint is denied all the same) or could not be read. */
function unreadable(label: string, error: Error | null): JwkrError {
  if (error === null) return new JwkrError('ERR_DENYLIST_INVALID', `${capitalize(label)} is missing.`)
  return new JwkrError('ERR_REDIS_FAILED', `Cannot read ${label}: ${error.message}`)
}

/** JSON text parsed, or the text itself (the entry check then says what is wrong with it). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
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
  if (/Command timed out/i.test(said)) {
    return new JwkrError('ERR_REDIS_UNREACHABLE', `Redis at ${target} accepted the connection but did not answer in time.`, {
      hint: 'Check that the Redis process is running and not stopped or overloaded (redis-cli -u URL ping), then try again.',
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
