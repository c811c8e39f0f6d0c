// How real JWT verifier libraries answer the tokens a containment proof sends, pinned against a real
// OpenID Provider (oidc-provider) on loopback: which token each accepts, what each answers when it
// refuses (status, WWW-Authenticate, body), how long each goes on accepting a key the issuer removed,
// and what each does while the issuer is down. When a library upgrade changes any of this, this file
// says so before a canary verdict silently changes meaning.
import type {JWK} from 'jose'
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest'

import {generatePrivateJwk, signToken, startOidcIssuer, type OidcIssuer} from '../../helpers/oidc-issuer.js'
import {
  probeRelyingParty,
  relyingPartyLibraries,
  startEveryRelyingParty,
  type ProbeAnswer,
  type RealRelyingParty,
  type RelyingPartyLibrary,
} from '../../helpers/real-relying-parties.js'

const API_AUDIENCE = 'canary-api'
/** RFC 9068 access tokens name their resource server by URL. */
const AT_AUDIENCE = 'https://api.example.test/'
const SCOPE = 'read:me'
/** Cache max-age of the relying parties in the rotation and outage tests. */
const MAX_AGE_MS = 1200
/** How late after its max-age a relying party may still be seen accepting (polling, a busy CI). */
const LATE_MS = 1500

interface World {
  issuer: OidcIssuer
  rps: RealRelyingParty[]
  /** A token signed with `key` that the relying party would accept if it trusts that key. */
  token(rp: RealRelyingParty, key: JWK, options?: {kid?: string | null; typ?: string; scope?: string}): Promise<string>
}

type Closable = {close(): Promise<void>}

/** What each test started, closed after it. */
const closing: Closable[] = []

async function startWorld(keys: JWK[], cacheMaxAgeMs: number, owner: Closable[] = closing): Promise<World> {
  const issuer = await startOidcIssuer({jwks: {keys}, audience: AT_AUDIENCE, scopes: [SCOPE]})
  owner.push(issuer)
  const rps = await startEveryRelyingParty({
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    cacheMaxAgeMs: cacheMaxAgeMs,
    audience: API_AUDIENCE,
    atAudience: AT_AUDIENCE,
    scope: SCOPE,
  })
  owner.push(...rps)
  const token: World['token'] = (rp, key, options = {}) =>
    signToken(key, {
      iss: issuer.issuer,
      aud: rp.library === 'jose-at+jwt' ? AT_AUDIENCE : API_AUDIENCE,
      scope: 'scope' in options ? options.scope : SCOPE,
      ...('kid' in options ? {kid: options.kid} : {}),
      typ: options.typ ?? (rp.library === 'jose-at+jwt' ? 'at+jwt' : undefined),
    })
  return {issuer, rps, token}
}

async function closeAll(servers: Closable[] = closing): Promise<void> {
  await Promise.all(servers.splice(0).map((server) => server.close()))
}

/** Each relying party's answer to its own token. */
async function probeEach(
  world: World,
  tokenFor: (rp: RealRelyingParty) => Promise<string>,
): Promise<Record<RelyingPartyLibrary, ProbeAnswer>> {
  const answers = await Promise.all(
    world.rps.map(async (rp) => [rp.library, await probeRelyingParty(rp, await tokenFor(rp))] as const),
  )
  return Object.fromEntries(answers) as Record<RelyingPartyLibrary, ProbeAnswer>
}

const statusOf = (answers: Record<RelyingPartyLibrary, ProbeAnswer>): Record<RelyingPartyLibrary, number> =>
  Object.fromEntries(Object.entries(answers).map(([library, answer]) => [library, answer.status])) as Record<
    RelyingPartyLibrary,
    number
  >

const text = (answer: ProbeAnswer): string => (typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body))

/** express-oauth2-jwt-bearer's challenge for a refused token (DPoP is on by default, so it offers that too). */
const oauth2InvalidToken = (description: string): string =>
  `Bearer realm="api", error="invalid_token", error_description="${description}", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512 EdDSA"`
/** The challenge of the jose relying parties (jose has no HTTP layer; the helper answers RFC 6750's). */
const joseInvalidToken = (code: string): string => `Bearer realm="api", error="invalid_token", error_description="${code}"`

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

afterEach(() => closeAll())

