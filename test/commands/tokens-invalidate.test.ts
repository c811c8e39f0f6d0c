// `jwkr tokens invalidate` against a real redis-server and a real file: entries merged once (a second
// run adds nothing and announces nothing), Keycloak sessions revoked through its double, sources that
// cannot revoke sessions reported plainly with what to do by hand, and nothing written in a dry run.
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, beforeEach, expect, it} from 'vitest'

import type {InvalidateOutcome} from '../../src/services/invalidate.js'
import {REVOCATIONS_CHANNEL, REVOKED_SET, revokedEntryKey} from '../../src/guard/redis-denylist.js'
import type {DenylistDocument} from '../../src/core/containment/denylist.js'
import {createContainmentWorld, withEnv, type ContainmentWorld} from '../helpers/containment-world.js'
import {describeRedis, redisAvailable, startRedisServer, type RedisServer} from '../helpers/redis-server.js'
import {exitCodeOf, run} from '../helpers/run.js'

const PASSWORD = 'redis-pass-9c1f7e'
let redis: RedisServer
let world: ContainmentWorld
let restoreEnv: () => void
let savedCwd: string

beforeAll(async () => {
  if (!redisAvailable) return
  redis = await startRedisServer({password: PASSWORD})
})

afterAll(async () => {
  if (!redisAvailable) return
  await redis.stop()
})

beforeEach(async () => {
  if (!redisAvailable) return
  world = await createContainmentWorld()
  restoreEnv = withEnv({...world.env, JWKR_INVENTORY: undefined, REDIS_URL: undefined})
  savedCwd = process.cwd()
  process.chdir(world.dir)
  await redis.client().flushall()
})

afterEach(async () => {
  if (!redisAvailable) return
  process.chdir(savedCwd)
  restoreEnv()
  await world.close()
})

const NOT_BEFORE = '2026-11-29T03:00:00.000Z'

