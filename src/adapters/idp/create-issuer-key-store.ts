// Picks the adapter for an inventory issuer by its keySource.type. The one place that knows every
// source type, so commands and playbook steps never switch on it themselves.
import {JwkrError} from '../../core/errors.js'
import type {InventoryIssuer} from '../../core/inventory/types.js'
import {createAuth0KeyStore} from './auth0.js'
import {createGitHubFileKeyStore} from './github-file.js'
import {createJwksFileKeyStore} from './jwks-file.js'
import type {IssuerKeyStore, IssuerKeyStoreDeps} from './issuer-key-store.js'
import {createKeycloakKeyStore} from './keycloak.js'
import {createManualKeyStore} from './manual.js'
import {createOktaKeyStore} from './okta.js'
import {createVaultKeyStore} from './vault.js'
import {createWebhookKeyStore} from './webhook.js'

/**
 * The key store of an issuer. Credentials are read from `deps.env` when first needed, so planning
 * works without them.
 *
 * @example const source = createIssuerKeyStore(issuer, {env: process.env, secrets, artifactsDir})
 */
export function createIssuerKeyStore(issuer: InventoryIssuer, deps: IssuerKeyStoreDeps): IssuerKeyStore {
  const config = issuer.keySource
  switch (config.type) {
    case 'jwks-file':
      return createJwksFileKeyStore(issuer, config, deps)
    case 'auth0':
      return createAuth0KeyStore(issuer, config, deps)
    case 'keycloak':
      return createKeycloakKeyStore(issuer, config, deps)
    case 'okta':
      return createOktaKeyStore(issuer, config, deps)
    case 'vault':
      return createVaultKeyStore(issuer, config, deps)
    case 'webhook':
      return createWebhookKeyStore(issuer, config, deps)
    case 'manual':
      return createManualKeyStore(issuer, deps)
    case 'github-file':
      return createGitHubFileKeyStore(issuer, config, deps)
    default:
      throw new JwkrError(
        'ERR_KEY_SOURCE_INVALID',
        `Issuer ${issuer.id} has an unknown keySource type ${JSON.stringify((config as {type?: unknown}).type)}.`,
        {
          hint: 'Use one of jwks-file, github-file, auth0, keycloak, okta, vault, webhook, manual.',
        },
      )
  }
}
