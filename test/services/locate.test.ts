import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {locateKey, type LocateProgress} from '../../src/services/locate.js'
import type {Inventory, InventoryIssuer, InventoryService} from '../../src/core/inventory/types.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {closedPortUrl, makeTestKey, startJwksServer, type JwksServer, type TestKey} from '../helpers/jwks-server.js'

let server: JwksServer
let leaked: TestKey
const fast = {retryDelayMs: 1, timeoutMs: 2000}

beforeEach(async () => {
  server = await startJwksServer()
  leaked = await makeTestKey('prod-1')
})
afterEach(async () => {
  await server.close()
})

function issuer(id: string, fields: Partial<InventoryIssuer> = {}): InventoryIssuer {
  return {id, issuer: `${server.origin}/${id}`, keySource: {type: 'manual'}, ...fields}
}

function service(id: string, trusts: string[], fields: Partial<InventoryService> = {}): InventoryService {
  return {id, team: `team-${id}`, contacts: {slack: `#${id}-oncall`}, trusts, ...fields}
}

function inventoryOf(issuers: InventoryIssuer[], services: InventoryService[] = []): Inventory {
  return {version: 1, issuers, services}
}

describe('locateKey', () => {
  it('finds who publishes the key and who depends on it, across discovery, redirects and kid renames', async () => {
    // Given auth-main (found by OIDC discovery) serving the leaked key under a renamed kid,
    // auth-other serving an unrelated key that reuses the leaked kid,
    // and billing-api serving the leaked key itself behind a redirect
    const impostor = await makeTestKey('prod-1')
    server.serve('/auth-main/.well-known/openid-configuration', {
      issuer: `${server.origin}/auth-main`,
      jwks_uri: server.url('/auth-main/certs'),
      id_token_signing_alg_values_supported: ['PS256', 'none', 42, 'RS256'],
    })
    server.serve('/auth-main/certs', {keys: [{...leaked.publicJwk, kid: 'renamed-2024'}]})
    server.serve('/other/jwks', {keys: [impostor.publicJwk]})
    server.redirect('/billing/jwks', '/billing/v2/jwks', 301)
    server.serve('/billing/v2/jwks', {keys: [leaked.publicJwk]})
    const inventory = inventoryOf(
      [issuer('auth-main'), issuer('auth-other', {jwksUri: server.url('/other/jwks')})],
      [
        service('billing-api', ['auth-main'], {jwksUri: server.url('/billing/jwks')}),
        service('search', ['auth-other']),
        service('reports', ['auth-main', 'auth-other']),
      ],
    )
    // When the key is located
    const result = await locateKey(
      inventory,
      {thumbprint: leaked.thumbprint, kid: 'prod-1'},
      {...fast, secrets: new SecretRegistry()},
    )
    // Then auth-main publishes it (matched by thumbprint, reported under the served kid) and auth-other does not
    expect(Object.keys(result)).toEqual(['thumbprint', 'kid', 'issuers', 'services', 'endpoints', 'findings'])
    expect(result.issuers).toEqual([
      {
        id: 'auth-main',
        issuer: `${server.origin}/auth-main`,
        publishes: true,
        kid: 'renamed-2024',
        alg: leaked.publicJwk.alg ?? null,
        use: leaked.publicJwk.use ?? null,
        jwksUri: server.url('/auth-main/certs'),
        discovery: server.url('/auth-main/.well-known/openid-configuration'),
        status: 'publishes',
        error: null,
      },
      expect.objectContaining({id: 'auth-other', publishes: false, status: 'does-not-publish'}),
    ])
    // And the dependents are billing-api (two reasons) and reports, with their owners; search is not one
    expect(result.services.map((s) => [s.id, s.team, s.contacts.slack, s.reasons.map((r) => r.kind)])).toEqual([
      ['billing-api', 'team-billing-api', '#billing-api-oncall', ['trusts-publishing-issuer', 'serves-leaked-key']],
      ['reports', 'team-reports', '#reports-oncall', ['trusts-publishing-issuer']],
    ])
    // And the reused kid is a collision finding, not a match
    expect(result.findings).toEqual([
      expect.objectContaining({
        kind: 'kid-collision',
        url: server.url('/other/jwks'),
        keys: [{kid: 'prod-1', thumbprint: impostor.thumbprint}],
      }),
    ])
    // And every endpoint is listed once, with what it served
    expect(result.endpoints.map((e) => [e.kind, e.url, e.ok, e.servesLeakedKey, e.keys.length])).toEqual([
      ['discovery', server.url('/auth-main/.well-known/openid-configuration'), true, false, 0],
      ['jwks', server.url('/auth-main/certs'), true, true, 1],
      ['jwks', server.url('/other/jwks'), true, false, 1],
      ['jwks', server.url('/billing/jwks'), true, true, 1],
    ])
    // And the discovery endpoint carries the algorithms the issuer signs with (canaries use one when nothing else says)
    expect(result.endpoints[0]?.signingAlgs).toEqual(['PS256', 'RS256'])
  })

  it('lists every broken endpoint with its error and still answers for the others', async () => {
    // Given issuers that are down, slower than the timeout, serving garbage, serving too much,
    // and one answering 503 twice before its JWKS
    const down = await closedPortUrl('/jwks')
    server.slow('/slow/jwks', 3000, {keys: [leaked.publicJwk]})
    server.garbage('/garbage/jwks')
    server.oversize('/huge/jwks', 64 * 1024)
    server.failThenServe('/flaky/jwks', 2, {keys: [leaked.publicJwk]})
    const inventory = inventoryOf(
      [
        issuer('down', {jwksUri: down}),
        issuer('slow', {jwksUri: server.url('/slow/jwks')}),
        issuer('garbage', {jwksUri: server.url('/garbage/jwks')}),
        issuer('huge', {jwksUri: server.url('/huge/jwks')}),
        issuer('flaky', {jwksUri: server.url('/flaky/jwks')}),
      ],
      [service('api', ['down', 'flaky'])],
    )
    // When the key is located with a 300 ms timeout, a 16 KiB cap and two retries
    const result = await locateKey(
      inventory,
      {thumbprint: leaked.thumbprint, kid: null},
      {secrets: new SecretRegistry(), timeoutMs: 300, maxBytes: 16 * 1024, retries: 2, retryDelayMs: 1},
    )
    // Then each failure is named in plain words, and only the flaky issuer (after three requests) is known
    expect(result.endpoints.map((e) => [e.url, e.ok, e.error?.code ?? null])).toEqual([
      [down, false, 'connection-refused'],
      [server.url('/slow/jwks'), false, 'timeout'],
      [server.url('/garbage/jwks'), false, 'not-json'],
      [server.url('/huge/jwks'), false, 'too-large'],
      [server.url('/flaky/jwks'), true, null],
    ])
    expect(server.requestsTo('/flaky/jwks')).toHaveLength(3)
    expect(result.endpoints[4]?.attempts).toBe(3)
    expect(result.issuers.map((i) => [i.id, i.status])).toEqual([
      ['down', 'unknown'],
      ['slow', 'unknown'],
      ['garbage', 'unknown'],
      ['huge', 'unknown'],
      ['flaky', 'publishes'],
    ])
    expect(result.services).toEqual([expect.objectContaining({id: 'api', reasons: [expect.objectContaining({issuer: 'flaky'})]})])
    expect(result.findings.filter((f) => f.kind === 'issuer-unchecked').map((f) => f.issuer)).toEqual([
      'down',
      'slow',
      'garbage',
      'huge',
    ])
  })

  it('reports a JWKS that serves private members as critical, and no private value reaches the result', async () => {
    // Given an issuer whose JWKS serves its private RSA key (the classic mkjwk paste)
    const exposed = await makeTestKey('sig-2025', 'rsa')
    server.serve('/leaky/jwks', {keys: [exposed.privateJwk, leaked.publicJwk]})
    const secrets = new SecretRegistry()
    // When the key is located
    const result = await locateKey(
      inventoryOf([issuer('leaky', {jwksUri: server.url('/leaky/jwks')})]),
      {thumbprint: leaked.thumbprint, kid: 'prod-1'},
      {...fast, secrets},
    )
    // Then the critical finding names the key and its members
    expect(result.findings[0]).toMatchObject({
      severity: 'critical',
      kind: 'jwks-serves-private-members',
      keys: [{kid: 'sig-2025', thumbprint: exposed.thumbprint, members: ['d', 'p', 'q', 'dp', 'dq', 'qi']}],
    })
    expect(result.endpoints[0]?.privateMembersServed).toEqual([
      {kid: 'sig-2025', thumbprint: exposed.thumbprint, members: ['d', 'p', 'q', 'dp', 'dq', 'qi']},
    ])
    // And the private values are nowhere in the result, and are registered for every later output
    const json = JSON.stringify(result)
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      const value = exposed.privateJwk[member] as string
      expect(json).not.toContain(value)
      expect(secrets.leaks(value)).toBe(true)
    }
  })

  it('reports an issuer mismatch found through RFC 8414 discovery', async () => {
    // Given an issuer with only OAuth AS metadata, which states another issuer
    server.serve('/.well-known/oauth-authorization-server/tenant1', {
      issuer: 'https://someone-else.example',
      jwks_uri: server.url('/tenant1/jwks'),
    })
    server.serve('/tenant1/jwks', {keys: [leaked.publicJwk]})
    // When the key is located
    const result = await locateKey(
      inventoryOf([issuer('tenant1')]),
      {thumbprint: leaked.thumbprint, kid: null},
      {...fast, secrets: new SecretRegistry()},
    )
    // Then the issuer publishes the key, the mismatch is a finding, and the failed OIDC attempt is not an endpoint
    expect(result.issuers[0]).toMatchObject({
      publishes: true,
      discovery: server.url('/.well-known/oauth-authorization-server/tenant1'),
    })
    expect(result.findings).toEqual([
      expect.objectContaining({
        kind: 'issuer-mismatch',
        expected: `${server.origin}/tenant1`,
        actual: 'https://someone-else.example',
      }),
    ])
    expect(result.endpoints.map((e) => e.url)).toEqual([
      server.url('/.well-known/oauth-authorization-server/tenant1'),
      server.url('/tenant1/jwks'),
    ])
  })

  it('never has more requests in flight than the concurrency bound, and fetches a shared URL once', async () => {
    // Given 40 issuers whose JWKS each answer after 40 ms, and two services sharing one JWKS URL
    const issuers = Array.from({length: 40}, (_, i) => {
      server.slow(`/jwks/${i}`, 40, {keys: [leaked.publicJwk]})
      return issuer(`iss-${i}`, {jwksUri: server.url(`/jwks/${i}`)})
    })
    server.serve('/shared/jwks', {keys: []})
    const shared = {jwksUri: server.url('/shared/jwks')}
    const progress: LocateProgress[] = []
    // When the key is located with at most 4 requests at once
    const result = await locateKey(
      inventoryOf(issuers, [service('a', [], shared), service('b', [], shared)]),
      {thumbprint: leaked.thumbprint, kid: null},
      {...fast, secrets: new SecretRegistry(), concurrency: 4, onProgress: (p) => progress.push(p)},
    )
    // Then the server saw at most (and, with 41 slow requests, exactly) 4 at a time
    expect(server.maxInFlight).toBe(4)
    expect(server.requestsTo('/shared/jwks')).toHaveLength(1)
    expect(result.issuers.every((i) => i.publishes)).toBe(true)
    // And progress counted every fetch once
    expect(progress).toHaveLength(41)
    expect(progress.at(-1)).toMatchObject({done: 41, total: 41})
  })

  it('throws ERR_ABORTED when the caller cancels, and ERR_USAGE for a bad thumbprint or concurrency', async () => {
    // Given a slow JWKS and a caller that gives up
    server.slow('/slow', 2000)
    const inventory = inventoryOf([issuer('slow', {jwksUri: server.url('/slow')})])
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const secrets = new SecretRegistry()
    // When the key is located / called with bad arguments
    const aborted = locateKey(
      inventory,
      {thumbprint: leaked.thumbprint, kid: null},
      {...fast, secrets, signal: controller.signal},
    )
    // Then each is a JwkrError with its code
    await expect(aborted).rejects.toMatchObject({code: 'ERR_ABORTED'})
    await expect(locateKey(inventory, {thumbprint: 'prod-1', kid: null}, {secrets})).rejects.toMatchObject({code: 'ERR_USAGE'})
    await expect(
      locateKey(inventory, {thumbprint: leaked.thumbprint, kid: null}, {secrets, concurrency: 0}),
    ).rejects.toMatchObject({
      code: 'ERR_USAGE',
    })
  })
})
