// The denylist in a real redis-server: the set, a hash per key with a field per issuer and a
// published message, written once however often the merge runs, in keys of one cluster slot; the
// layout of jwkr 0.1 still read; clear errors (without the password) when Redis is not there.
import {afterAll, afterEach, beforeAll, beforeEach, expect, it, vi} from 'vitest'

import {
  describeRedisUrl,
  LEGACY_REVOKED_SET,
  legacyEntryKey,
  REVOCATIONS_CHANNEL,
  REVOKED_SET,
  revokedEntryKey,
} from '../../../src/guard/redis-denylist.js'
import {openRedisDenylistStore, type RedisDenylistStore} from '../../../src/adapters/denylist/redis-store.js'
import type {DenylistEntry} from '../../../src/core/containment/denylist.js'
import {JwkrError} from '../../../src/core/errors.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {closedPortUrl} from '../../helpers/jwks-server.js'
import {describeRedis, startRedisServer, type RedisServer} from '../../helpers/redis-server.js'

const T0 = new Date('2025-03-01T10:00:00.000Z')
const TP_A = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
const TP_B = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
const PASSWORD = 'redis-pass-Zq8v:/@x'

function entry(thumbprint: string, extra: Partial<DenylistEntry> = {}): DenylistEntry {
  return {
    thumbprint,
    kid: 'k1',
    iss: 'https://auth.example.com',
    notBefore: T0.toISOString(),
    reason: 'key-compromise',
    incident: 'inc-1',
    ...extra,
  }
}

async function failure(action: () => Promise<unknown>): Promise<JwkrError> {
  try {
    await action()
  } catch (error) {
    if (error instanceof JwkrError) return error
    throw error
  }
  throw new Error('expected a JwkrError')
}

/** Collects what is published on the revocations channel, from a separate connection. */
async function listen(server: RedisServer): Promise<{messages: string[]; settle(): Promise<void>}> {
  const subscriber = server.client()
  const messages: string[] = []
  subscriber.on('message', (_channel: string, message: string) => messages.push(message))
  await subscriber.subscribe(REVOCATIONS_CHANNEL)
  return {
    messages,
    // A PING through the subscriber returns after every message published before it was sent.
    settle: async () => {
      await subscriber.ping()
    },
  }
}