describe('real relying parties, issuer with one RSA key k1', () => {
  const shared: Closable[] = []
  let k1: JWK
  let world: World

  beforeAll(async () => {
    k1 = await generatePrivateJwk('k1')
    world = await startWorld([k1], 60_000, shared)
  })
  afterAll(() => closeAll(shared))

  test('the issuer publishes only the public half of its key, as its discovery document says', async () => {
    // Given oidc-provider configured with the private JWK k1
    // When its discovery document and JWKS are fetched
    const discovery = (await (await fetch(world.issuer.discoveryUrl)).json()) as Record<string, unknown>
    const jwks = (await (await fetch(world.issuer.jwksUri)).json()) as {keys: JWK[]}
    // Then the JWKS at the advertised jwks_uri holds k1 with n and e only
    expect(discovery.jwks_uri).toBe(world.issuer.jwksUri)
    expect(discovery.issuer).toBe(world.issuer.issuer)
    expect(jwks.keys).toEqual([{kty: 'RSA', kid: 'k1', use: 'sig', alg: 'RS256', n: k1.n, e: k1.e}])
  })

  test('a token signed with the issuer key, kid k1, the right iss/aud (typ/scope where required): 200 everywhere', async () => {
    // Given one relying party of each library trusting the issuer
    // When each gets a token signed with k1 that meets its own requirements
    const answers = await probeEach(world, (rp) => world.token(rp, k1))
    // Then every library accepts it and the route sees the subject
    for (const library of relyingPartyLibraries) {
      expect(answers[library], library).toEqual({status: 200, wwwAuthenticate: null, body: {sub: 'canary'}})
    }
  })

  test('an access token that oidc-provider itself issues (client_credentials, typ at+jwt) passes the at+jwt relying party', async () => {
    // Given the at+jwt relying party, whose audience is the issuer's resource server
    const rp = world.rps.find((candidate) => candidate.library === 'jose-at+jwt')!
    // When it gets an access token from a real grant at the issuer
    const answer = await probeRelyingParty(rp, await world.issuer.issueAccessToken())
    // Then it accepts it: the harness's issuer and relying parties agree on the real format
    expect(answer).toEqual({status: 200, wwwAuthenticate: null, body: {sub: 'canary-test-client'}})
  })

  test('a token without kid: jose, jwks-rsa and express-oauth2-jwt-bearer take the only key; get-jwks answers 500', async () => {
    // Given the issuer publishes a single key (k1)
    // When each relying party gets a k1-signed token with no kid header
    const answers = await probeEach(world, (rp) => world.token(rp, k1, {kid: null}))
    // Then the libraries that fall back to the single fitting key accept it, and get-jwks, which
    // looks the key up by kid (undefined matches none), throws JWK_NOT_FOUND: fastify answers 500
    expect(statusOf(answers)).toEqual({
      'express-jwt+jwks-rsa': 200,
      jose: 200,
      'fastify+get-jwks': 500,
      'express-oauth2-jwt-bearer': 200,
      'jose-at+jwt': 200,
    })
    expect(answers['fastify+get-jwks']).toEqual({
      status: 500,
      wwwAuthenticate: null,
      body: {
        statusCode: 500,
        code: 'JWK_NOT_FOUND',
        error: 'Internal Server Error',
        message: 'No matching JWK found in the set.',
      },
    })
  })

  test('a token without kid while the issuer publishes two keys: every library refuses it', async () => {
    // Given an issuer publishing k2 and k1 (an overlap during a rotation)
    const k2 = await generatePrivateJwk('k2')
    const both = await startWorld([k2, k1], 60_000)
    // When each relying party gets a k1-signed token with no kid header
    const answers = await probeEach(both, (rp) => both.token(rp, k1, {kid: null}))
    // Then no library guesses between two keys of the same alg
    expect(answers['express-jwt+jwks-rsa'].status).toBe(401)
    expect(text(answers['express-jwt+jwks-rsa'])).toContain('UnauthorizedError: secret or public key must be provided')
    expect(answers.jose).toMatchObject({
      status: 401,
      wwwAuthenticate: joseInvalidToken('ERR_JWKS_MULTIPLE_MATCHING_KEYS'),
    })
    expect(answers['jose-at+jwt'].status).toBe(401)
    expect(answers['fastify+get-jwks']).toMatchObject({status: 500, body: {code: 'JWK_NOT_FOUND'}})
    expect(answers['express-oauth2-jwt-bearer']).toMatchObject({
      status: 401,
      wwwAuthenticate: oauth2InvalidToken('multiple matching keys found in the JSON Web Key Set'),
    })
  })

  test('a token whose signature does not verify under k1: 401 everywhere, each in its own words', async () => {
    // Given an attacker key that claims to be k1
    const impostor = await generatePrivateJwk('k1')
    // When each relying party gets a token signed with it
    const answers = await probeEach(world, (rp) => world.token(rp, impostor))
    // Then every library refuses it with 401
    expect(statusOf(answers)).toEqual(Object.fromEntries(relyingPartyLibraries.map((library) => [library, 401])))
    expect(answers['express-jwt+jwks-rsa'].wwwAuthenticate).toBeNull()
    expect(text(answers['express-jwt+jwks-rsa'])).toContain('UnauthorizedError: invalid signature')
    expect(answers.jose.wwwAuthenticate).toBe(joseInvalidToken('ERR_JWS_SIGNATURE_VERIFICATION_FAILED'))
    expect(answers['jose-at+jwt'].wwwAuthenticate).toBe(joseInvalidToken('ERR_JWS_SIGNATURE_VERIFICATION_FAILED'))
    expect(answers['fastify+get-jwks']).toEqual({
      status: 401,
      wwwAuthenticate: null,
      body: {
        statusCode: 401,
        code: 'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
        error: 'Unauthorized',
        message: 'Authorization token is invalid: The token signature is invalid.',
      },
    })
    expect(answers['express-oauth2-jwt-bearer'].wwwAuthenticate).toBe(oauth2InvalidToken('signature verification failed'))
  })

  test('a token with a kid the issuer never published: refused, by get-jwks with a 500', async () => {
    // Given a token signed with k1 but naming kid "k9"
    // When each relying party gets it
    const answers = await probeEach(world, (rp) => world.token(rp, k1, {kid: 'k9'}))
    // Then the kid decides: no relying party tries k1 anyway
    expect(statusOf(answers)).toEqual({
      'express-jwt+jwks-rsa': 401,
      jose: 401,
      'fastify+get-jwks': 500,
      'express-oauth2-jwt-bearer': 401,
      'jose-at+jwt': 401,
    })
    expect(answers.jose.wwwAuthenticate).toBe(joseInvalidToken('ERR_JWKS_NO_MATCHING_KEY'))
    expect(answers['express-oauth2-jwt-bearer'].wwwAuthenticate).toBe(
      oauth2InvalidToken('no applicable key found in the JSON Web Key Set'),
    )
    expect(answers['fastify+get-jwks'].body).toMatchObject({code: 'JWK_NOT_FOUND'})
  })

  test('express-oauth2-jwt-bearer refuses a valid token without the required scope: 403 insufficient_scope', async () => {
    // Given the Auth0 SDK relying party requiring scope read:me
    const rp = world.rps.find((candidate) => candidate.library === 'express-oauth2-jwt-bearer')!
    // When it gets a k1-signed token with no scope claim
    const answer = await probeRelyingParty(rp, await world.token(rp, k1, {scope: undefined}))
    // Then it refuses with 403 and says why in WWW-Authenticate: the key was accepted
    expect(answer.status).toBe(403)
    expect(answer.wwwAuthenticate).toContain('insufficient_scope')
    expect(answer.wwwAuthenticate).toBe(
      `Bearer realm="api", error="insufficient_scope", error_description="Missing 'scope' claim", scope="${SCOPE}"`,
    )
  })

  test('the at+jwt relying party refuses typ JWT with 401, for the type and not the key', async () => {
    // Given the relying party that requires RFC 9068 access tokens
    const rp = world.rps.find((candidate) => candidate.library === 'jose-at+jwt')!
    // When it gets a k1-signed token with the right audience but typ JWT
    const answer = await probeRelyingParty(rp, await world.token(rp, k1, {typ: 'JWT'}))
    // Then jose refuses the claims (ERR_JWT_CLAIM_VALIDATION_FAILED), not the signature
    expect(answer).toEqual({
      status: 401,
      wwwAuthenticate: joseInvalidToken('ERR_JWT_CLAIM_VALIDATION_FAILED'),
      body: {error: 'ERR_JWT_CLAIM_VALIDATION_FAILED'},
    })
  })
})

