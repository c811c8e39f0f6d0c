// The guard in a real relying party: jose's jwtVerify with a guarded createRemoteJWKSet over a real
// JWKS server. A key put on the denylist (file or Redis) is refused without restarting the relying
// party; other keys still pass; a kid + iss entry refuses too; close() lets everything go.
import {createPublicKey, createSecretKey, generateKeyPairSync, randomBytes} from 'node:crypto'
import {mkdtemp, rm, unlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Redis} from 'ioredis'
import {calculateJwkThumbprint, type JWK} from 'jose'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi} from 'vitest'

import {mergeIntoDenylistFile} from '../../src/adapters/denylist/file-store.js'
import {REVOKED_SET, revokedEntryKey} from '../../src/guard/redis-denylist.js'
import {openRedisDenylistStore, type RedisDenylistStore} from '../../src/adapters/denylist/redis-store.js'
import type {DenylistEntry} from '../../src/core/containment/denylist.js'
import {JwkrError} from '../../src/core/errors.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {createDenylistGuard, DenylistedKeyError, type DenylistGuard} from '../../src/index.js'
import {closedPortUrl} from '../helpers/jwks-server.js'
import {describeRedis, startRedisServer, type RedisServer} from '../helpers/redis-server.js'
import {ISSUER, makeKey, OTHER_ISSUER, startRelyingParty, tokenFrom, type RelyingParty, type TestKey} from './relying-party.js'

const NOW = new Date('2025-03-01T10:00:00.000Z')
/** How long a change may take to reach the relying party before the test fails. */
const WAIT = {timeout: 5000, interval: 25}

function entryFor(key: Pick<TestKey, 'thumbprint' | 'kid'>, iss = ISSUER): DenylistEntry {
  return {
    thumbprint: key.thumbprint,
    kid: key.kid,
    iss,
    notBefore: NOW.toISOString(),
    reason: 'key-compromise',
    incident: 'inc-guard',
  }
}

