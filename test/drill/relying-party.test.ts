import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {importJWK, SignJWT} from 'jose'
import {afterEach, describe, expect, it} from 'vitest'

import {startRelyingParty, type RelyingParty} from '../../src/drill/relying-party.js'
import {makeTestKey, startJwksServer, type JwksServer, type TestKey} from '../helpers/jwks-server.js'
import {mergeIntoDenylistFile} from '../../src/adapters/denylist/file-store.js'
import {probe, waitUntil} from './helpers.js'

const ISSUER = 'https://auth.drill.test'

async function tokenFor(key: TestKey, audience: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({alg: 'ES256', kid: key.publicJwk.kid as string})
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setSubject('alice')
    .setExpirationTime('5m')
    .sign(await importJWK(key.privateJwk, 'ES256'))
}

describe('a drill relying party', () => {
  let jwks: JwksServer | undefined
  const started: RelyingParty[] = []
  afterEach(async () => {
    for (const rp of started.splice(0)) await rp.close()
    await jwks?.close()
  })
  const start = async (options: Partial<Parameters<typeof startRelyingParty>[0]>) => {
    const rp = await startRelyingParty({
      jwksUri: jwks!.url('/jwks'),
      issuer: ISSUER,
      audience: 'billing-api',
      cacheMaxAgeMs: 60_000,
      ...options,
    })
    started.push(rp)
    return rp
  }

  it('accepts its own audience only, and answers 401 with the Bearer challenge otherwise', async () => {
    // Given a relying party for billing-api and a key set with one key
    jwks = await startJwksServer()
    const key = await makeTestKey('k1')
    jwks.serve('/jwks', {keys: [key.publicJwk]})
    const rp = await start({})

    // When it is probed with its audience, another audience, garbage and no token
    const own = await fetch(rp.url, {headers: {authorization: `Bearer ${await tokenFor(key, 'billing-api')}`}})
    const statuses = [
      await probe(rp.url, await tokenFor(key, 'orders-api')),
      await probe(rp.url, 'not-a-jwt'),
      (await fetch(rp.url)).status,
    ]

    // Then only the right token passes, with its subject
    expect(own.status).toBe(200)
    expect(await own.json()).toEqual({sub: 'alice'})
    expect(statuses).toEqual([401, 401, 401])
    expect(rp.requests.map((request) => request.error)).toEqual([
      null,
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
      'ERR_JWS_INVALID',
      'ERR_JWS_INVALID',
    ])
  })

  it('never refetching, keeps accepting a key removed from the set, even for an unknown kid', async () => {
    // Given a relying party that keeps its first key set forever, warmed up with k1
    jwks = await startJwksServer()
    const k1 = await makeTestKey('k1')
    const k2 = await makeTestKey('k2')
    jwks.serve('/jwks', {keys: [k1.publicJwk]})
    const rp = await start({cacheMaxAgeMs: 1, neverRefresh: true})
    expect(await probe(rp.url, await tokenFor(k1, 'billing-api'))).toBe(200)

    // When k1 is replaced by k2 in the key set and time passes
    jwks.serve('/jwks', {keys: [k2.publicJwk]})
    await new Promise((resolve) => setTimeout(resolve, 50))

    // Then it still accepts k1, rejects k2 (it never looks again), and fetched once
    expect(await probe(rp.url, await tokenFor(k1, 'billing-api'))).toBe(200)
    expect(await probe(rp.url, await tokenFor(k2, 'billing-api'))).toBe(401)
    expect(rp.jwksFetches).toHaveLength(1)
  })

  it('with a cache-bust hook, refetches at once when it is called (POST only)', async () => {
    // Given a long-caching relying party with the hook, warmed up with k1
    jwks = await startJwksServer()
    const k1 = await makeTestKey('k1')
    jwks.serve('/jwks', {keys: [k1.publicJwk]})
    const rp = await start({cacheMaxAgeMs: 600_000, cooldownMs: 600_000, reloadPath: '/admin/jwks/reload'})
    const token = await tokenFor(k1, 'billing-api')
    expect(await probe(rp.url, token)).toBe(200)

    // When k1 is removed; then the hook is called with GET, then with POST
    jwks.serve('/jwks', {keys: []})
    const stillCached = await probe(rp.url, token)
    const get = await fetch(rp.reloadUrl ?? '')
    const post = await fetch(rp.reloadUrl ?? '', {method: 'POST'})

    // Then only the POST reloads, and from then on k1 is refused
    expect(stillCached).toBe(200)
    expect(get.status).toBe(405)
    expect(await post.json()).toEqual({reloaded: true, keys: 0})
    expect(await probe(rp.url, token)).toBe(401)
    expect(rp.reloads).toHaveLength(1)
  })

  it('uses the public half of a key set that publishes private members, where plain jose refuses the whole set', async () => {
    // Given a key set that carries the private members of its key
    jwks = await startJwksServer()
    const key = await makeTestKey('k1', 'rsa')
    jwks.serve('/jwks', {keys: [key.privateJwk]})
    const tolerant = await start({publicMembersOnly: true})
    const strict = await start({})
    const token = await new SignJWT({})
      .setProtectedHeader({alg: 'RS256', kid: 'k1'})
      .setIssuer(ISSUER)
      .setAudience('billing-api')
      .setExpirationTime('5m')
      .sign(await importJWK(key.privateJwk, 'RS256'))

    // When both are probed
    const statuses = [await probe(tolerant.url, token), await probe(strict.url, token)]

    // Then the tolerant one accepts, like most JWKS clients; jose alone rejects the set
    expect(statuses).toEqual([200, 401])
    expect(strict.requests[0]?.error).toBe('ERR_JWKS_INVALID')
  })

  it('follows its own denylist file until it is closed, then stops', async () => {
    // Given two relying parties following the same denylist file, which lists a key
    jwks = await startJwksServer()
    jwks.serve('/jwks', {keys: []})
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-rp-denylist-'))
    const file = join(dir, 'denylist.json')
    await mergeIntoDenylistFile(
      file,
      [{thumbprint: 'A'.repeat(43), notBefore: new Date().toISOString(), reason: 'key-compromise'}],
      new Date(),
    )
    const open = await start({denylistFile: file, denylistRefreshMs: 50})
    const closed = await start({denylistFile: file, denylistRefreshMs: 50})

    // When one is closed and the file is deleted
    await closed.close()
    await rm(dir, {recursive: true, force: true})

    // Then the open one notices (and keeps the entries it had); the closed one no longer looks
    await waitUntil(async () => open.guardErrors.length > 0, 3000, 'the open relying party notices')
    expect(open.guardErrors[0]).toContain('is gone')
    expect(closed.guardErrors).toEqual([])
  })
})

