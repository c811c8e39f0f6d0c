// One Keycloak realm as the key store's stages reach it: the admin client (its token renewed as it
// expires, a 401 answered by one retry with a new token), the realm's paths and how messages name it.
import type {InventoryIssuer} from '../../core/inventory/types.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {createIdpClient, firstString, type IdpClient} from './idp-client.js'
import type {IssuerKeyStoreDeps} from './issuer-key-store.js'
import {KEYCLOAK_TOKEN_HINT, retryWithNewToken, tokenSource} from './keycloak-token.js'

export interface KeycloakRealm {
  issuerId: string
  client: IdpClient
  /** The server root, without a trailing slash. */
  root: string
  /** `/admin/realms/<realm>`, the path requests are made under. */
  realmPath: string
  /** root + realmPath, for planned calls. */
  admin: string
  /** "Keycloak realm <name>", for messages. */
  where: string
  secrets: SecretRegistry
  now: () => Date
}

export function connectKeycloakRealm(
  issuer: InventoryIssuer,
  config: {baseUrl: string; realm: string},
  deps: IssuerKeyStoreDeps,
): KeycloakRealm {
  const {secrets} = deps
  for (const name of ['KEYCLOAK_TOKEN', 'KEYCLOAK_CLIENT_SECRET']) secrets.add(deps.env[name])
  const root = config.baseUrl.replace(/\/+$/, '')
  const realmPath = `/admin/realms/${encodeURIComponent(config.realm)}`
  const token = tokenSource(root, deps, () => api)
  const api: IdpClient = createIdpClient({
    service: 'Keycloak Admin API',
    baseUrl: root,
    auth: async () => ({authorization: `Bearer ${await token.get()}`}),
    authHint: `The credential was refused (expired token or wrong client). ${KEYCLOAK_TOKEN_HINT}`,
    forbiddenHint: `The admin lacks a role. ${KEYCLOAK_TOKEN_HINT}`,
    errorMessage: (body) => firstString(body, ['errorMessage'], ['error_description'], ['error']),
    secrets,
    http: deps.http,
  })
  return {
    issuerId: issuer.id,
    client: retryWithNewToken(api, token),
    root,
    realmPath,
    admin: `${root}${realmPath}`,
    where: `Keycloak realm ${config.realm}`,
    secrets,
    now: deps.now ?? (() => new Date()),
  }
}