async function rejection(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

let keyA: TestKey
let keyB: TestKey
let keyC: TestKey
beforeAll(async () => {
  ;[keyA, keyB, keyC] = await Promise.all([makeKey('a'), makeKey('b'), makeKey('c')])
})

describe('a guard on a denylist file', () => {
  let dir: string
  let file: string
  let errors: Error[]
  const open: {close(): Promise<void>}[] = []
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jwkr-guard-'))
    file = join(dir, 'denylist.json')
    errors = []
  })
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close()
    await rm(dir, {recursive: true, force: true})
  })
  async function guardOnFile(options: {watch?: boolean; refreshIntervalMs?: number} = {}): Promise<DenylistGuard> {
    const guard = await createDenylistGuard(
      {file},
      {refreshIntervalMs: 60_000, onError: (error) => errors.push(error), ...options},
    )
    open.push(guard)
    return guard
  }
  async function relyingParty(guard: DenylistGuard): Promise<RelyingParty> {
    const rp = await startRelyingParty(guard, [keyA, keyB])
    open.push(rp)
    return rp
  }

  it('refuses a key as soon as it is written to the file (fs.watch, atomic rename), and lets other keys through', async () => {
    // Given a relying party whose guard follows a denylist file that does not exist yet
    const rp = await relyingParty(await guardOnFile())
    const tokenA = await tokenFrom(keyA)
    const tokenB = await tokenFrom(keyB)
    expect(await rp.call(tokenA)).toEqual({status: 200, body: {sub: 'user-1'}})
    expect((await rp.call(tokenB)).status).toBe(200)
    // When jwkr writes key A to the denylist (by rename, as it always does); the stat fallback is 60 s away
    await mergeIntoDenylistFile(file, [entryFor(keyA)], NOW)
    // Then, without a restart, the same token is refused with the guard's error
    await vi.waitFor(
      async () => expect(await rp.call(tokenA)).toEqual({status: 401, body: {error: 'ERR_JWKR_KEY_DENYLISTED'}}),
      WAIT,
    )
    // And so is any other token from that key, whatever its claims
    expect((await rp.call(await tokenFrom(keyA, {sub: 'someone-else', iss: OTHER_ISSUER}))).status).toBe(401)
    // While key B still passes
    expect(await rp.call(tokenB)).toEqual({status: 200, body: {sub: 'user-1'}})
    // And the relying party kept its JWKS cache all along: one fetch, no restart
    expect(rp.jwks.requestsTo('/jwks')).toHaveLength(1)
    expect(errors).toEqual([])
  })

  it('refuses a token whose kid and iss are listed together, and only that pair', async () => {
    // Given a relying party that trusts two issuers
    const rp = await relyingParty(await guardOnFile())
    const fromPartner = await tokenFrom(keyB, {iss: OTHER_ISSUER})
    const fromMain = await tokenFrom(keyB, {iss: ISSUER})
    expect((await rp.call(fromPartner)).status).toBe(200)
    // When the partner's key "b" is denied (its thumbprint is another key's: the pair alone must match)
    await mergeIntoDenylistFile(file, [entryFor({thumbprint: keyC.thumbprint, kid: 'b'}, OTHER_ISSUER)], NOW)
    // Then kid "b" from the partner is refused, and kid "b" from the main issuer is not
    await vi.waitFor(
      async () => expect(await rp.call(fromPartner)).toEqual({status: 401, body: {error: 'ERR_JWKR_KEY_DENYLISTED'}}),
      WAIT,
    )
    expect((await rp.call(fromMain)).status).toBe(200)
  })

  it('refuses from the start what the file already lists', async () => {
    await mergeIntoDenylistFile(file, [entryFor(keyA)], NOW)
    const rp = await relyingParty(await guardOnFile())
    expect(await rp.call(await tokenFrom(keyA))).toEqual({status: 401, body: {error: 'ERR_JWKR_KEY_DENYLISTED'}})
    expect((await rp.call(await tokenFrom(keyB))).status).toBe(200)
  })

  it('sees the change through the periodic stat when watching is off', async () => {
    // Given a guard that does not watch (as on a network file system) and stats every 50 ms
    const rp = await relyingParty(await guardOnFile({watch: false, refreshIntervalMs: 50}))
    const tokenA = await tokenFrom(keyA)
    expect((await rp.call(tokenA)).status).toBe(200)
    // When the file is written
    await mergeIntoDenylistFile(file, [entryFor(keyA)], NOW)
    // Then the guard catches up
    await vi.waitFor(async () => expect((await rp.call(tokenA)).status).toBe(401), WAIT)
  })

  it('keeps what it denies when the file is hand-edited into garbage or deleted, says so, and follows the repaired file', async () => {
    // Given a guard that denies A
    await mergeIntoDenylistFile(file, [entryFor(keyA)], NOW)
    const guard = await guardOnFile({refreshIntervalMs: 50})
    const rp = await relyingParty(guard)
    const tokenA = await tokenFrom(keyA)
    // When someone saves a broken file
    await writeFile(file, '{"version": 1, "entries": [')
    // Then the guard reports it, naming the file, and A stays refused
    await vi.waitFor(() => expect(errors.map((e) => (e as JwkrError).code)).toContain('ERR_DENYLIST_INVALID'), WAIT)
    expect(errors[0]?.message).toContain(file)
    expect((await rp.call(tokenA)).status).toBe(401)
    // When the file is deleted
    await unlink(file)
    await vi.waitFor(
      () =>
        expect(errors.map((e) => e.message)).toContain(`The denylist ${file} is gone; the guard keeps the 1 keys it last read.`),
      WAIT,
    )
    expect((await rp.call(tokenA)).status).toBe(401)
    // When a valid file comes back that lists B instead (a false positive removed by hand)
    await mergeIntoDenylistFile(file, [entryFor(keyB)], NOW)
    // Then the guard follows it: B refused, A accepted again
    await vi.waitFor(async () => expect((await rp.call(await tokenFrom(keyB))).status).toBe(401), WAIT)
    expect((await rp.call(tokenA)).status).toBe(200)
  })

  it('refuses to start on a malformed file, naming it', async () => {
    await writeFile(file, '{"version": 1, "updated": "2025-03-01T10:00:00Z", "entries": [{"thumbprint": "short"}]}')
    const error = await rejection(() => createDenylistGuard({file}))
    expect(error).toBeInstanceOf(JwkrError)
    expect((error as JwkrError).code).toBe('ERR_DENYLIST_INVALID')
    expect((error as JwkrError).message).toContain(`${file}:1:63: missing required property 'notBefore'`)
  })

  it('stops following the file once closed', async () => {
    // Given two guards on the same file, one of them closed
    const closed = await createDenylistGuard({file}, {refreshIntervalMs: 50})
    await closed.close()
    const witness = await guardOnFile({refreshIntervalMs: 50})
    // When the file gets an entry, and the open guard has seen it
    await mergeIntoDenylistFile(file, [entryFor(keyA)], NOW)
    await vi.waitFor(() => expect(witness.lookup({thumbprint: keyA.thumbprint})).toBeDefined(), WAIT)
    // Then the closed guard has not: nothing of it runs any more
    expect(closed.lookup({thumbprint: keyA.thumbprint})).toBeUndefined()
    expect(closed.size).toBe(0)
  })
})

