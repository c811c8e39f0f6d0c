// Findings assembled into an inventory draft (issuers by iss / JWKS, services with trusts, cache,
// verifier, owners from the catalog) and folded into a hand-written inventory by --merge.
import {describe, expect, it} from 'vitest'

import {buildInventory, inventoryOf} from '../../../src/core/discover/build-inventory.js'
import {discoverFile, fileKind} from '../../../src/core/discover/discover-file.js'
import {mergeInventory} from '../../../src/core/discover/merge-inventory.js'
import {renderDiscovered} from '../../../src/core/discover/render-discovered.js'
import type {Finding} from '../../../src/core/discover/types.js'
import {checkInventory} from '../../../src/core/inventory/load-inventory.js'
import {ACME, acmeFiles} from '../../helpers/discovery-fixtures.js'

function acmeFindings(): Finding[] {
  return Object.entries(acmeFiles()).flatMap(([path, text]) => {
    const kind = fileKind(path.split('/').at(-1) as string)
    return kind === null ? [] : discoverFile(kind, text, {file: path, service: path.split('/')[0] as string})
  })
}

describe('buildInventory', () => {
  it('groups by iss, joins a JWKS-only finding to the issuer it lies under, and takes owners, key sources and hooks from the catalog', () => {
    // Given every finding of the fixture organisation
    const draft = buildInventory(acmeFindings())
    const inventory = inventoryOf(draft)
    // Then the issuers are the four the configuration names, with the key sources it states or their URLs show
    expect(inventory.issuers).toEqual([
      {
        id: 'acme.eu.auth0.com',
        issuer: ACME.auth0Issuer,
        jwksUri: ACME.auth0Jwks,
        keySource: {type: 'auth0', domain: 'acme.eu.auth0.com'},
      },
      {
        id: 'auth.acme.example',
        issuer: ACME.mainIssuer,
        jwksUri: ACME.mainJwks,
        keySource: {type: 'github-file', repo: 'acme/auth-keys', path: 'jwks.json'},
      },
      {
        id: 'login.acme.example-realms-staff',
        issuer: ACME.staffIssuer,
        keySource: {type: 'keycloak', baseUrl: 'https://login.acme.example', realm: 'staff'},
      },
      {
        id: 'partners.example.net',
        issuer: 'https://partners.example.net',
        jwksUri: ACME.partnerJwks,
        keySource: {type: 'manual'},
      },
    ])
    expect(draft.issuers[3]?.toConfirm).toEqual([expect.stringContaining('keySource') as string])
    // And the NGINX policy (JWKS only) trusts the main issuer, whose JWKS it fetches
    const byId = Object.fromEntries(inventory.services.map((service) => [service.id, service]))
    expect(byId['platform-k8s']?.trusts).toEqual(['auth.acme.example', 'partners.example.net'])
    // And billing-api: trusts from Istio, owner and contacts from its group, probe and cache-bust from annotations
    expect(byId['billing-api']).toEqual({
      id: 'billing-api',
      team: 'payments',
      contacts: {slack: '#payments-oncall', email: 'payments-oncall@acme.example'},
      trusts: ['auth.acme.example'],
      probe: {url: 'https://billing.acme.example/api/me', method: 'GET'},
      verifier: 'istio',
      cacheBust: {url: 'https://billing.acme.example/admin/jwks/reload', method: 'POST'},
      repo: 'acme/billing-api',
    })
    expect(draft.services.find((s) => s.service.id === 'billing-api')?.from).toEqual({
      trusts: [{file: 'platform-k8s/istio/billing-requestauthentication.yaml', line: 12}],
      verifier: [{file: 'platform-k8s/istio/billing-requestauthentication.yaml', line: 12}],
      team: [{file: 'catalog/catalog-info.yaml', line: 42, entity: 'component:default/billing-api'}],
      contacts: [{file: 'catalog/catalog-info.yaml', line: 4, entity: 'group:default/payments'}],
      repo: [{file: 'catalog/catalog-info.yaml', line: 42, entity: 'component:default/billing-api'}],
      probe: [{file: 'catalog/catalog-info.yaml', line: 42, entity: 'component:default/billing-api'}],
      cacheBust: [{file: 'catalog/catalog-info.yaml', line: 42, entity: 'component:default/billing-api'}],
    })
    // And orders-api: jose's stated cacheMaxAge, the catalog's owner; reports-worker trusts the API it consumes
    expect(byId['orders-api']).toMatchObject({
      team: 'commerce',
      trusts: ['auth.acme.example'],
      jwksCacheSeconds: 300,
      verifier: 'jose',
    })
    expect(byId['reports-worker']).toMatchObject({team: 'commerce', trusts: ['auth.acme.example']})
    // And a service no catalog owns says so rather than inventing an owner
    expect(byId['ledger-service']).toMatchObject({team: 'unknown', contacts: {}, verifier: 'spring-security'})
    // And the unresolved values are kept, not guessed
    expect(draft.unresolved.map((finding) => `${finding.at.file}:${finding.at.line}`)).toEqual([
      'ledger-service/src/main/resources/application-local.properties:2',
      'notifications/charts/notifications/values.yaml:4',
    ])
  })

  it('an issuer known only by its JWKS URL gets the origin as a stand-in iss, marked to confirm', () => {
    const draft = buildInventory(
      discoverFile('manifest', acmeFiles()['platform-k8s/ingress/search-policy.yaml'] as string, {
        file: 'p.yaml',
        service: 'search',
      }),
    )
    expect(draft.issuers[0]?.issuer).toMatchObject({
      id: 'auth.acme.example',
      issuer: 'https://auth.acme.example',
      jwksUri: ACME.mainJwks,
    })
    expect(draft.issuers[0]?.toConfirm[0]).toMatch(/^issuer: no configuration states the iss claim/)
  })

  it('renders a valid inventory with provenance comments and the values to resolve', () => {
    const text = renderDiscovered(buildInventory(acmeFindings()))
    const {problems, inventory} = checkInventory(text, 'draft.yaml')
    expect(problems).toEqual([])
    expect(inventory?.services.length).toBeGreaterThan(5)
    expect(text).toContain('trusts: [ auth.acme.example ] # platform-k8s/istio/billing-requestauthentication.yaml:12')
    expect(text).toContain(
      '# from: api:default/auth-main (catalog/catalog-info.yaml:33), platform-k8s/istio/billing-requestauthentication.yaml:12',
    )
    expect(text).toContain(
      '# - notifications/charts/notifications/values.yaml:4: notifications jwksUri = {{ .Values.global.authUrl }}',
    )
  })
})

