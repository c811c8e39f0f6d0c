// Choosing the adapter by keySource.type, and wiring stages to the engine's effect keys.
import {describe, expect, it} from 'vitest'

import {createIssuerKeyStore} from '../../../src/adapters/idp/create-issuer-key-store.js'
import {effectKey, stageRunner} from '../../../src/adapters/idp/issuer-key-store.js'
import type {InventoryIssuer, IssuerKeyStoreConfig} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {failureOf} from './helpers/secrecy.js'

const issuerWith = (keySource: IssuerKeyStoreConfig): InventoryIssuer => ({
  id: 'auth-main',
  issuer: 'https://auth.example.com',
  keySource,
})
const deps = () => ({env: {}, secrets: new SecretRegistry()})

describe('createIssuerKeyStore', () => {
  it.each<[IssuerKeyStoreConfig, Record<string, boolean>]>([
    [
      {type: 'jwks-file', path: 'keys.json'},
      {takesGeneratedKey: true, switchesSigning: false, removesKey: true, revokesSessions: false},
    ],
    [
      {type: 'auth0', domain: 'tenant.auth0.com'},
      {takesGeneratedKey: false, switchesSigning: true, removesKey: true, revokesSessions: false},
    ],
    [
      {type: 'keycloak', baseUrl: 'https://sso.example.com', realm: 'acme'},
      {takesGeneratedKey: false, switchesSigning: true, removesKey: true, revokesSessions: true},
    ],
    [
      {type: 'okta', domain: 'example.okta.com', authServerId: 'aus1'},
      {takesGeneratedKey: false, switchesSigning: true, removesKey: false, revokesSessions: false},
    ],
    [
      {type: 'vault', address: 'https://vault.example.com', key: 'k'},
      {takesGeneratedKey: false, switchesSigning: true, removesKey: true, revokesSessions: false},
    ],
    [
      {type: 'webhook', url: 'https://hooks.example.com/x'},
      // The receiver generates the replacement itself (docs/webhook-protocol.md).
      {takesGeneratedKey: false, switchesSigning: true, removesKey: true, revokesSessions: false},
    ],
    [{type: 'manual'}, {takesGeneratedKey: true, switchesSigning: true, removesKey: true, revokesSessions: false}],
  ])('builds the %o source without needing its credential yet', (config, capabilities) => {
    const source = createIssuerKeyStore(issuerWith(config), deps())
    expect(source.type).toBe(config.type)
    expect(source.capabilities).toEqual(capabilities)
    expect(typeof source.revokeSessions).toBe(capabilities.revokesSessions ? 'function' : 'undefined')
  })

  it('builds the github-file source, which publishes a generated key through a pull request', async () => {
    const source = createIssuerKeyStore(issuerWith({type: 'github-file', repo: 'acme/keys', path: 'jwks.json'}), {
      ...deps(),
      env: {GITHUB_TOKEN: 'ghp_test'},
    })
    expect(source.type).toBe('github-file')
    expect(source.capabilities).toMatchObject({takesGeneratedKey: true, removesKey: true})
  })

  it('refuses an unknown type, listing the known ones', async () => {
    const error = await failureOf(async () =>
      createIssuerKeyStore(issuerWith({type: 'azure'} as unknown as IssuerKeyStoreConfig), deps()),
    )
    expect(error.code).toBe('ERR_KEY_SOURCE_INVALID')
    expect(error.hint).toContain('jwks-file, github-file, auth0')
  })

  it('refuses an auth0 domain that is not a host name', async () => {
    const error = await failureOf(async () => createIssuerKeyStore(issuerWith({type: 'auth0', domain: 'not a domain'}), deps()))
    expect(error.code).toBe('ERR_KEY_SOURCE_INVALID')
  })
})

describe('stageRunner', () => {
  it('turns each stage into the engine effect key incident:operation:issuer:stage', async () => {
    const keys: string[] = []
    const run = stageRunner(
      async (key, _description, apply) => {
        keys.push(key)
        return apply()
      },
      {incidentId: 'inc-1', issuerId: 'auth-main'},
      'rotate',
    )
    await run('add', 'add a key', async () => ({ok: true}))
    expect(keys).toEqual(['inc-1:rotate:auth-main:add'])
    expect(effectKey({incidentId: 'inc-1', issuerId: 'auth-main'}, 'sessions', 'not-before')).toBe(
      'inc-1:sessions:auth-main:not-before',
    )
  })
})