describe('the guarded resolver', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jwkr-guard-'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })
  async function guardDenying(thumbprints: string[]): Promise<DenylistGuard> {
    const file = join(dir, 'denylist.json')
    await mergeIntoDenylistFile(
      file,
      thumbprints.map((thumbprint) => ({thumbprint, notBefore: NOW.toISOString(), reason: 'key-compromise'})),
      NOW,
    )
    return createDenylistGuard({file}, {watch: false})
  }

  it('matches a non-minimal JWK by its canonical thumbprint (RFC 7638 §7)', async () => {
    // Given an RSA key, denied by its thumbprint, and a resolver that returns it with a zero-padded modulus
    const jwk = generateKeyPairSync('rsa', {modulusLength: 2048}).publicKey.export({format: 'jwk'}) as JWK
    const padded = {...jwk, n: Buffer.concat([Buffer.from([0]), Buffer.from(jwk.n as string, 'base64url')]).toString('base64url')}
    expect(await calculateJwkThumbprint(padded)).not.toBe(await calculateJwkThumbprint(jwk))
    const guard = await guardDenying([await calculateJwkThumbprint(jwk)])
    // When the guarded resolver resolves it
    const error = await rejection(async () => guard.wrap((_header?: unknown) => padded)({alg: 'RS256'}))
    // Then it is refused, with a jose error naming the key
    expect(error).toBeInstanceOf(DenylistedKeyError)
    expect((error as DenylistedKeyError).match).toMatchObject({by: 'thumbprint', thumbprint: await calculateJwkThumbprint(jwk)})
    await guard.close()
  })

  it('thumbprints HMAC secrets (Uint8Array) as oct keys and passes keys that are not denied', async () => {
    const secret = randomBytes(32)
    const octThumbprint = await calculateJwkThumbprint(createSecretKey(secret).export({format: 'jwk'}) as JWK)
    const guard = await guardDenying([octThumbprint])
    expect(await rejection(async () => guard.wrap((_header?: unknown) => new Uint8Array(secret))({alg: 'HS256'}))).toBeInstanceOf(
      DenylistedKeyError,
    )
    const other = new Uint8Array(randomBytes(32))
    expect(await guard.wrap((_header?: unknown) => other)({alg: 'HS256'})).toBe(other)
    await guard.close()
  })

  it("thumbprints each key object once, and keeps the resolver's own properties", async () => {
    // Given a resolver with a property of its own, returning the same KeyObject every time
    const key = createPublicKey(generateKeyPairSync('ec', {namedCurve: 'P-256'}).publicKey.export({format: 'pem', type: 'spki'}))
    const exportJwk = key.export.bind(key)
    let exports = 0
    key.export = ((options: Parameters<typeof key.export>[0]) => {
      exports++
      return exportJwk(options as never)
    }) as typeof key.export
    const resolver = Object.assign((_header?: unknown) => key, {reload: () => 'reloaded'})
    const guard = await guardDenying([])
    const guarded = guard.wrap(resolver)
    // When it resolves three times
    for (let i = 0; i < 3; i++) expect(await guarded({alg: 'ES256'})).toBe(key)
    // Then the key was exported (to be thumbprinted) once, and reload() is still there
    expect(exports).toBe(1)
    expect(guarded.reload()).toBe('reloaded')
    await guard.close()
  })
})

