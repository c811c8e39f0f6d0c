import {describe, expect, it} from 'vitest'

import {
  buildLocateReport,
  readServedKeys,
  type FetchedEndpoint,
  type IssuerResolution,
} from '../../../src/core/inventory/locate.js'
import type {Inventory} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {makeTestKey} from '../../helpers/jwks-server.js'

const MAIN_JWKS = 'https://auth.example.com/jwks'
const LEGACY_JWKS = 'https://legacy.example.com/jwks'
const BILLING_JWKS = 'https://billing.example.com/jwks'

function inventory(): Inventory {
  return {
    version: 1,
    issuers: [
      {id: 'auth-main', issuer: 'https://auth.example.com', jwksUri: MAIN_JWKS, keySource: {type: 'manual'}},
      {id: 'auth-legacy', issuer: 'https://legacy.example.com', jwksUri: LEGACY_JWKS, keySource: {type: 'manual'}},
    ],
    services: [
      {id: 'billing-api', team: 'payments', contacts: {slack: '#payments'}, trusts: ['auth-main'], jwksUri: BILLING_JWKS},
      {id: 'search', team: 'discovery', contacts: {email: 'search@example.com'}, trusts: ['auth-legacy']},
      {id: 'reports', team: 'data', contacts: {}, trusts: ['auth-legacy', 'auth-ghost']},
    ],
  }
}

function resolved(id: string, jwksUri: string): IssuerResolution {
  return {id, discovery: null, jwksUri, discoveryUrls: [], error: null, findings: []}
}

async function endpoint(url: string, document: unknown, secrets = new SecretRegistry()): Promise<FetchedEndpoint> {
  const {keys, error} = await readServedKeys(document, {secrets})
  return {url, kind: 'jwks', ok: error === null, httpStatus: 200, error, durationMs: 1, attempts: 1, keys}
}

function unreachable(url: string): FetchedEndpoint {
  return {
    url,
    kind: 'jwks',
    ok: false,
    httpStatus: null,
    error: {code: 'connection-refused', message: 'The connection was refused: nothing listens there.'},
    durationMs: 1,
    attempts: 3,
    keys: [],
  }
}

describe('readServedKeys', () => {
  it('thumbprints every readable key and reports a broken one beside them', async () => {
    // Given a JWKS with a good key, an entry with an unknown kty and a good second key
    const [a, b] = await Promise.all([makeTestKey('a'), makeTestKey('b')])
    const document = {keys: [a.publicJwk, {kty: 'XYZ', kid: 'odd'}, b.publicJwk]}
    // When it is read
    const {keys, error} = await readServedKeys(document, {secrets: new SecretRegistry()})
    // Then both good keys keep their thumbprints and the broken one says why
    expect(error).toBeNull()
    expect(keys.map((k) => k.thumbprint)).toEqual([a.thumbprint, null, b.thumbprint])
    expect(keys[1]).toMatchObject({kid: 'odd', kty: 'XYZ', error: expect.stringContaining('unknown key type')})
  })

  it('thumbprints a zero-padded modulus like the minimal one (RFC 7518 §6.3.1.1)', async () => {
    // Given an RSA key served with a leading zero octet in n
    const key = await makeTestKey('rsa', 'rsa')
    const padded = Buffer.concat([Buffer.from([0]), Buffer.from(key.publicJwk.n as string, 'base64url')]).toString('base64url')
    // When the padded form is read
    const {keys} = await readServedKeys({keys: [{...key.publicJwk, n: padded}]}, {secrets: new SecretRegistry()})
    // Then its thumbprint is the canonical one
    expect(keys[0]?.thumbprint).toBe(key.thumbprint)
  })

  it('names served private members and registers their values as secrets', async () => {
    // Given a JWKS that serves a private RSA key
    const key = await makeTestKey('oops', 'rsa')
    const secrets = new SecretRegistry()
    // When it is read
    const {keys} = await readServedKeys({keys: [key.privateJwk]}, {secrets})
    // Then the member names are listed and every value is now redacted
    expect(keys[0]?.privateMembers).toEqual(['d', 'p', 'q', 'dp', 'dq', 'qi'])
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      expect(secrets.redact(`x ${key.privateJwk[member]} x`)).toBe('x [REDACTED] x')
    }
  })

  it('reads a bare JWK served where a JWKS belongs as a set of one, private members included', async () => {
    // Given an endpoint serving one private EC JWK instead of a JWKS
    const key = await makeTestKey('solo')
    const secrets = new SecretRegistry()
    // When it is read
    const {keys, error} = await readServedKeys(key.privateJwk, {secrets})
    // Then the key is identified and its private member named (and registered)
    expect(error).toBeNull()
    expect(keys).toEqual([
      {index: 0, kid: 'solo', kty: 'EC', alg: null, use: null, thumbprint: key.thumbprint, privateMembers: ['d'], error: null},
    ])
    expect(secrets.leaks(key.privateJwk.d as string)).toBe(true)
  })

  it('says when the document is not a JWKS', async () => {
    // Given a discovery document where a JWKS was expected
    // When it is read
    const {keys, error} = await readServedKeys({issuer: 'https://a.example'}, {secrets: new SecretRegistry()})
    // Then there are no keys and the error says what is missing
    expect(keys).toEqual([])
    expect(error).toEqual({code: 'not-jwks', message: 'The document is not a JWKS: it has no "keys" array.'})
  })
})

