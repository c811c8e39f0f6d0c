// Picks the adapter for an inventory issuer by its keySource.type. The one place that knows every
// source type, so commands and playbook steps never switch on it themselves.
import {JwkrError} from '../../core/errors.js'
import type {InventoryIssuer} from '../../core/inventory/types.js'
import {createAuth0KeySource} from './auth0.js'
import {createGitHubFileKeySource} from './github-file.js'
import {createJwksFileKeySource} from './jwks-file.js'
import type {KeySource, KeySourceDeps} from './key-source.js'
import {createKeycloakKeySource} from './keycloak.js'
import {createManualKeySource} from './manual.js'
import {createOktaKeySource} from './okta.js'
import {createVaultKeySource} from './vault.js'
import {createWebhookKeySource} from './webhook.js'

/**
 * The key source of an issuer. Credentials are read from `deps.env` when first needed, so planning
 * works without them.
 *
 * @example const source = createKeySource(issuer, {env: process.env, secrets, artifactsDir})
 */
export function createKeySource(issuer: InventoryIssuer, deps: KeySourceDeps): KeySource {
  const config = issuer.keySource
  switch (config.type) {
    case 'jwks-file':
      return createJwksFileKeySource(issuer, config, deps)
    case 'auth0':
      return createAuth0KeySource(issuer, config, deps)
    case 'keycloak':
      return createKeycloakKeySource(issuer, config, deps)
    case 'okta':
      return createOktaKeySource(issuer, config, deps)
    case 'vault':
      return createVaultKeySource(issuer, config, deps)
    case 'webhook':
      return createWebhookKeySource(issuer, config, deps)
    case 'manual':
      return createManualKeySource(issuer, deps)
    case 'github-file':
      return createGitHubFileKeySource(issuer, config, deps)
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