describeRedis('a guard on Redis', () => {
  let server: RedisServer
  let store: RedisDenylistStore
  let errors: Error[]
  const open: {close(): Promise<void>}[] = []
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.stop()
  })
  beforeEach(async () => {
    await server.client().flushall()
    store = await openRedisDenylistStore(server.url, {secrets: new SecretRegistry()})
    open.push(store)
    errors = []
  })
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close()
  })
  async function guardOnRedis(options: {refreshIntervalMs?: number} = {}): Promise<DenylistGuard> {
    const guard = await createDenylistGuard({redis: server.url}, {onError: (error) => errors.push(error), ...options})
    open.push(guard)
    return guard
  }
  async function relyingParty(guard: DenylistGuard): Promise<RelyingParty> {
    const rp = await startRelyingParty(guard, [keyA, keyB])
    open.push(rp)
    return rp
  }
  async function clientCount(admin: Redis): Promise<number> {
    return String(await admin.client('LIST'))
      .trim()
      .split('\n').length
  }

  it('refuses a key as soon as jwkr publishes it, without a restart, and lets other keys through', async () => {
    // Given a relying party whose guard subscribes to Redis (no periodic reload within the test)
    const rp = await relyingParty(await guardOnRedis({refreshIntervalMs: 60_000}))
    const tokenA = await tokenFrom(keyA)
    expect((await rp.call(tokenA)).status).toBe(200)
    // When jwkr adds key A to Redis
    await store.merge([entryFor(keyA)], NOW)
    // Then the relying party refuses A's token, and still accepts B's
    await vi.waitFor(
      async () => expect(await rp.call(tokenA)).toEqual({status: 401, body: {error: 'ERR_JWKR_KEY_DENYLISTED'}}),
      WAIT,
    )
    expect((await rp.call(await tokenFrom(keyB))).status).toBe(200)
    expect(rp.jwks.requestsTo('/jwks')).toHaveLength(1)
    expect(errors).toEqual([])
  })

  it('refuses a kid + iss pair published in Redis', async () => {
    const rp = await relyingParty(await guardOnRedis({refreshIntervalMs: 60_000}))
    const fromPartner = await tokenFrom(keyB, {iss: OTHER_ISSUER})
    expect((await rp.call(fromPartner)).status).toBe(200)
    await store.merge([entryFor({thumbprint: keyC.thumbprint, kid: 'b'}, OTHER_ISSUER)], NOW)
    await vi.waitFor(async () => expect((await rp.call(fromPartner)).status).toBe(401), WAIT)
    expect((await rp.call(await tokenFrom(keyB))).status).toBe(200)
  })

  it('loads what Redis holds at start (SMEMBERS), including a bare thumbprint without its hash', async () => {
    // Given A written by jwkr and B's thumbprint added to the set by hand
    await store.merge([entryFor(keyA)], NOW)
    await server.client().sadd(REVOKED_SET, keyB.thumbprint)
    // When a relying party starts
    const rp = await relyingParty(await guardOnRedis())
    // Then both are refused at once, and the missing hash is reported
    expect((await rp.call(await tokenFrom(keyA))).status).toBe(401)
    expect((await rp.call(await tokenFrom(keyB))).status).toBe(401)
    expect(errors.map((e) => e.message)).toEqual([`The Redis hash ${revokedEntryKey(keyB.thumbprint)} is missing.`])
  })

  it('catches up on entries written without a message (periodic reload)', async () => {
    const rp = await relyingParty(await guardOnRedis({refreshIntervalMs: 50}))
    const tokenA = await tokenFrom(keyA)
    expect((await rp.call(tokenA)).status).toBe(200)
    // When another tool writes A to the set and hash but publishes nothing
    await server
      .client()
      .multi()
      .sadd(REVOKED_SET, keyA.thumbprint)
      .hset(revokedEntryKey(keyA.thumbprint), ISSUER, JSON.stringify(entryFor(keyA)))
      .exec()
    await vi.waitFor(async () => expect((await rp.call(tokenA)).status).toBe(401), WAIT)
  })

  it('keeps refusing a key when Redis comes back empty (FLUSHALL), writes the denylist back and says so', async () => {
    // Given a relying party whose guard reloads often, and key A denied for two issuers
    const rp = await relyingParty(await guardOnRedis({refreshIntervalMs: 50}))
    const tokenA = await tokenFrom(keyA)
    const entries = [entryFor(keyA), entryFor(keyA, OTHER_ISSUER)]
    await store.merge(entries, NOW)
    await vi.waitFor(async () => expect((await rp.call(tokenA)).status).toBe(401), WAIT)
    // When Redis loses everything (as a restart without persistence would)
    await server.client().flushall()
    // Then the guard says so once it has reloaded
    await vi.waitFor(
      () => expect(errors.map((error) => error.message).join('\n')).toContain('came back without the denylist'),
      WAIT,
    )
    expect(errors[0]).toMatchObject({code: 'ERR_DENYLIST_READ'})
    expect(errors[0]?.message).toContain('keeps refusing the 1 key it knew and wrote the denylist back')
    // And the leaked key is still refused, other keys still pass
    expect(await rp.call(tokenA)).toEqual({status: 401, body: {error: 'ERR_JWKR_KEY_DENYLISTED'}})
    expect((await rp.call(await tokenFrom(keyB))).status).toBe(200)
    // And Redis holds both entries again, for any guard that starts now
    const snapshot = await store.read()
    expect(snapshot.thumbprints).toEqual([keyA.thumbprint])
    expect(snapshot.entries).toEqual(expect.arrayContaining(entries))
    expect(snapshot.entries).toHaveLength(2)
    const fresh = await guardOnRedis()
    expect(fresh.lookup({thumbprint: keyA.thumbprint})).toBeDefined()
  })

  it('keeps refusing and alarms when it cannot write the lost denylist back (a read-only Redis user)', async () => {
    // Given a guard that logs in as a user who may only read and subscribe
    const admin = server.client()
    await admin.call('ACL', 'SETUSER', 'guard-ro', 'on', '>guard-ro-pass', '~*', '&*', '+@read', '+@pubsub', '+@connection')
    try {
      const guard = await createDenylistGuard(
        {redis: `redis://guard-ro:guard-ro-pass@127.0.0.1:${server.port}`},
        {refreshIntervalMs: 50, onError: (error) => errors.push(error)},
      )
      open.push(guard)
      await store.merge([entryFor(keyA)], NOW)
      await vi.waitFor(() => expect(guard.lookup({thumbprint: keyA.thumbprint})).toBeDefined(), WAIT)
      // When Redis loses everything
      await admin.flushall()
      // Then the guard alarms that it could not write it back, and still refuses the key
      await vi.waitFor(
        () => expect(errors.map((error) => error.message).join('\n')).toContain('could not write the denylist back'),
        WAIT,
      )
      expect(errors[0]?.message).toContain('NOPERM')
      expect(guard.lookup({thumbprint: keyA.thumbprint})).toMatchObject({by: 'thumbprint', entry: entryFor(keyA)})
      expect(await admin.exists(REVOKED_SET)).toBe(0)
    } finally {
      await admin.call('ACL', 'DELUSER', 'guard-ro')
    }
  })

  it('follows a deliberate removal of one entry (the set is not empty)', async () => {
    // Given A and B denied
    const guard = await guardOnRedis({refreshIntervalMs: 50})
    await store.merge([entryFor(keyA), entryFor(keyB)], NOW)
    await vi.waitFor(() => expect(guard.size).toBe(2), WAIT)
    // When an operator lifts B by hand
    await server.client().multi().srem(REVOKED_SET, keyB.thumbprint).del(revokedEntryKey(keyB.thumbprint)).exec()
    // Then the guard lets B go and keeps A, without an alarm
    await vi.waitFor(() => expect(guard.lookup({thumbprint: keyB.thumbprint})).toBeUndefined(), WAIT)
    expect(guard.lookup({thumbprint: keyA.thumbprint})).toBeDefined()
    expect(errors).toEqual([])
  })

  it('reconnects after its subscription is cut and catches up on what it missed', async () => {
    // Given a guard whose connections Redis drops
    const rp = await relyingParty(await guardOnRedis({refreshIntervalMs: 60_000}))
    const tokenA = await tokenFrom(keyA)
    await server.client().call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    // When A is added while it reconnects
    await store.merge([entryFor(keyA)], NOW)
    // Then A is refused once the guard is back (by the resubscription or the reload on reconnect)
    await vi.waitFor(async () => expect((await rp.call(tokenA)).status).toBe(401), WAIT)
  })

  it('keeps an entry announced while it was reading a snapshot that predates it', async () => {
    // Given a guard on a client whose SMEMBERS answer is overtaken by a new entry and its message
    const borrowed = server.client()
    const guard = await createDenylistGuard(
      {redis: borrowed},
      {refreshIntervalMs: 60_000, onError: (error) => errors.push(error)},
    )
    open.push(guard)
    const smembers = borrowed.smembers.bind(borrowed)
    borrowed.smembers = (async (key: string) => {
      const stale = await smembers(key)
      await store.merge([entryFor(keyA)], NOW)
      await vi.waitFor(() => expect(guard.lookup({thumbprint: keyA.thumbprint})).toBeDefined(), WAIT)
      return stale
    }) as typeof borrowed.smembers
    // When the guard reloads
    await guard.reload()
    // Then the stale snapshot did not wipe out the entry it was told about meanwhile
    expect(guard.lookup({thumbprint: keyA.thumbprint})).toMatchObject({by: 'thumbprint', entry: entryFor(keyA)})
    expect(errors).toEqual([])
  })

  it('closes the connections it opened, and leaves a client it was given open', async () => {
    // Given the number of clients before any guard
    const admin = server.client()
    const before = await clientCount(admin)
    // When a guard on a URL and one on a borrowed client are created, then closed
    const borrowed = server.client()
    await borrowed.ping()
    const withUrl = await createDenylistGuard({redis: server.url})
    const withClient = await createDenylistGuard({redis: borrowed})
    expect(await clientCount(admin)).toBe(before + 1 + 2 + 1)
    await withUrl.close()
    await withClient.close()
    // Then only the borrowed client is still connected, and it still works
    await vi.waitFor(async () => expect(await clientCount(admin)).toBe(before + 1), WAIT)
    expect(await borrowed.ping()).toBe('PONG')
  })

  it('refuses to start when Redis is unreachable, naming the URL without its password', async () => {
    const password = 'guard-secret-pass'
    const url = `redis://:${password}@${new URL(await closedPortUrl()).host}`
    const error = await rejection(() => createDenylistGuard({redis: url}))
    expect(error).toBeInstanceOf(JwkrError)
    expect((error as JwkrError).code).toBe('ERR_REDIS_UNREACHABLE')
    expect((error as JwkrError).message).toContain('redis://:[REDACTED]@127.0.0.1:')
    expect(JSON.stringify({message: (error as JwkrError).message, hint: (error as JwkrError).hint})).not.toContain(password)
  })
})

describe('secrecy', () => {
  it('never puts a private key member in an error it throws', async () => {
    // Given a denied key whose private JWK is at hand (the leaked key)
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-guard-'))
    try {
      const file = join(dir, 'denylist.json')
      await mergeIntoDenylistFile(file, [entryFor(keyA)], NOW)
      const guard = await createDenylistGuard({file}, {watch: false})
      // When a resolver hands the guard the private JWK itself
      const error = (await rejection(async () =>
        guard.wrap((_header?: unknown) => keyA.privateJwk)({alg: 'ES256'}),
      )) as DenylistedKeyError
      await guard.close()
      // Then it is refused by thumbprint, and the error holds no private value
      expect(error).toBeInstanceOf(DenylistedKeyError)
      const text = JSON.stringify({message: error.message, match: error.match, stack: error.stack})
      expect(text).not.toContain(keyA.privateJwk.d)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})