describe('buildLocateReport', () => {
  it('finds the publisher by thumbprint under a renamed kid, and lists its dependents with reasons', async () => {
    // Given the leaked key (kid "prod-1") served by auth-main as "renamed", and by billing-api itself
    const leaked = await makeTestKey('prod-1')
    const other = await makeTestKey('legacy-1')
    const served = {...leaked.publicJwk, kid: 'renamed'}
    // When the report is built
    const report = buildLocateReport({
      leaked: {thumbprint: leaked.thumbprint, kid: 'prod-1'},
      inventory: inventory(),
      issuers: [resolved('auth-main', MAIN_JWKS), resolved('auth-legacy', LEGACY_JWKS)],
      endpoints: [
        await endpoint(MAIN_JWKS, {keys: [served]}),
        await endpoint(LEGACY_JWKS, {keys: [other.publicJwk]}),
        await endpoint(BILLING_JWKS, {keys: [served]}),
      ],
    })
    // Then auth-main publishes it (under the served kid), auth-legacy does not
    expect(report.issuers).toEqual([
      expect.objectContaining({id: 'auth-main', publishes: true, kid: 'renamed', status: 'publishes', error: null}),
      expect.objectContaining({id: 'auth-legacy', publishes: false, kid: null, status: 'does-not-publish'}),
    ])
    // And billing-api depends on it for two reasons; search (trusting auth-legacy) is not a dependent
    expect(report.services).toEqual([
      {
        id: 'billing-api',
        team: 'payments',
        contacts: {slack: '#payments'},
        reasons: [
          expect.objectContaining({kind: 'trusts-publishing-issuer', issuer: 'auth-main', kid: 'renamed'}),
          expect.objectContaining({kind: 'serves-leaked-key', url: BILLING_JWKS, kid: 'renamed'}),
        ],
      },
    ])
    // And the endpoints say who owns them and whether they serve the key
    expect(report.endpoints.map((e) => [e.url, e.servesLeakedKey, e.owners])).toEqual([
      [MAIN_JWKS, true, [{type: 'issuer', id: 'auth-main'}]],
      [LEGACY_JWKS, false, [{type: 'issuer', id: 'auth-legacy'}]],
      [BILLING_JWKS, true, [{type: 'service', id: 'billing-api'}]],
    ])
  })

  it('reports a kid collision as a finding, not as a match', async () => {
    // Given auth-main serving a different key under the leaked kid
    const leaked = await makeTestKey('prod-1')
    const impostor = await makeTestKey('prod-1')
    // When the report is built
    const report = buildLocateReport({
      leaked: {thumbprint: leaked.thumbprint, kid: 'prod-1'},
      inventory: inventory(),
      issuers: [resolved('auth-main', MAIN_JWKS), resolved('auth-legacy', LEGACY_JWKS)],
      endpoints: [await endpoint(MAIN_JWKS, {keys: [impostor.publicJwk]}), await endpoint(LEGACY_JWKS, {keys: []})],
    })
    // Then nobody publishes the leaked key, nobody depends on it, and the collision is named
    expect(report.issuers.map((i) => i.publishes)).toEqual([false, false])
    expect(report.services).toEqual([])
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        kind: 'kid-collision',
        url: MAIN_JWKS,
        keys: [{kid: 'prod-1', thumbprint: impostor.thumbprint}],
      }),
    )
  })

  it('reports served private members as critical, with names and thumbprints but never values', async () => {
    // Given auth-legacy's JWKS serving a private RSA key, and the registry the run uses
    const leaked = await makeTestKey('prod-1')
    const exposed = await makeTestKey('legacy-1', 'rsa')
    const secrets = new SecretRegistry()
    // When the report is built
    const report = buildLocateReport({
      leaked: {thumbprint: leaked.thumbprint, kid: 'prod-1'},
      inventory: inventory(),
      issuers: [resolved('auth-main', MAIN_JWKS), resolved('auth-legacy', LEGACY_JWKS)],
      endpoints: [await endpoint(MAIN_JWKS, {keys: []}), await endpoint(LEGACY_JWKS, {keys: [exposed.privateJwk]}, secrets)],
    })
    // Then the first finding is the critical one, naming the members and the key
    expect(report.findings[0]).toMatchObject({
      severity: 'critical',
      kind: 'jwks-serves-private-members',
      url: LEGACY_JWKS,
      owners: [{type: 'issuer', id: 'auth-legacy'}],
      keys: [{kid: 'legacy-1', thumbprint: exposed.thumbprint, members: ['d', 'p', 'q', 'dp', 'dq', 'qi']}],
    })
    expect(report.endpoints[1]?.privateMembersServed).toHaveLength(1)
    // And no private value appears anywhere in the report
    const json = JSON.stringify(report)
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) expect(json).not.toContain(exposed.privateJwk[member])
  })

  it('does not call an unreachable issuer clean, and names the services that trust it', async () => {
    // Given auth-legacy's JWKS unreachable and a service trusting an issuer missing from the inventory
    const leaked = await makeTestKey('prod-1')
    // When the report is built
    const report = buildLocateReport({
      leaked: {thumbprint: leaked.thumbprint, kid: null},
      inventory: inventory(),
      issuers: [resolved('auth-main', MAIN_JWKS), resolved('auth-legacy', LEGACY_JWKS)],
      endpoints: [await endpoint(MAIN_JWKS, {keys: [leaked.publicJwk]}), unreachable(LEGACY_JWKS), unreachable(BILLING_JWKS)],
    })
    // Then auth-legacy's status is unknown with the fetch error
    expect(report.issuers[1]).toMatchObject({publishes: null, status: 'unknown', error: {code: 'connection-refused'}})
    // And the findings name who is affected: the trusting services, billing-api's own JWKS, the unknown issuer id
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        kind: 'issuer-unchecked',
        issuer: 'auth-legacy',
        services: ['search', 'reports'],
        url: LEGACY_JWKS,
      }),
    )
    expect(report.findings).toContainEqual(expect.objectContaining({kind: 'service-jwks-unchecked', services: ['billing-api']}))
    expect(report.findings).toContainEqual(expect.objectContaining({kind: 'unknown-issuer', issuer: 'auth-ghost'}))
    // And billing-api still depends on the key through auth-main
    expect(report.services.map((s) => s.id)).toEqual(['billing-api'])
  })

  it('reports an issuer whose JWKS URL was not found as unknown with the discovery error', async () => {
    // Given auth-main's discovery found no JWKS URL
    const leaked = await makeTestKey('prod-1')
    const failed: IssuerResolution = {
      id: 'auth-main',
      discovery: null,
      jwksUri: null,
      discoveryUrls: [],
      error: {code: 'http-404', message: 'No JWKS URL found: …'},
      findings: [],
    }
    // When the report is built
    const report = buildLocateReport({
      leaked: {thumbprint: leaked.thumbprint, kid: null},
      inventory: inventory(),
      issuers: [failed, resolved('auth-legacy', LEGACY_JWKS)],
      endpoints: [await endpoint(LEGACY_JWKS, {keys: []})],
    })
    // Then it is unknown, not "does not publish"
    expect(report.issuers[0]).toMatchObject({publishes: null, status: 'unknown', error: {code: 'http-404'}})
  })
})
