// The denylist guard for Node relying parties that verify tokens with jose: it wraps a key resolver
// (createRemoteJWKSet, or any `(header, token) => key`) and refuses tokens whose key thumbprint, or
// whose `kid` + `iss`, is on the jwkr denylist, following the file or Redis without a restart.
//
// When its source fails, a running guard fails closed for what it knows and open for what it has
// not heard of, and reports every failure through `onError`:
// - A denied key stays denied: a file deleted or made unreadable, Redis unreachable (it keeps
//   reconnecting), or Redis back without the denylist (restarted without persistence, FLUSHALL,
//   eviction; it writes what it knew back, or says it could not) never lets a known key through.
// - A key denied while the guard cannot read its source is trusted until the next successful read.
// - At start nothing is known yet: createDenylistGuard rejects when it cannot read the denylist, and
//   the relying party decides (refuse to serve, or serve without the guard).
// Entries are lifted only by a source that is readable and no longer lists them: a file without the
// entry, or a Redis set that still holds other keys. To lift every Redis entry, delete the keys and
// restart the relying parties (a running guard writes an emptied denylist back).
import type {Redis} from 'ioredis'
import {base64url} from 'jose'

import {JwkrError} from '../core/errors.js'
import {SecretRegistry} from '../core/secrets.js'
import {DenylistIndex} from './denylist-index.js'
import {DenylistedKeyError, type DenylistMatch} from './denylisted-key-error.js'
import {followDenylistFile, type DenylistSource} from './file-source.js'
import {cachedKeyThumbprint} from './key-thumbprint.js'

/** Where the denylist lives: the file `jwkr tokens invalidate --denylist-file` writes, or Redis. */
export type DenylistGuardSource = {file: string} | {redis: string | Redis}

export interface DenylistGuardOptions {
  /**
   * Told about problems after start: a malformed or deleted file (the guard keeps the entries it
   * last read), a lost Redis connection, a Redis that came back without the denylist (the guard
   * keeps its entries and writes them back), a bad message. Default: a process warning.
   */
  onError?: (error: Error) => void
  /** File: how often to stat the file (default 2 s). Redis: how often to reload everything (default 30 s). */
  refreshIntervalMs?: number
  /** File: watch the folder for changes (default true). */
  watch?: boolean
  /** File: wait this long after a change event before reading (default 50 ms). */
  debounceMs?: number
  /** Redis: the connection timeout (default 5 s). */
  connectTimeoutMs?: number
  /** Registry for the Redis password (one is made when not given). */
  secrets?: SecretRegistry
}

/** A jose key resolver: `createRemoteJWKSet(url)`, or a `(protectedHeader, token) => key` function. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KeyResolver = (protectedHeader?: any, token?: any) => unknown

export interface DenylistGuard {
  /**
   * A resolver of the same shape (its properties, such as `reload()` of a remote JWKS, pass
   * through) that throws DenylistedKeyError for a denied key. It always returns a promise.
   *
   * @example const key = guard.wrap(createRemoteJWKSet(new URL('https://auth.example.com/jwks')))
   *   await jwtVerify(token, key, {issuer: 'https://auth.example.com'})
   */
  wrap<R extends KeyResolver>(resolver: R): R
  /** Whether a thumbprint, or a kid + iss pair, is denied. */
  lookup(query: {thumbprint?: string; kid?: string; iss?: string}): DenylistMatch | undefined
  /** How many keys are denied now. */
  readonly size: number
  /** Reads the denylist again now. */
  reload(): Promise<void>
  /** Stops following the denylist (the last entries stay in force) and closes what the guard opened. */
  close(): Promise<void>
}

/**
 * Loads the denylist (rejecting with a JwkrError when it is malformed or Redis is unreachable) and
 * returns a guard that follows it.
 *
 * @example
 *   const guard = await createDenylistGuard({redis: process.env.REDIS_URL!})
 *   const getKey = guard.wrap(createRemoteJWKSet(jwksUrl))
 */
export async function createDenylistGuard(
  source: DenylistGuardSource,
  options: DenylistGuardOptions = {},
): Promise<DenylistGuard> {
  const index = new DenylistIndex()
  const onError = options.onError ?? ((error: Error) => process.emitWarning(error.message, {code: 'JWKR_DENYLIST'}))
  const follower = await follow(source, index, {...options, onError})
  const thumbprintOf = cachedKeyThumbprint()

  const check = async (resolver: KeyResolver, thisArg: unknown, args: unknown[]) => {
    const header = (args[0] ?? {}) as {kid?: unknown}
    // kid + iss first: a denied pair needs no key fetch.
    const pair = index.byKidIss(typeof header.kid === 'string' ? header.kid : undefined, issuerOf(args[1]))
    if (pair) throw new DenylistedKeyError(pair)
    const key = await Reflect.apply(resolver, thisArg, args)
    const match = index.byThumbprint(await thumbprintOf(key))
    if (match) throw new DenylistedKeyError(match)
    return key
  }

  return {
    wrap: (resolver) => new Proxy(resolver, {apply: (target, thisArg, args) => check(target, thisArg, args)}),
    lookup: ({thumbprint, kid, iss}) =>
      (thumbprint === undefined ? undefined : index.byThumbprint(thumbprint)) ?? index.byKidIss(kid, iss),
    get size() {
      return index.size
    },
    reload: () => follower.reload(),
    close: () => follower.close(),
  }
}

async function follow(
  source: DenylistGuardSource,
  index: DenylistIndex,
  options: DenylistGuardOptions & {onError: (error: Error) => void},
): Promise<DenylistSource> {
  if ('file' in source && typeof source.file === 'string') {
    return followDenylistFile(source.file, index, {
      onError: options.onError,
      watch: options.watch ?? true,
      debounceMs: options.debounceMs ?? 50,
      intervalMs: options.refreshIntervalMs ?? 2000,
    })
  }
  if ('redis' in source && source.redis) {
    // Loaded on demand: a relying party that reads a file never loads the Redis client.
    const {followRedisDenylist} = await import('./redis-source.js')
    return followRedisDenylist(source.redis, index, {
      secrets: options.secrets ?? new SecretRegistry(),
      onError: options.onError,
      intervalMs: options.refreshIntervalMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs,
    })
  }
  throw new JwkrError('ERR_USAGE', 'createDenylistGuard needs {file: path} or {redis: url or ioredis client}.', {
    hint: "e.g. createDenylistGuard({file: '/etc/jwkr/denylist.json'}) or createDenylistGuard({redis: process.env.REDIS_URL})",
  })
}

/** The unverified `iss` of a compact JWT's payload, as jose hands it to a resolver; undefined for anything else. */
function issuerOf(token: unknown): string | undefined {
  const payload = (token as {payload?: unknown} | undefined)?.payload
  if (typeof payload !== 'string') return undefined
  try {
    const claims: unknown = JSON.parse(new TextDecoder().decode(base64url.decode(payload)))
    const iss = (claims as {iss?: unknown} | null)?.iss
    return typeof iss === 'string' ? iss : undefined
  } catch {
    return undefined
  }
}