describe('mergeInventory', () => {
  const handWritten = [
    '# Our inventory: keep this comment.',
    'version: 1',
    'issuers:',
    '  - id: main # the one that matters',
    `    issuer: ${ACME.mainIssuer}`,
    '    keySource: {type: jwks-file, path: ./keys/main.jwks.json}',
    'services:',
    '  - id: billing-api',
    '    team: billing-team   # renamed last year',
    '    contacts: {slack: "#billing"}',
    '    trusts: [main]',
    '    jwksCacheSeconds: 120',
    'notify:',
    '  slack: {channel: "#sec"}',
    '',
  ].join('\n')

  it('keeps hand-written fields and comments, maps discovered ids onto the file’s, adds what is new, and says what changed', () => {
    // Given a hand-written inventory and the organisation's draft
    const draft = buildInventory(acmeFindings())
    // When the draft is merged into it
    const {text, changes} = mergeInventory(handWritten, draft, 'jwkr.inventory.yaml')
    // Then the hand edits and comments are all still there
    expect(text).toContain('# Our inventory: keep this comment.')
    expect(text).toContain('  - id: main # the one that matters')
    expect(text).toContain('    team: billing-team # renamed last year')
    expect(text).toContain('keySource: { type: jwks-file, path: ./keys/main.jwks.json }')
    expect(text).toContain('notify:')
    const {inventory, problems} = checkInventory(text, 'jwkr.inventory.yaml')
    expect(problems).toEqual([])
    const billing = inventory?.services.find((service) => service.id === 'billing-api')
    // And discovered values fill only what the file lacks; differing ones are kept and reported
    expect(billing).toMatchObject({
      team: 'billing-team',
      contacts: {slack: '#billing', email: 'payments-oncall@acme.example'},
      trusts: ['main'],
      jwksCacheSeconds: 120,
      verifier: 'istio',
    })
    expect(inventory?.issuers.find((issuer) => issuer.id === 'main')).toMatchObject({
      jwksUri: ACME.mainJwks,
      keySource: {type: 'jwks-file'},
    })
    expect(changes).toContainEqual({
      action: 'updated',
      path: 'issuers.main.jwksUri',
      value: ACME.mainJwks,
      from: expect.any(Array) as string[],
    })
    expect(changes).toContainEqual(
      expect.objectContaining({action: 'kept', path: 'services.billing-api.team', value: 'payments', current: 'billing-team'}),
    )
    expect(changes).toContainEqual(expect.objectContaining({action: 'kept', path: 'issuers.main.keySource'}))
    expect(changes).toContainEqual(expect.objectContaining({action: 'added', path: 'services.orders-api'}))
    // And new services trust the file's id for the same issuer
    expect(inventory?.services.find((service) => service.id === 'orders-api')?.trusts).toEqual(['main'])
  })

  it('a second merge of the same draft changes nothing', () => {
    const draft = buildInventory(acmeFindings())
    const once = mergeInventory(handWritten, draft, 'f.yaml').text
    const twice = mergeInventory(once, draft, 'f.yaml')
    expect(twice.changes.filter((change) => change.action !== 'kept')).toEqual([])
    expect(twice.text).toBe(once)
  })
})