describeRedis('the Redis denylist store', () => {
  let server: RedisServer
  let store: RedisDenylistStore
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.stop()
  })
  beforeEach(async () => {
    await server.client().flushall()
    store = await openRedisDenylistStore(server.url, {secrets: new SecretRegistry()})
  })
  afterEach(async () => {
    await store.close()
  })

  it('adds the thumbprint to the set, writes the hash and publishes the entry', async () => {
    // Given a subscriber on jwkr:revocations
    const channel = await listen(server)
    // When an entry is merged
    const {added} = await store.merge([entry(TP_A)], T0)
    // Then the set, the hash and the message all hold it
    const redis = server.client()
    expect(added).toEqual([entry(TP_A)])
    expect(await redis.smembers(REVOKED_SET)).toEqual([TP_A])
    expect(await redis.hgetall(revokedEntryKey(TP_A))).toEqual({'https://auth.example.com': JSON.stringify(entry(TP_A))})
    await channel.settle()
    expect(channel.messages.map((m) => JSON.parse(m))).toEqual([entry(TP_A)])
  })

  it('is idempotent: a repeated merge writes and announces nothing', async () => {
    // Given A merged once, and a subscriber listening from then on
    await store.merge([entry(TP_A)], T0)
    const channel = await listen(server)
    // When A is merged again (from another incident) together with B, and then B alone
    const second = await store.merge([entry(TP_A, {incident: 'inc-2'}), entry(TP_B, {kid: 'k2'})], T0)
    const third = await store.merge([entry(TP_B, {kid: 'k2'})], T0)
    // Then only B was new; A's hash is the first one; only B was announced, once
    expect(second.added.map((e) => e.thumbprint)).toEqual([TP_B])
    expect(third.added).toEqual([])
    const redis = server.client()
    expect((await redis.smembers(REVOKED_SET)).sort()).toEqual([TP_A, TP_B].sort())
    expect(JSON.parse((await redis.hget(revokedEntryKey(TP_A), 'https://auth.example.com')) ?? '')).toEqual(entry(TP_A))
    await channel.settle()
    expect(channel.messages.map((m) => (JSON.parse(m) as DenylistEntry).thumbprint)).toEqual([TP_B])
  })

  it('keeps a second issuer’s entry for a key already denied, and announces it', async () => {
    // Given A denied for one issuer, and a subscriber from then on
    await store.merge([entry(TP_A)], T0)
    const channel = await listen(server)
    // When A is denied for a second issuer (which publishes it under another kid)
    const partner = entry(TP_A, {kid: 'partner-kid', iss: 'https://partner.example.com', incident: 'inc-2'})
    const {added} = await store.merge([partner], T0)
    // Then it is added beside the first, announced, and both are read back
    expect(added).toEqual([partner])
    await channel.settle()
    expect(channel.messages.map((m) => JSON.parse(m) as DenylistEntry)).toEqual([partner])
    const snapshot = await store.read()
    expect(snapshot.thumbprints).toEqual([TP_A])
    expect(snapshot.entries).toEqual(expect.arrayContaining([entry(TP_A), partner]))
    expect(snapshot.entries).toHaveLength(2)
  })

  it('still reads the entries jwkr 0.1 wrote (the set jwkr:revoked and a hash of members per key)', async () => {
    // Given A in the old layout, and B in both layouts
    const redis = server.client()
    await redis.sadd(LEGACY_REVOKED_SET, TP_A, TP_B)
    await redis.hset(legacyEntryKey(TP_A), {...entry(TP_A)})
    await redis.hset(legacyEntryKey(TP_B), {...entry(TP_B, {kid: 'k2'})})
    await store.merge([entry(TP_B, {kid: 'k2'})], T0)
    // When the store is read
    const snapshot = await store.read()
    // Then both keys are denied, each entry once, and nothing is reported
    expect(snapshot.thumbprints.sort()).toEqual([TP_A, TP_B].sort())
    expect(snapshot.entries).toEqual([entry(TP_B, {kid: 'k2'}), entry(TP_A)])
    expect(snapshot.problems).toEqual([])
  })

  it('writes set, hash and message in one MULTI under WATCH, so no reader sees half an entry', async () => {
    // Given a MONITOR connection that sees every command the server runs
    const monitor = await server.client().monitor()
    const commands: string[] = []
    monitor.on('monitor', (_time: string, args: string[]) => commands.push(args.join(' ')))
    // When an entry is merged, then a marker is sent
    await store.merge([entry(TP_A)], T0)
    await server.client().echo('end-of-merge')
    await vi.waitFor(() => expect(commands).toContain('echo end-of-merge'), {timeout: 5000})
    await monitor.disconnect()
    // Then the writes came between MULTI and EXEC, after a WATCH of the set
    const from = commands.findIndex((command) => command.startsWith('watch '))
    const merge = commands.slice(from, commands.indexOf('exec', from) + 1)
    expect(merge).toEqual([
      `watch ${REVOKED_SET} ${revokedEntryKey(TP_A)}`,
      `hexists ${revokedEntryKey(TP_A)} https://auth.example.com`,
      'multi',
      `sadd ${REVOKED_SET} ${TP_A}`,
      `hset ${revokedEntryKey(TP_A)} https://auth.example.com ${JSON.stringify(entry(TP_A))}`,
      `publish ${REVOCATIONS_CHANNEL} ${JSON.stringify(entry(TP_A))}`,
      'exec',
    ])
  })

  it('announces an entry once when several writers merge it at the same time', async () => {
    // Given five jwkr processes (five connections) and a subscriber
    const channel = await listen(server)
    const writers = await Promise.all(
      Array.from({length: 5}, () => openRedisDenylistStore(server.url, {secrets: new SecretRegistry()})),
    )
    try {
      // When all of them merge the same two entries at once
      const results = await Promise.all(writers.map((writer) => writer.merge([entry(TP_A), entry(TP_B, {kid: 'k2'})], T0)))
      // Then each entry was added by exactly one of them and published exactly once
      expect(results.flatMap((r) => r.added.map((e) => e.thumbprint)).sort()).toEqual([TP_A, TP_B].sort())
      await channel.settle()
      expect(channel.messages.map((m) => (JSON.parse(m) as DenylistEntry).thumbprint).sort()).toEqual([TP_A, TP_B].sort())
    } finally {
      await Promise.all(writers.map((writer) => writer.close()))
    }
  })

  it('reads back what it wrote, and reports a member whose hash is missing', async () => {
    // Given A written by jwkr and B added to the set by hand
    await store.merge([entry(TP_A)], T0)
    await server.client().sadd(REVOKED_SET, TP_B)
    // When the store is read
    const snapshot = await store.read()
    // Then both thumbprints are denied, A has its entry, and B's missing hash is reported
    expect(snapshot.thumbprints.sort()).toEqual([TP_A, TP_B].sort())
    expect(snapshot.entries).toEqual([entry(TP_A)])
    expect(snapshot.problems.map((p) => p.message)).toEqual([`The Redis hash ${revokedEntryKey(TP_B)} is missing.`])
  })

  it('turns a Redis refusal into ERR_REDIS_FAILED', async () => {
    // Given jwkr:revoked holding a string, not a set
    await server.client().set(REVOKED_SET, 'oops')
    const error = await failure(() => store.merge([entry(TP_A)], T0))
    expect(error.code).toBe('ERR_REDIS_FAILED')
    expect(error.message).toContain('WRONGTYPE')
    expect(error.hint).toContain('a set and hashes')
    expect(await server.client().get(REVOKED_SET)).toBe('oops')
  })
})