interface Seen {
  /** Milliseconds since the relying party first fetched the keys (its warm-up request began). */
  at: number
  answer: ProbeAnswer
}

/** Probes every relying party with its token about every 100 ms until `untilMs` after its warm-up. */
async function poll(
  world: World,
  tokens: Map<string, string>,
  warmedAt: Map<string, number>,
  untilMs: number,
): Promise<Record<RelyingPartyLibrary, Seen[]>> {
  const seen = Object.fromEntries(world.rps.map((rp) => [rp.library, [] as Seen[]])) as Record<RelyingPartyLibrary, Seen[]>
  const deadline = Math.max(...warmedAt.values()) + untilMs
  while (performance.now() < deadline) {
    await Promise.all(
      world.rps.map(async (rp) => {
        const answer = await probeRelyingParty(rp, tokens.get(rp.id)!)
        seen[rp.library].push({at: performance.now() - warmedAt.get(rp.id)!, answer})
      }),
    )
    await sleep(100)
  }
  return seen
}

/** Every relying party accepts its k1 token once, which loads k1 into its cache. */
async function warmUp(world: World, k1: JWK): Promise<{tokens: Map<string, string>; warmedAt: Map<string, number>}> {
  const tokens = new Map<string, string>()
  const warmedAt = new Map<string, number>()
  await Promise.all(
    world.rps.map(async (rp) => {
      const token = await world.token(rp, k1)
      tokens.set(rp.id, token)
      warmedAt.set(rp.id, performance.now())
      expect((await probeRelyingParty(rp, token)).status, rp.library).toBe(200)
    }),
  )
  return {tokens, warmedAt}
}