describe('a relying party built on jwks-rsa', () => {
  it('picks the key by kid: it accepts a token under the published kid and refuses the same key without one', async () => {
    // Given an issuer publishing two keys, and a relying party on jwks-rsa
    const issuer = await startJwksServer()
    const leaked = await makeTestKey('k1', 'rsa')
    const other = await makeTestKey('k0', 'rsa')
    issuer.serve('/jwks', {keys: [other.publicJwk, leaked.publicJwk]})
    const rp = await startRelyingParty({
      verifier: 'jwks-rsa',
      jwksUri: issuer.url('/jwks'),
      issuer: 'https://auth.example.com',
      audience: 'billing-api',
      cacheMaxAgeMs: 60_000,
    })
    try {
      const key = await importJWK(leaked.privateJwk, 'RS256')
      const sign = (kid: string | null) =>
        new SignJWT({})
          .setProtectedHeader({alg: 'RS256', ...(kid === null ? {} : {kid})})
          .setIssuer('https://auth.example.com')
          .setAudience('billing-api')
          .setExpirationTime('5m')
          .sign(key)
      const status = async (token: string) => (await fetch(rp.url, {headers: {authorization: `Bearer ${token}`}})).status
      // When it is sent the leaked key's token with the published kid, and without a kid
      // Then only the first is accepted: a kid-less canary would make it look contained
      expect(await status(await sign('k1'))).toBe(200)
      expect(await status(await sign(null))).toBe(401)
    } finally {
      await rp.close()
      await issuer.close()
    }
  })
})
