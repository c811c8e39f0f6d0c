import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {discoverIssuer, wellKnownUrls} from '../../../src/adapters/http/discover.js'
import {fetchJson} from '../../../src/adapters/http/fetch-json.js'
import type {InventoryIssuer} from '../../../src/core/inventory/types.js'
import {startJwksServer, type JwksServer} from '../../helpers/jwks-server.js'

let server: JwksServer
const fetcher = (url: string) => fetchJson(url, {retries: 0, timeoutMs: 2000})

beforeEach(async () => {
  server = await startJwksServer()
})
afterEach(async () => {
  await server.close()
})

function issuer(fields: Partial<InventoryIssuer>): InventoryIssuer {
  return {id: 'auth-main', issuer: server.origin, keySource: {type: 'manual'}, ...fields}
}

describe('wellKnownUrls', () => {
  it('appends the OIDC path and inserts the RFC 8414 one before the issuer path (RFC 8414 §3)', () => {
    expect(wellKnownUrls('https://as.example/tenant1')).toEqual({
      oidc: 'https://as.example/tenant1/.well-known/openid-configuration',
      oauth: 'https://as.example/.well-known/oauth-authorization-server/tenant1',
    })
    expect(wellKnownUrls('https://as.example/')).toEqual({
      oidc: 'https://as.example/.well-known/openid-configuration',
      oauth: 'https://as.example/.well-known/oauth-authorization-server',
    })
    expect(wellKnownUrls('urn:example:issuer')).toBeNull()
  })
})

describe('discoverIssuer', () => {
  it('finds the JWKS through the OIDC well-known path', async () => {
    // Given an issuer with a path whose OIDC discovery document names its JWKS
    const iss = `${server.origin}/realms/main`
    server.serve('/realms/main/.well-known/openid-configuration', {issuer: iss, jwks_uri: `${iss}/certs`})
    // When it is discovered
    const result = await discoverIssuer(issuer({issuer: iss}), fetcher)
    // Then the JWKS URL comes from that document, with no finding
    expect(result).toMatchObject({
      discovery: `${iss}/.well-known/openid-configuration`,
      jwksUri: `${iss}/certs`,
      error: null,
      findings: [],
    })
    expect(server.requestsTo('/.well-known/oauth-authorization-server/realms/main')).toHaveLength(0)
  })

  it('falls back to the RFC 8414 path when the OIDC one is missing, and lists only the document used', async () => {
    // Given an issuer that has only OAuth AS metadata, and a relative jwks_uri
    const iss = `${server.origin}/tenant1`
    server.serve('/.well-known/oauth-authorization-server/tenant1', {issuer: iss, jwks_uri: '/tenant1/keys'})
    // When it is discovered
    const result = await discoverIssuer(issuer({issuer: iss}), fetcher)
    // Then the OIDC path was tried first, and the JWKS URL comes from the RFC 8414 document
    expect(server.requests.map((r) => r.path)).toEqual([
      '/tenant1/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server/tenant1',
    ])
    expect(result.jwksUri).toBe(`${server.origin}/tenant1/keys`)
    expect(result.discoveryUrls).toEqual([`${server.origin}/.well-known/oauth-authorization-server/tenant1`])
    expect(result.fetches.map((f) => f.ok)).toEqual([true])
  })

  it('uses the inventory discovery URL when given, and reports an issuer mismatch', async () => {
    // Given an inventory discovery URL whose document states another issuer
    server.serve('/custom/discovery.json', {issuer: 'https://evil.example.com', jwks_uri: server.url('/jwks')})
    // When it is discovered
    const result = await discoverIssuer(issuer({discovery: server.url('/custom/discovery.json')}), fetcher)
    // Then its JWKS is still used, and the mismatch is a finding with both values
    expect(result.jwksUri).toBe(server.url('/jwks'))
    expect(result.findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        kind: 'issuer-mismatch',
        issuer: 'auth-main',
        expected: server.origin,
        actual: 'https://evil.example.com',
      }),
    ])
  })

  it('uses the inventory jwksUri without fetching anything', async () => {
    // Given an issuer with only a jwksUri
    // When it is discovered
    const result = await discoverIssuer(issuer({jwksUri: server.url('/jwks')}), fetcher)
    // Then that URL is used and no request was made
    expect(result).toMatchObject({jwksUri: server.url('/jwks'), discovery: null, fetches: []})
    expect(server.requests).toHaveLength(0)
  })

  it('falls back to the inventory jwksUri when the discovery document fails, and says so', async () => {
    // Given a discovery URL answering 500 and a jwksUri beside it
    server.route('/disc', {status: 500})
    // When it is discovered
    const result = await discoverIssuer(issuer({discovery: server.url('/disc'), jwksUri: server.url('/jwks')}), fetcher)
    // Then the jwksUri is used, the failure is a finding, and the failed fetch is kept for the endpoint list
    expect(result.jwksUri).toBe(server.url('/jwks'))
    expect(result.findings).toEqual([expect.objectContaining({kind: 'discovery-failed', url: server.url('/disc')})])
    expect(result.fetches.map((f) => f.error?.code)).toEqual(['http-500'])
  })

  it('explains both attempts when no discovery document is found', async () => {
    // Given an issuer with neither well-known document, and one whose document has no jwks_uri
    server.serve('/other/.well-known/openid-configuration', {issuer: `${server.origin}/other`})
    // When both are discovered
    const none = await discoverIssuer(issuer({}), fetcher)
    const empty = await discoverIssuer(issuer({issuer: `${server.origin}/other`}), fetcher)
    // Then there is no JWKS URL, and the error names each URL and its problem
    expect(none.jwksUri).toBeNull()
    expect(none.error?.code).toBe('http-404')
    expect(none.error?.message).toContain(`${server.origin}/.well-known/openid-configuration: HTTP 404 Not Found`)
    expect(none.error?.message).toContain(`${server.origin}/.well-known/oauth-authorization-server: HTTP 404 Not Found`)
    expect(none.discoveryUrls).toHaveLength(2)
    expect(empty.error?.message).toContain('the metadata document has no jwks_uri')
  })
})