describeRedis('jwkr tokens invalidate', () => {
  it('merges the entries into the file and Redis once: a second run adds and announces nothing', async () => {
    // Given a denylist file that already denies another key, and a guard listening on Redis
    const file = join(world.dir, 'denylist.json')
    const existing = {thumbprint: world.other.thumbprint, notBefore: '2025-01-01T00:00:00.000Z', reason: 'superseded'}
    await writeFile(file, JSON.stringify({version: 1, updated: '2025-01-01T00:00:00.000Z', entries: [existing]}))
    const subscriber = redis.client()
    const messages: string[] = []
    await subscriber.subscribe(REVOCATIONS_CHANNEL)
    subscriber.on('message', (_channel, message: string) => messages.push(message))
    const args = [
      'tokens',
      'invalidate',
      '--key',
      world.keyFile,
      '--issuer',
      'auth-main',
      '--issuer',
      'auth-zero',
      '--not-before',
      NOT_BEFORE,
      '--denylist-file',
      file,
      '--yes',
      '--json',
    ]
    process.env.REDIS_URL = redis.url
    // When it runs twice
    const first = await run<InvalidateOutcome>(args)
    const second = await run<InvalidateOutcome>(args)
    // Then the file holds the old entry and one entry per issuer (in containment order: the IdP first)
    expect(first.error).toBeUndefined()
    const document = JSON.parse(await readFile(file, 'utf8')) as DenylistDocument
    expect(document.entries).toEqual([
      existing,
      {
        thumbprint: world.leaked.thumbprint,
        kid: 'leaked-1',
        iss: 'https://tenant.eu.auth0.com/',
        notBefore: NOT_BEFORE,
        reason: 'key-compromise',
      },
      {
        thumbprint: world.leaked.thumbprint,
        kid: 'leaked-1',
        iss: 'https://auth.example.com',
        notBefore: NOT_BEFORE,
        reason: 'key-compromise',
      },
    ])
    // And Redis denies the thumbprint, with one entry per issuer in its hash, each announced once
    const client = redis.client()
    expect(await client.smembers(REVOKED_SET)).toEqual([world.leaked.thumbprint])
    const hash = await client.hgetall(revokedEntryKey(world.leaked.thumbprint))
    expect(Object.fromEntries(Object.entries(hash).map(([iss, entry]) => [iss, JSON.parse(entry) as unknown]))).toEqual({
      'https://tenant.eu.auth0.com/': document.entries[1],
      'https://auth.example.com': document.entries[2],
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(messages).toHaveLength(2)
    // And the second run reports that nothing was added, anywhere
    expect(first.result?.denylist.map((write) => [write.kind, write.status, write.added])).toEqual([
      ['file', 'written', 2],
      ['redis', 'written', 2],
    ])
    expect(second.error).toBeUndefined()
    expect(second.result?.denylist.map((write) => [write.kind, write.status, write.added])).toEqual([
      ['file', 'unchanged', 0],
      ['redis', 'unchanged', 0],
    ])
    // And the Redis password never shows
    expect(first.result?.denylist[1]?.target).toBe(`redis://:[REDACTED]@127.0.0.1:${redis.port}`)
    for (const output of [first.stdout, first.stderr, second.stdout]) {
      expect(output).not.toContain(PASSWORD)
      for (const needle of world.needles) expect(output).not.toContain(needle)
    }
  })

  it('revokes Keycloak sessions and says plainly what to do where the source cannot', async () => {
    // When sessions are revoked at the realm (with logout-all), the Auth0 tenant and the file issuer
    const {stdout, error} = await run([
      'tokens',
      'invalidate',
      '--key',
      world.keyFile,
      '--issuer',
      'sso',
      '--issuer',
      'auth-zero',
      '--issuer',
      'auth-main',
      '--not-before',
      NOT_BEFORE,
      '--logout-all',
      '--yes',
    ])
    // Then Keycloak's not-before is set and pushed, and every session ended
    expect(error).toBeUndefined()
    expect(world.keycloak.notBefore).toBe(Date.parse(NOT_BEFORE) / 1000)
    expect(world.keycloak.requests.map((item) => `${item.method} ${item.path}`)).toEqual([
      'PUT /admin/realms/acme',
      'POST /admin/realms/acme/push-revocation',
      'POST /admin/realms/acme/logout-all',
    ])
    expect(world.keycloak.sessions).toBe(0)
    // And the output says what was done at sso, and what to do by hand at Auth0 and for the file
    expect(stdout).toContain('✓ done sso')
    expect(stdout).toMatch(
      /! not supported auth-zero[\s\S]*jwkr cannot revoke sessions here\. By hand: Auth0 has no tenant-wide revocation/,
    )
    expect(stdout).toMatch(/! not supported auth-main[\s\S]*By hand: This source only holds the key set/)
    // And, without a denylist target, it says relying parties were not told
    expect(stdout).toContain('No denylist written')
    expect(world.auth0.requests).toEqual([])
  })

  it('fails (exit 1) when it changed nothing: no denylist given, and an issuer whose sessions it cannot revoke', async () => {
    // (and its dry run says so too, with the same exit code: a script can learn it before)
    const dry = await run(['tokens', 'invalidate', '--key', world.keyFile, '--issuer', 'auth-main', '--dry-run'])
    expect(exitCodeOf(dry.error)).toBe(1)
    expect(dry.stderr).toContain('Nothing would be invalidated: no denylist was given, and no session could be revoked.')
    for (const json of [false, true]) {
      // When only the file issuer is named (its sessions live elsewhere) and no denylist target is given
      const {stdout, stderr, error} = await run([
        'tokens',
        'invalidate',
        '--key',
        world.keyFile,
        '--issuer',
        'auth-main',
        '--yes',
        ...(json ? ['--json'] : []),
      ])
      // Then it is a failure that says nothing was invalidated and what to pass, not a success
      expect(exitCodeOf(error)).toBe(1)
      if (json) {
        const outcome = JSON.parse(stdout)
        expect(outcome.denylist).toEqual([])
        expect(outcome.sessions.map((change: {status: string}) => change.status)).toEqual(['unsupported'])
      } else {
        expect(stdout).toMatch(/! not supported auth-main/)
        expect(stderr).toContain('Nothing was invalidated: no denylist was given, and no session could be revoked.')
        expect(stderr).toContain('--denylist-file PATH')
      }
    }
  })

  it('with --all denies per publishing issuer, and without an inventory by thumbprint alone', async () => {
    // Given the inventory, When denying at every publishing issuer, Then each gets its entry
    const file = join(world.dir, 'denylist.json')
    const {result, error} = await run<InvalidateOutcome>([
      'tokens',
      'invalidate',
      '--key',
      world.keyFile,
      '--inventory',
      join(world.dir, 'jwkr.inventory.yaml'),
      '--denylist-file',
      file,
      '--all',
      '--yes',
      '--json',
    ])
    expect(error).toBeUndefined()
    expect(result?.entries.map((entry) => entry.iss)).toEqual(['https://tenant.eu.auth0.com/', 'https://auth.example.com'])
    // Given a folder without an inventory
    process.chdir(join(world.dir, 'keys'))
    // When the key is denied with only a file
    const bare = await run<InvalidateOutcome>([
      'tokens',
      'invalidate',
      '--key',
      world.keyFile,
      '--denylist-file',
      join(world.dir, 'bare.json'),
      '--yes',
      '--json',
    ])
    // Then the one entry names the thumbprint and kid, and the notes say no session was revoked
    expect(bare.error).toBeUndefined()
    expect(bare.result?.entries).toEqual([
      {thumbprint: world.leaked.thumbprint, kid: 'leaked-1', notBefore: expect.any(String), reason: 'key-compromise'},
    ])
    expect(bare.result?.notes.join('\n')).toContain('no session is revoked')
  })

  it('dry run: writes no file, opens no Redis connection and calls no IdP', async () => {
    // Given the folder as it is and a Redis URL
    const before = await world.snapshot()
    const observer = redis.client()
    const connections = async () => /total_connections_received:(\d+)/.exec(await observer.info('stats'))?.[1]
    const connectionsBefore = await connections()
    // When the invalidation is dry-run
    const {result, stdout, error} = await run<InvalidateOutcome>([
      'tokens',
      'invalidate',
      '--key',
      world.keyFile,
      '--issuer',
      'sso',
      '--denylist-file',
      join(world.dir, 'denylist.json'),
      '--redis',
      redis.url,
      '--dry-run',
      '--json',
    ])
    // Then nothing changed on disk, in Redis or at Keycloak
    expect(error).toBeUndefined()
    expect(await world.snapshot()).toEqual(before)
    expect(await observer.exists(REVOKED_SET)).toBe(0)
    expect(await connections()).toBe(connectionsBefore)
    expect(world.requests()).toEqual([])
    // And the plan lists the writes and Keycloak's calls
    expect(result?.denylist.map((write) => write.status)).toEqual(['planned', 'planned'])
    expect(result?.sessions[0]?.plan.map((call) => call.target)).toEqual([
      'PUT https://sso.example.com/admin/realms/acme',
      'POST https://sso.example.com/admin/realms/acme/push-revocation',
    ])
    expect(stdout).not.toContain(PASSWORD)
  })

  it('refuses without a terminal unless --yes, and refuses a bad --not-before or nothing to do (exit 2)', async () => {
    const file = join(world.dir, 'denylist.json')
    // When run without --yes, Then it exits 1 and writes nothing
    const refused = await run(['tokens', 'invalidate', '--key', world.keyFile, '--issuer', 'sso', '--denylist-file', file])
    expect(exitCodeOf(refused.error)).toBe(1)
    expect(refused.stderr).toContain('--yes')
    await expect(readFile(file, 'utf8')).rejects.toMatchObject({code: 'ENOENT'})
    expect(world.keycloak.requests).toEqual([])
    // When the not-before is not a time, Then it is a usage error
    const badTime = await run([
      'tokens',
      'invalidate',
      '--key',
      world.keyFile,
      '--issuer',
      'sso',
      '--not-before',
      'yesterday',
      '--yes',
    ])
    expect(exitCodeOf(badTime.error)).toBe(2)
    expect(badTime.stderr).toContain('ISO 8601')
    // When there is nothing to write and no issuer, Then it says what to pass
    process.chdir(join(world.dir, 'keys'))
    const nothing = await run(['tokens', 'invalidate', '--key', world.keyFile, '--yes'])
    expect(exitCodeOf(nothing.error)).toBe(2)
    expect(nothing.stderr).toContain('--denylist-file')
  })

  it('reports an unreachable Redis as a failure (exit 1) after writing the file', async () => {
    // Given a Redis URL where nothing listens
    const file = join(world.dir, 'denylist.json')
    // When invalidating to the file and that Redis
    const {stdout, error} = await run([
      'tokens',
      'invalidate',
      '--key',
      world.keyFile,
      '--issuer',
      'auth-main',
      '--denylist-file',
      file,
      '--redis',
      'redis://:s3cret-pw@127.0.0.1:1',
      '--yes',
      '--json',
    ])
    // Then the file is written, Redis is reported failed without its password, and the exit code is 1
    expect(exitCodeOf(error)).toBe(1)
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({entries: [{thumbprint: world.leaked.thumbprint}]})
    const document = JSON.parse(stdout) as InvalidateOutcome
    expect(document.denylist.map((write) => [write.target, write.status, write.error?.code ?? null])).toEqual([
      [file, 'written', null],
      ['redis://:[REDACTED]@127.0.0.1:1', 'failed', 'ERR_REDIS_UNREACHABLE'],
    ])
    expect(stdout).not.toContain('s3cret-pw')
  })
})