/** The first refusal, after which a relying party must never accept again. */
function firstRefusal(library: RelyingPartyLibrary, seen: Seen[]): Seen {
  const index = seen.findIndex((one) => one.answer.status !== 200)
  expect(index, `${library} never refused`).toBeGreaterThanOrEqual(0)
  expect(
    seen.slice(index).map((one) => one.answer.status),
    `${library} accepted again after refusing`,
  ).not.toContain(200)
  return seen[index]!
}

describe(`real relying parties with a ${MAX_AGE_MS} ms key cache`, () => {
  test('after a rotation removes k1, each goes on accepting the old token until its max-age, then refuses it; get-jwks goes on while it is asked', async () => {
    // Given relying parties that have fetched and cached k1
    const k1 = await generatePrivateJwk('k1')
    const world = await startWorld([k1], MAX_AGE_MS)
    const {tokens, warmedAt} = await warmUp(world, k1)

    // When the issuer restarts with only k2, and each relying party is asked every 100 ms
    await world.issuer.setKeys({keys: [await generatePrivateJwk('k2')]})
    const seen = await poll(world, tokens, warmedAt, 2.6 * MAX_AGE_MS)

    // Then right after the rotation every one still accepts the k1 token (its cache)
    for (const library of relyingPartyLibraries) expect(seen[library][0]!.answer.status, library).toBe(200)
    // and jwks-rsa, jose and the Auth0 SDK refuse it once their max-age has passed, for good
    const refusals = {
      'express-jwt+jwks-rsa': firstRefusal('express-jwt+jwks-rsa', seen['express-jwt+jwks-rsa']),
      jose: firstRefusal('jose', seen.jose),
      'jose-at+jwt': firstRefusal('jose-at+jwt', seen['jose-at+jwt']),
      'express-oauth2-jwt-bearer': firstRefusal('express-oauth2-jwt-bearer', seen['express-oauth2-jwt-bearer']),
    }
    for (const [library, refusal] of Object.entries(refusals)) {
      expect(refusal.at, library).toBeGreaterThanOrEqual(MAX_AGE_MS)
      expect(refusal.at, library).toBeLessThan(MAX_AGE_MS + LATE_MS)
    }
    expect(refusals['express-jwt+jwks-rsa'].answer.status).toBe(401)
    expect(text(refusals['express-jwt+jwks-rsa'].answer)).toContain('secret or public key must be provided')
    expect(refusals.jose.answer.wwwAuthenticate).toBe(joseInvalidToken('ERR_JWKS_NO_MATCHING_KEY'))
    expect(refusals['jose-at+jwt'].answer.wwwAuthenticate).toBe(joseInvalidToken('ERR_JWKS_NO_MATCHING_KEY'))
    expect(refusals['express-oauth2-jwt-bearer'].answer).toMatchObject({
      status: 401,
      wwwAuthenticate: oauth2InvalidToken('no applicable key found in the JSON Web Key Set'),
    })
    // while get-jwks, whose failed refresh (JWK_NOT_FOUND) falls back to its stale copy and renews
    // that copy's ttl, accepts the removed key for as long as it is asked more often than its ttl
    expect(seen['fastify+get-jwks'].map((one) => one.answer.status)).not.toContain(401)
    expect(new Set(seen['fastify+get-jwks'].map((one) => one.answer.status))).toEqual(new Set([200]))
    expect(seen['fastify+get-jwks'].at(-1)!.at).toBeGreaterThan(2 * MAX_AGE_MS)

    // When get-jwks is left alone longer than its ttl
    await sleep(MAX_AGE_MS + 400)
    const rp = world.rps.find((candidate) => candidate.library === 'fastify+get-jwks')!
    // Then its stale copy has expired: the key is not found and fastify answers 500
    expect(await probeRelyingParty(rp, tokens.get(rp.id)!)).toMatchObject({status: 500, body: {code: 'JWK_NOT_FOUND'}})
  })

  test('while the issuer is down, only get-jwks serves its stale key; the others refuse once their max-age has passed', async () => {
    // Given relying parties that have fetched and cached k1
    const k1 = await generatePrivateJwk('k1')
    const world = await startWorld([k1], MAX_AGE_MS)
    const {tokens, warmedAt} = await warmUp(world, k1)

    // When the issuer stops answering (connection refused) and each relying party is asked every 100 ms
    await world.issuer.stop()
    const seen = await poll(world, tokens, warmedAt, 2 * MAX_AGE_MS)

    // Then jwks-rsa (no cacheMaxAgeFallback), jose and the Auth0 SDK keep no stale key: once their
    // max-age has passed the failed fetch is the answer, jwks-rsa's as express's 500
    const refusals = {
      'express-jwt+jwks-rsa': firstRefusal('express-jwt+jwks-rsa', seen['express-jwt+jwks-rsa']),
      jose: firstRefusal('jose', seen.jose),
      'jose-at+jwt': firstRefusal('jose-at+jwt', seen['jose-at+jwt']),
      'express-oauth2-jwt-bearer': firstRefusal('express-oauth2-jwt-bearer', seen['express-oauth2-jwt-bearer']),
    }
    for (const [library, refusal] of Object.entries(refusals)) {
      expect(refusal.at, library).toBeGreaterThanOrEqual(MAX_AGE_MS)
      expect(refusal.at, library).toBeLessThan(MAX_AGE_MS + LATE_MS)
    }
    expect(refusals['express-jwt+jwks-rsa'].answer).toMatchObject({status: 500, wwwAuthenticate: null})
    expect(refusals.jose.answer).toMatchObject({
      status: 401,
      wwwAuthenticate: joseInvalidToken('TypeError: fetch failed'),
    })
    expect(refusals['jose-at+jwt'].answer.status).toBe(401)
    expect(refusals['express-oauth2-jwt-bearer'].answer).toMatchObject({
      status: 401,
      wwwAuthenticate: oauth2InvalidToken('Failed to fetch authorization server metadata'),
    })
    // and get-jwks goes on accepting k1 from its stale copy throughout the outage
    expect(new Set(seen['fastify+get-jwks'].map((one) => one.answer.status))).toEqual(new Set([200]))
    expect(seen['fastify+get-jwks'].at(-1)!.at).toBeGreaterThan(1.5 * MAX_AGE_MS)

    // When get-jwks is left alone longer than its ttl, the issuer still down
    await sleep(MAX_AGE_MS + 400)
    const rp = world.rps.find((candidate) => candidate.library === 'fastify+get-jwks')!
    // Then the stale copy is gone and the fetch error reaches fastify: 500
    expect(await probeRelyingParty(rp, tokens.get(rp.id)!)).toMatchObject({status: 500, wwwAuthenticate: null})
  })
})