describeRedis('the Redis denylist store on a Redis Cluster', () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedisServer({cluster: true})
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('writes and reads its keys in one slot (the {jwkr} hash tag), so MULTI is not refused with CROSSSLOT', async () => {
    // Given a cluster node, which refuses a transaction over keys of different slots
    const store = await openRedisDenylistStore(server.url, {secrets: new SecretRegistry()})
    try {
      // When two keys are denied, one of them for two issuers
      const partner = entry(TP_A, {iss: 'https://partner.example.com'})
      const {added} = await store.merge([entry(TP_A), partner, entry(TP_B, {kid: 'k2'})], T0)
      // Then all three entries are written and read back
      expect(added).toHaveLength(3)
      const snapshot = await store.read()
      expect(snapshot.problems).toEqual([])
      expect(snapshot.entries).toEqual(expect.arrayContaining([entry(TP_A), partner, entry(TP_B, {kid: 'k2'})]))
      // And every key jwkr wrote hashes to the same slot
      const redis = server.client()
      const slots = await Promise.all(
        [REVOKED_SET, revokedEntryKey(TP_A), revokedEntryKey(TP_B)].map((key) => redis.call('CLUSTER', 'KEYSLOT', key)),
      )
      expect(new Set(slots).size).toBe(1)
    } finally {
      await store.close()
    }
  })
})

describeRedis('connecting to Redis', () => {
  it('fails fast and clearly when nothing listens at the URL', async () => {
    // Given a port nothing listens on
    const url = (await closedPortUrl()).replace('http:', 'redis:').replace(/\/$/, '')
    // When the store is opened
    const error = await failure(() => openRedisDenylistStore(url, {secrets: new SecretRegistry()}))
    // Then the error names the URL and says what to check
    expect(error.code).toBe('ERR_REDIS_UNREACHABLE')
    expect(error.message).toMatch(new RegExp(`^Cannot reach Redis at ${url}: connect ECONNREFUSED`))
    expect(error.hint).toContain('REDIS_URL')
  })

  it('gives up within its deadline on a Redis that accepts connections and answers nothing (stopped with SIGSTOP)', async () => {
    // Given a real Redis, and a store opened on it while it answered
    const server = await startRedisServer()
    try {
      const secrets = new SecretRegistry()
      const store = await openRedisDenylistStore(server.url, {secrets, commandTimeoutMs: 500})
      // When the server is stopped, and a merge and a new connection are tried
      server.freeze()
      const started = Date.now()
      const merging = await failure(() => store.merge([entry(TP_A)], T0))
      const opening = await failure(() => openRedisDenylistStore(server.url, {secrets, commandTimeoutMs: 500}))
      // Then both fail with a clear error within a few deadlines, instead of hanging for ever
      expect(Date.now() - started).toBeLessThan(5000)
      expect(merging.code).toBe('ERR_REDIS_UNREACHABLE')
      expect(merging.message).toContain('did not answer in time')
      expect(opening.code).toBe('ERR_REDIS_UNREACHABLE')
      server.thaw()
      await store.close()
    } finally {
      await server.stop()
    }
  })

  it('never shows the password, neither in an unreachable error nor in a refused login', async () => {
    // Given a password-protected Redis and a dead port, both with the password in the URL
    const server = await startRedisServer({password: PASSWORD})
    try {
      const secrets = new SecretRegistry()
      const wrong = server.url.replace(encodeURIComponent(PASSWORD), encodeURIComponent(`${PASSWORD}-wrong`))
      const dead = `redis://:${encodeURIComponent(PASSWORD)}@${new URL(await closedPortUrl()).host}`
      // When jwkr connects with the wrong password, and to the dead port
      const refused = await failure(() => openRedisDenylistStore(wrong, {secrets}))
      const unreachable = await failure(() => openRedisDenylistStore(dead, {secrets}))
      // Then both errors name the URL with [REDACTED] in place of the password
      expect(refused.code).toBe('ERR_REDIS_FAILED')
      expect(refused.message).toContain(`redis://:[REDACTED]@127.0.0.1:${server.port}`)
      expect(refused.message).toContain('WRONGPASS')
      expect(unreachable.code).toBe('ERR_REDIS_UNREACHABLE')
      expect(unreachable.message).toContain('redis://:[REDACTED]@127.0.0.1:')
      for (const error of [refused, unreachable]) {
        const text = JSON.stringify({message: error.message, hint: error.hint, details: error.details})
        expect(text).not.toContain(PASSWORD)
        expect(text).not.toContain(encodeURIComponent(PASSWORD))
      }
      // And with the right password it works
      const store = await openRedisDenylistStore(server.url, {secrets})
      expect((await store.merge([entry(TP_A)], T0)).added).toHaveLength(1)
      await store.close()
    } finally {
      await server.stop()
    }
  })

  it('refuses a URL that is not redis: or rediss:, without quoting it', () => {
    const secrets = new SecretRegistry()
    expect(() => describeRedisUrl('http://:pw-secret@cache:6379', secrets)).toThrow(
      'The Redis URL has the scheme "http:", not redis: or rediss:.',
    )
    expect(() => describeRedisUrl('not a url pw-secret', secrets)).toThrow(/^The Redis URL is not a valid URL\.$/)
  })
})
