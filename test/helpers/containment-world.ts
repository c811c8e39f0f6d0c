// The world the containment tests act on: a leaked RSA key in a file, an inventory with a real
// jwks-file issuer (its JWKS also served by a local HTTP server for locate), an Auth0 tenant and a
// Keycloak realm behind msw doubles whose current key is the leaked one, and ways to see everything
// that was asked of them (request logs) and everything on disk (a snapshot of the folder).
import {mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import {certificateFor, makeKey, type TestKey} from '../adapters/idp/helpers/keys.js'
import {privateNeedles} from '../core/key/samples.js'
import {AUTH0_SCOPES, auth0Handlers, createAuth0State, newAuth0Key, type Auth0MockState} from '../mocks/auth0.js'
import {
  createKeycloakState,
  KEYCLOAK_ADMIN_ROLES,
  keycloakComponent,
  keycloakHandlers,
  type KeycloakMockState,
} from '../mocks/keycloak.js'
import {server} from './msw.js'
import {startJwksServer, type JwksServer} from './jwks-server.js'

export const AUTH0_TOKEN = 'auth0-mgmt-token-5d1e9a7c3b'
export const KEYCLOAK_TOKEN = 'kc-admin-token-0f4b2d6e8a'

export interface ContainmentWorld {
  dir: string
  leaked: TestKey
  other: TestKey
  /** The leaked key as found: its private JWK with kid leaked-1. */
  keyFile: string
  jwksFile: string
  /** The JWKS file as it was before any test changed it. */
  jwksText: string
  inventory: string
  auth0: Auth0MockState
  keycloak: KeycloakMockState
  jwks: JwksServer
  /** The env the commands need (credentials for the doubles). */
  env: Record<string, string>
  /** The leaked key's private values in every encoding: they must never show. */
  needles: string[]
  /** Every request the doubles and the local server saw, as "METHOD url". */
  requests(): string[]
  /** Every file under `dir` with its mode and content. */
  snapshot(): Promise<Record<string, string>>
  close(): Promise<void>
}

export async function createContainmentWorld(): Promise<ContainmentWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'jwkr-contain-'))
  const [leaked, other] = await Promise.all([makeKey('RSA', 'leaked-1'), makeKey('EC', 'other-1')])
  const keyFile = join(dir, 'leaked.json')
  await writeFile(keyFile, JSON.stringify({...leaked.privateJwk, kid: 'leaked-1', alg: 'RS256', use: 'sig'}))
  await mkdir(join(dir, 'keys'))
  const jwksFile = join(dir, 'keys', 'auth-main.jwks.json')
  const served = {
    keys: [
      {kid: 'other-1', use: 'sig', alg: 'ES256', ...other.publicJwk},
      {kid: 'leaked-1', use: 'sig', alg: 'RS256', ...leaked.publicJwk},
    ],
  }
  const jwksText = `${JSON.stringify(served, null, 2)}\n`
  await writeFile(jwksFile, jwksText)

  const jwks = await startJwksServer()
  jwks.serve('/auth-main/jwks', served)
  jwks.serve('/auth-zero/jwks', {keys: [{kid: 'leaked-1', ...leaked.publicJwk}]})
  jwks.serve('/sso/jwks', {keys: [{kid: 'other-1', ...other.publicJwk}]})

  const auth0 = createAuth0State({tokens: {[AUTH0_TOKEN]: AUTH0_SCOPES}})
  auth0.keys.push(
    {
      kid: 'leaked-1',
      cert: certificateFor(leaked, 'tenant.eu.auth0.com'),
      current: true,
      next: false,
      previous: false,
      revoked: false,
    },
    await newAuth0Key({next: true}),
  )
  const keycloak = createKeycloakState({tokens: {[KEYCLOAK_TOKEN]: KEYCLOAK_ADMIN_ROLES}})
  keycloak.components.push(keycloakComponent(keycloak, leaked, {providerId: 'rsa', priority: 100}))
  server.use(...auth0Handlers(auth0), ...keycloakHandlers(keycloak))

  const inventory = join(dir, 'jwkr.inventory.yaml')
  await writeFile(
    inventory,
    `version: 1
issuers:
  - id: auth-main
    issuer: https://auth.example.com
    jwksUri: ${jwks.url('/auth-main/jwks')}
    keySource: {type: jwks-file, path: ./keys/auth-main.jwks.json}
  - id: auth-zero
    issuer: https://tenant.eu.auth0.com/
    jwksUri: ${jwks.url('/auth-zero/jwks')}
    keySource: {type: auth0, domain: tenant.eu.auth0.com}
  - id: sso
    issuer: https://sso.example.com/realms/acme
    jwksUri: ${jwks.url('/sso/jwks')}
    keySource: {type: keycloak, baseUrl: https://sso.example.com, realm: acme}
services:
  - {id: billing-api, team: payments, contacts: {slack: "#payments"}, trusts: [auth-main, auth-zero, sso]}
`,
  )

  return {
    dir,
    leaked,
    other,
    keyFile,
    jwksFile,
    jwksText,
    inventory,
    auth0,
    keycloak,
    jwks,
    env: {AUTH0_TOKEN, KEYCLOAK_TOKEN},
    needles: privateNeedles(leaked.privateJwk),
    requests: () => [
      ...auth0.requests.map((item) => `${item.method} ${item.url}`),
      ...keycloak.requests.map((item) => `${item.method} ${item.url}`),
      ...jwks.requests.map((item) => `${item.method} ${jwks.url(item.path)}`),
    ],
    snapshot: () => snapshot(dir),
    close: async () => {
      await jwks.close()
      await rm(dir, {recursive: true, force: true})
    },
  }
}

/** Every file and folder under `root`: its mode and (for files) content. */
export async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, {withFileTypes: true})) {
      const path = join(folder, entry.name)
      const mode = ((await stat(path)).mode & 0o777).toString(8)
      if (entry.isDirectory()) {
        out[`${relative(root, path)}/`] = mode
        await walk(path)
      } else {
        out[relative(root, path)] = `${mode} ${await readFile(path, 'utf8')}`
      }
    }
  }
  await walk(root)
  return out
}

/** Sets environment variables for one test; returns the function that puts them back. */
export function withEnv(values: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]))
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  return () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
}
