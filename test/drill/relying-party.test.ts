import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {importJWK, SignJWT} from 'jose'
import {afterEach, describe, expect, it} from 'vitest'

import {startRelyingParty, type RelyingParty, type RelyingPartyOptions} from '../../src/drill/relying-party.js'
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

/** A key server and relying parties for the tests of one describe block, all closed after each test. */
function harness(defaults: Partial<RelyingPartyOptions> = {}) {
  let jwks: JwksServer | undefined
  const started: RelyingParty[] = []
  afterEach(async () => {
    for (const rp of started.splice(0)) await rp.close()
    await jwks?.close()
    jwks = undefined
  })
  return {
    /** The key server of this test, serving the key set at /jwks. */
    async keyServer(): Promise<JwksServer> {
      jwks = await startJwksServer()
      return jwks
    },
    async start(options: Partial<RelyingPartyOptions> = {}): Promise<RelyingParty> {
      const rp = await startRelyingParty({
        jwksUri: jwks!.url('/jwks'),
        issuer: ISSUER,
        audience: 'billing-api',
        cacheMaxAgeMs: 60_000,
        ...defaults,
        ...options,
      })
      started.push(rp)
      return rp
    },
  }
}

describe('a drill relying party', () => {
  const {keyServer, start} = harness()

  it('accepts its own audience only, and answers 401 with the Bearer challenge otherwise', async () => {
    // Given a relying party for billing-api and a key set with one key
    const jwks = await keyServer()
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
    const jwks = await keyServer()
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
    const jwks = await keyServer()
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
    const jwks = await keyServer()
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
    const jwks = await keyServer()
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

describe('a relying party built on get-jwks', () => {
  const {keyServer, start} = harness({verifier: 'get-jwks'})

  it('accepts a token under a published kid, refuses one signed by another key under that kid or under an unknown kid', async () => {
    // Given a key set with k1, and a relying party on get-jwks
    const jwks = await keyServer()
    const k1 = await makeTestKey('k1')
    jwks.serve('/jwks', {keys: [k1.publicJwk]})
    const rp = await start()

    // When it gets k1's token, an impostor's token claiming kid k1, and a token with kid k9
    const impostor = await makeTestKey('k1')
    const statuses = [
      await probe(rp.url, await tokenFor(k1, 'billing-api')),
      await probe(rp.url, await tokenFor(impostor, 'billing-api')),
      await probe(rp.url, await tokenFor(await makeTestKey('k9'), 'billing-api')),
    ]

    // Then only k1's token passes: the impostor fails the signature, and get-jwks finds no k9
    expect(statuses).toEqual([200, 401, 401])
    expect(rp.requests.map((request) => request.error)).toEqual([null, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'JWK_NOT_FOUND'])
    // And it fetches on its own, out of the relying party's sight
    expect(rp.jwksFetches).toBeNull()
  })

  it('keeps a removed key while it is asked within its ttl (its stale copy, renewed on use), then refuses it', async () => {
    // Given a relying party on get-jwks with a 600 ms ttl, which has cached k1
    const jwks = await keyServer()
    const k1 = await makeTestKey('k1')
    jwks.serve('/jwks', {keys: [k1.publicJwk]})
    const rp = await start({cacheMaxAgeMs: 600})
    const token = await tokenFor(k1, 'billing-api')
    expect(await probe(rp.url, token)).toBe(200)

    // When k1 leaves the key set and the token is sent every 200 ms for three ttls
    jwks.serve('/jwks', {keys: [(await makeTestKey('k2')).publicJwk]})
    const asked: number[] = []
    const until = Date.now() + 1800
    while (Date.now() < until) {
      asked.push(await probe(rp.url, token))
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    // and then nobody asks for longer than the ttl
    await new Promise((resolve) => setTimeout(resolve, 900))

    // Then it accepted the removed key throughout, and refuses it only once it was left alone
    expect(new Set(asked)).toEqual(new Set([200]))
    expect(await probe(rp.url, token)).toBe(401)
    expect(rp.requests.at(-1)?.error).toBe('JWK_NOT_FOUND')
  })

  it('forgets its keys when its cache-bust hook is called, as a restart would', async () => {
    // Given a long-caching get-jwks relying party with the hook, which has cached k1
    const jwks = await keyServer()
    const k1 = await makeTestKey('k1')
    jwks.serve('/jwks', {keys: [k1.publicJwk]})
    const rp = await start({reloadPath: '/admin/jwks/reload'})
    const token = await tokenFor(k1, 'billing-api')
    expect(await probe(rp.url, token)).toBe(200)

    // When k1 is removed, then the hook is called
    jwks.serve('/jwks', {keys: []})
    const stillCached = await probe(rp.url, token)
    const post = await fetch(rp.reloadUrl ?? '', {method: 'POST'})

    // Then it accepted k1 from its cache until the hook, and refuses it after
    expect(stillCached).toBe(200)
    expect(await post.json()).toEqual({reloaded: true, keys: 0})
    expect(await probe(rp.url, token)).toBe(401)
  })

  it('cannot be a service that never refetches', async () => {
    // Given a key set
    const jwks = await keyServer()
    jwks.serve('/jwks', {keys: []})
    // When a get-jwks relying party that never refetches is asked for
    // Then it is refused, saying why
    await expect(start({neverRefresh: true})).rejects.toThrow(/cannot have neverRefresh: get-jwks fetches every kid/)
  })
})

describe('a relying party on Auth0’s SDK (express-oauth2-jwt-bearer)', () => {
  const harnessed = harness({verifier: 'express-oauth2-jwt-bearer', audience: 'reports-api', requiredScope: 'read:reports-api'})
  /** An issuer at the key server's origin, with discovery pointing at its key set. */
  const startIssuer = async (keys: TestKey[]) => {
    const jwks = await harnessed.keyServer()
    jwks.serve('/.well-known/openid-configuration', {
      issuer: jwks.origin,
      jwks_uri: jwks.url('/jwks'),
      id_token_signing_alg_values_supported: ['ES256'],
    })
    jwks.serve('/jwks', {keys: keys.map((key) => key.publicJwk)})
    return {issuer: jwks.origin, jwks}
  }
  const start = (issuer: string, options: Partial<RelyingPartyOptions> = {}) => harnessed.start({issuer, ...options})
  const sign = async (key: TestKey, issuer: string, scope?: string) =>
    new SignJWT(scope === undefined ? {} : {scope})
      .setProtectedHeader({alg: 'ES256', kid: key.publicJwk.kid as string})
      .setIssuer(issuer)
      .setAudience('reports-api')
      .setSubject('alice')
      .setExpirationTime('5m')
      .sign(await importJWK(key.privateJwk, 'ES256'))
  const answer = async (url: string, token: string) => {
    const response = await fetch(url, {headers: {authorization: `Bearer ${token}`}})
    return {status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.json()}
  }

  it('accepts a token with its scope; answers 403 insufficient_scope without it, and 401 invalid_token to another key', async () => {
    // Given an issuer publishing k1 by discovery, and the SDK requiring read:reports-api
    const k1 = await makeTestKey('k1')
    const {issuer} = await startIssuer([k1])
    const rp = await start(issuer)

    // When it gets k1's token with the scope, k1's token without it, and an impostor's token claiming kid k1
    const good = await answer(rp.url, await sign(k1, issuer, 'read:reports-api'))
    const unscoped = await answer(rp.url, await sign(k1, issuer))
    const impostor = await answer(rp.url, await sign(await makeTestKey('k1'), issuer, 'read:reports-api'))

    // Then it answers as the SDK does: the key accepted (200, or 403 for the scope alone), the impostor refused
    expect(good).toEqual({status: 200, challenge: null, body: {sub: 'alice'}})
    expect(unscoped.status).toBe(403)
    expect(unscoped.challenge).toBe(
      `Bearer realm="api", error="insufficient_scope", error_description="Missing 'scope' claim", scope="read:reports-api"`,
    )
    expect(impostor.status).toBe(401)
    expect(impostor.challenge).toMatch(
      /^Bearer realm="api", error="invalid_token", error_description="signature verification failed"/,
    )
    expect(impostor.body).toEqual({error: 'invalid_token', error_description: 'signature verification failed'})
    // And the relying party recorded each answer with the SDK's reason, having fetched on its own
    expect(rp.requests.map((request) => [request.status, request.error])).toEqual([
      [200, null],
      [403, "Missing 'scope' claim"],
      [401, 'signature verification failed'],
    ])
    expect(rp.jwksFetches).toBeNull()
  })

  it('drops a removed key once its cacheMaxAge has passed', async () => {
    // Given the SDK caching the key set for 700 ms, which has accepted k1
    const k1 = await makeTestKey('k1')
    const {issuer, jwks} = await startIssuer([k1])
    const rp = await start(issuer, {cacheMaxAgeMs: 700})
    const token = await sign(k1, issuer, 'read:reports-api')
    expect(await probe(rp.url, token)).toBe(200)

    // When k1 leaves the key set
    jwks.serve('/jwks', {keys: [(await makeTestKey('k2')).publicJwk]})
    const rightAfter = await probe(rp.url, token)

    // Then it still accepts k1 from its cache, and refuses it within its max-age (and a margin)
    expect(rightAfter).toBe(200)
    await waitUntil(async () => (await probe(rp.url, token)) === 401, 2500, 'the SDK refuses the removed key')
    expect(rp.requests.at(-1)?.error).toBe('no applicable key found in the JSON Web Key Set')
  })

  it('takes no denylist guard, cache-bust hook or never-refetch mode, and no other library is given a scope', async () => {
    // Given an issuer
    const {issuer} = await startIssuer([])
    // When relying parties are asked for with what their library cannot do
    // Then each is refused, naming what and why
    await expect(start(issuer, {reloadPath: '/admin/jwks/reload'})).rejects.toThrow(/cannot have reloadHook: Auth0’s SDK/)
    await expect(start(issuer, {neverRefresh: true})).rejects.toThrow(/cannot have neverRefresh/)
    await expect(start(issuer, {denylistFile: '/nonexistent/denylist.json'})).rejects.toThrow(/cannot have guard/)
    await expect(start(issuer, {verifier: 'jose'})).rejects.toThrow(/checks no scope here/)
  })
})
