// Each discovery source read field by field, with the line it came from, from the fixture
// organisation's files (test/helpers/discovery-fixtures.ts, written at test time).
import {describe, expect, it} from 'vitest'

import {discoverFile, fileKind, holdsHint} from '../../../src/core/discover/discover-file.js'
import type {Finding} from '../../../src/core/discover/types.js'
import {ACME, acmeFiles} from '../../helpers/discovery-fixtures.js'

function read(path: string, service = 'project'): Finding[] {
  const text = acmeFiles()[path] as string
  const kind = fileKind(path.split('/').at(-1) as string)
  if (kind === null) throw new Error(`${path} is not read by discovery`)
  return discoverFile(kind, text, {file: path, service})
}

describe('discovery parsers', () => {
  it('Istio RequestAuthentication: issuer, jwksUri, audiences and the workload its selector picks; the istio profile', () => {
    // Given the billing RequestAuthentication (plus an unrelated Service document)
    // When it is read
    const findings = read('platform-k8s/istio/billing-requestauthentication.yaml')
    // Then one trust, for the selected workload, at the jwksUri line
    expect(findings).toEqual([
      {
        kind: 'trust',
        source: 'istio',
        service: 'billing-api',
        verifier: 'istio',
        audiences: ['billing'],
        issuer: ACME.mainIssuer,
        jwksUri: ACME.mainJwks,
        at: {file: 'platform-k8s/istio/billing-requestauthentication.yaml', line: 12},
      },
    ])
  })

  it('Envoy jwt_authn: issuer, remote_jwks uri and cache_duration in seconds; the envoy profile', () => {
    expect(read('platform-k8s/edge-gateway/envoy.yaml', 'edge-gateway')).toEqual([
      {
        kind: 'trust',
        source: 'envoy',
        service: 'edge-gateway',
        verifier: 'envoy',
        cacheSeconds: 300,
        issuer: 'https://partners.example.net',
        jwksUri: ACME.partnerJwks,
        at: {file: 'platform-k8s/edge-gateway/envoy.yaml', line: 17},
      },
    ])
  })

  it('NGINX Ingress Policy: jwksURI and keyCache', () => {
    expect(read('platform-k8s/ingress/search-policy.yaml', 'ingress')).toEqual([
      {
        kind: 'trust',
        source: 'nginx-ingress',
        service: 'ingress',
        cacheSeconds: 3600,
        jwksUri: ACME.mainJwks,
        at: {file: 'platform-k8s/ingress/search-policy.yaml', line: 8},
      },
    ])
  })

  it('nginx auth_jwt_key_request: the JWKS of the location it names, and auth_jwt_key_cache', () => {
    const conf = [
      'server {',
      '  location /api/ {',
      '    auth_jwt "api";',
      '    auth_jwt_key_request /_jwks;',
      '    auth_jwt_key_cache 30m;',
      '  }',
      '  location = /_jwks {',
      '    internal;',
      `    proxy_pass ${ACME.mainJwks};`,
      '  }',
      '}',
    ].join('\n')
    expect(discoverFile('nginx', conf, {file: 'gw/nginx.conf', service: 'gw'})).toEqual([
      {
        kind: 'trust',
        source: 'nginx',
        service: 'gw',
        cacheSeconds: 1800,
        jwksUri: ACME.mainJwks,
        at: {file: 'gw/nginx.conf', line: 9},
      },
    ])
  })

  it('Traefik middleware and Kong plugin: the JWKS URL and issuer their plugin config names', () => {
    const traefik = [
      'apiVersion: traefik.io/v1alpha1',
      'kind: Middleware',
      'metadata: {name: jwt}',
      'spec:',
      '  plugin:',
      '    jwt:',
      `      JwksUrl: ${ACME.mainJwks}`,
      `      issuer: ${ACME.mainIssuer}`,
    ].join('\n')
    const kong = [
      'apiVersion: configuration.konghq.com/v1',
      'kind: KongPlugin',
      'metadata: {name: oidc}',
      'plugin: openid-connect',
      'config:',
      `  issuer: ${ACME.auth0Issuer}`,
    ].join('\n')
    expect(discoverFile('manifest', traefik, {file: 't.yaml', service: 'edge'})).toEqual([
      {
        kind: 'trust',
        source: 'traefik',
        service: 'edge',
        jwksUri: ACME.mainJwks,
        issuer: ACME.mainIssuer,
        at: {file: 't.yaml', line: 7},
      },
    ])
    expect(discoverFile('manifest', kong, {file: 'k.yaml', service: 'kong'})).toEqual([
      {kind: 'trust', source: 'kong', service: 'kong', issuer: ACME.auth0Issuer, at: {file: 'k.yaml', line: 6}},
    ])
  })

  it('Spring Boot: issuer-uri from application.yml under spring.application.name; a ${} placeholder is unresolved', () => {
    expect(read('ledger-service/src/main/resources/application.yml')).toEqual([
      {
        kind: 'trust',
        source: 'spring-boot',
        service: 'ledger-service',
        verifier: 'spring-security',
        issuer: ACME.staffIssuer,
        at: {file: 'ledger-service/src/main/resources/application.yml', line: 8},
      },
    ])
    expect(read('ledger-service/src/main/resources/application-local.properties', 'ledger-service')).toEqual([
      {
        kind: 'unresolved',
        source: 'spring-boot',
        service: 'ledger-service',
        field: 'jwksUri',
        value: '${LOCAL_JWKS:http://localhost:8180/jwks}',
        reason: expect.stringContaining('reference') as string,
        at: {file: 'ledger-service/src/main/resources/application-local.properties', line: 2},
      },
    ])
  })

  it('ASP.NET appsettings.json (with comments): Authority as the issuer, Audience', () => {
    expect(read('invoices-api/appsettings.json', 'invoices-api')).toEqual([
      {
        kind: 'trust',
        source: 'aspnet',
        service: 'invoices-api',
        verifier: 'microsoft-identitymodel',
        audiences: ['https://invoices.acme.example'],
        issuer: ACME.auth0Issuer,
        at: {file: 'invoices-api/appsettings.json', line: 6},
      },
    ])
  })

  it('Node with jose: createRemoteJWKSet(new URL(…)), its cacheMaxAge and the issuer jwtVerify checks', () => {
    expect(read('orders-api/src/auth.ts', 'orders-api')).toEqual([
      {
        kind: 'trust',
        source: 'node',
        service: 'orders-api',
        verifier: 'jose',
        cacheSeconds: 300,
        jwksUri: ACME.mainJwks,
        issuer: ACME.mainIssuer,
        at: {file: 'orders-api/src/auth.ts', line: 3},
      },
    ])
  })

  it('Node with jwks-rsa and expressjwt: jwksUri and issuer; an expression is unresolved, never guessed', () => {
    expect(read('profile-api/src/middleware.js', 'profile-api')).toEqual([
      {
        kind: 'trust',
        source: 'node',
        service: 'profile-api',
        verifier: 'jwks-rsa',
        jwksUri: ACME.auth0Jwks,
        issuer: ACME.auth0Issuer,
        at: {file: 'profile-api/src/middleware.js', line: 6},
      },
    ])
    const code = 'const client = jwksClient({jwksUri: process.env.JWKS_URI, cacheMaxAge: 60_000})\n'
    expect(discoverFile('node', code, {file: 'a.js', service: 'a'})).toEqual([
      {
        kind: 'unresolved',
        source: 'node',
        service: 'a',
        field: 'jwksUri',
        value: 'process.env.JWKS_URI',
        reason: expect.stringContaining('expression') as string,
        at: {file: 'a.js', line: 1},
      },
    ])
  })

  it('.env: AUTH0_DOMAIN gives the Auth0 issuer and key source', () => {
    expect(read('profile-api/.env', 'profile-api')).toEqual([
      {
        kind: 'trust',
        source: 'env',
        service: 'profile-api',
        keySource: {type: 'auth0', domain: 'acme.eu.auth0.com'},
        issuer: ACME.auth0Issuer,
        at: {file: 'profile-api/.env', line: 2},
      },
    ])
  })

  it('Helm values: ISSUER is read; a JWKS_URI holding a template is a finding to resolve', () => {
    expect(read('notifications/charts/notifications/values.yaml', 'notifications')).toEqual([
      {
        kind: 'trust',
        source: 'helm',
        service: 'notifications',
        issuer: ACME.mainIssuer,
        at: {file: 'notifications/charts/notifications/values.yaml', line: 3},
      },
      {
        kind: 'unresolved',
        source: 'helm',
        service: 'notifications',
        field: 'jwksUri',
        value: '{{ .Values.global.authUrl }}/.well-known/jwks.json',
        reason: expect.stringContaining('template') as string,
        at: {file: 'notifications/charts/notifications/values.yaml', line: 4},
      },
    ])
  })

  it('Kubernetes container env: values read, a Secret reference unresolved, the workload from its labels', () => {
    const deployment = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: cart, labels: {app: cart-api}}',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: cart',
      '          image: acme/cart:1',
      '          env:',
      '            - name: JWT_ISSUER',
      `              value: ${ACME.mainIssuer}`,
      '            - name: JWKS_URI',
      '              valueFrom: {secretKeyRef: {name: auth, key: jwks}}',
    ].join('\n')
    expect(discoverFile('manifest', deployment, {file: 'cart.yaml', service: 'k8s'})).toEqual([
      {kind: 'trust', source: 'kubernetes-env', service: 'cart-api', issuer: ACME.mainIssuer, at: {file: 'cart.yaml', line: 12}},
      {
        kind: 'unresolved',
        source: 'kubernetes-env',
        service: 'cart-api',
        field: 'jwksUri',
        value: 'JWKS_URI from Secret auth/jwks',
        reason: expect.stringContaining('Secret') as string,
        at: {file: 'cart.yaml', line: 13},
      },
    ])
  })

  it('Backstage catalog: groups with e-mail and Slack, users, an issuer API with its key source, components with owner, repo and hooks', () => {
    const entities = read('catalog/catalog-info.yaml')
    expect(entities.map((entity) => (entity.kind === 'entity' ? entity.ref : entity.kind))).toEqual([
      'group:default/payments',
      'group:default/commerce',
      'user:default/alice',
      'api:default/auth-main',
      'component:default/billing-api',
      'component:default/orders-api',
      'component:default/reports-worker',
    ])
    expect(entities[0]).toMatchObject({
      slack: '#payments-oncall',
      email: 'payments-oncall@acme.example',
      at: {file: 'catalog/catalog-info.yaml', line: 4, entity: 'group:default/payments'},
    })
    expect(entities[2]).toMatchObject({email: 'alice@acme.example', memberOf: ['group:default/payments']})
    expect(entities[3]).toMatchObject({
      jwkr: {
        'jwkr.dev/issuer': ACME.mainIssuer,
        'jwkr.dev/key-source': '{type: github-file, repo: acme/auth-keys, path: jwks.json}',
      },
    })
    expect(entities[4]).toMatchObject({
      owner: 'group:default/payments',
      lifecycle: 'production',
      repo: 'acme/billing-api',
      jwkr: {
        'jwkr.dev/probe': 'https://billing.acme.example/api/me',
        'jwkr.dev/cache-bust': 'POST https://billing.acme.example/admin/jwks/reload',
      },
      at: {line: 42},
    })
    expect(entities[5]).toMatchObject({owner: 'group:default/commerce', consumesApis: ['api:default/auth-main']})
  })

  it('reads files by name only: catalogs, Spring, appsettings, .env, values, manifests, nginx, Node sources; not tests or typings', () => {
    expect(
      [
        'catalog-info.yaml',
        'application-prod.yml',
        'bootstrap.properties',
        'appsettings.Development.json',
        '.env.production',
        'values-prod.yaml',
        'ra.yml',
        'nginx.conf',
        'server.mjs',
      ].map(fileKind),
    ).toEqual([
      'catalog',
      'spring-yaml',
      'spring-properties',
      'appsettings',
      'dotenv',
      'helm-values',
      'manifest',
      'nginx',
      'node',
    ])
    expect(['README.md', 'types.d.ts', 'auth.test.ts', '.env.example', 'logo.png'].map(fileKind)).toEqual([
      null,
      null,
      null,
      null,
      null,
    ])
  })
  it('parses only files that hold a word their parser needs: prose about an issuer or a jwksCache is not a manifest', () => {
    // Given YAML and code that speak of issuers and JWKS caches in lower case, as prose and comments do
    const prose = 'notes:\n  - the issuer rotates its jwks; see jwksCache and jwks_uri docs\n  - providers of tokens\n'
    const code = 'const jwksCache = new Map() // issuer -> jwks\n'
    // Then none of them is parsed (env names are upper case only, manifests are Istio, NGINX, Traefik, Kong, Envoy or Backstage documents)
    expect(holdsHint('manifest', prose.replace('providers', 'suppliers'))).toBe(false)
    expect(holdsHint('helm-values', prose)).toBe(false)
    expect(holdsHint('node', code)).toBe(false)
    // And every document a parser reads passes its kind's check
    expect(holdsHint('manifest', 'kind: RequestAuthentication\n')).toBe(true)
    expect(holdsHint('manifest', 'env:\n  - name: AUTH_JWKS_URI\n')).toBe(true)
    expect(holdsHint('manifest', '_format_version: "3.0"\n')).toBe(true)
    expect(holdsHint('node', "jwksRsa({jwksUri: 'https://a/jwks'})")).toBe(true)
  })
})
