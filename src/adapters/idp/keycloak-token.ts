// The Keycloak admin token: KEYCLOAK_TOKEN as given, or a client-credentials token fetched and
// renewed as it expires, and the admin client that sends a request once more with a new token when
// Keycloak answers 401.
import {isJwkrError, JwkrError} from '../../core/errors.js'
import {requireCredential, type IdpClient} from './idp-client.js'
import type {IssuerKeyStoreDeps} from './issuer-key-store.js'

export const KEYCLOAK_TOKEN_HINT =
  'export KEYCLOAK_TOKEN=… (an admin access token), or KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET of a confidential client with a ' +
  'service account (token from realm KEYCLOAK_AUTH_REALM, default master), whose token jwkr renews as it expires (a ' +
  'KEYCLOAK_TOKEN cannot be renewed, and master realm tokens live 60 s by default). It needs the realm-management roles ' +
  'manage-realm, and manage-users for logout-all.'

/** Refresh a fetched token this long before Keycloak says it expires (at most half its life). */
const TOKEN_REFRESH_MARGIN_MS = 30_000

export interface AdminToken {
  /** The bearer token to send. */
  get(): Promise<string>
  /** Forgets the token Keycloak refused; false when no other can be had (KEYCLOAK_TOKEN, or the grant itself failed). */
  renew(): boolean
}

/**
 * The admin bearer token: KEYCLOAK_TOKEN as given, or one fetched with the client-credentials grant
 * of KEYCLOAK_CLIENT_ID / KEYCLOAK_CLIENT_SECRET and fetched again before its `expires_in` runs out
 * (the master realm's access tokens live 60 s by default; a guided run lasts longer).
 */
export function tokenSource(root: string, deps: IssuerKeyStoreDeps, client: () => IdpClient): AdminToken {
  const {env, secrets} = deps
  const now = () => (deps.now ?? (() => new Date()))().getTime()
  const fixed = Boolean(env.KEYCLOAK_TOKEN?.trim() || !env.KEYCLOAK_CLIENT_ID?.trim())
  let cached: {value: string; refreshAt: number} | undefined
  return {
    async get() {
      if (cached && now() < cached.refreshAt) return cached.value
      if (fixed) {
        const value = requireCredential(env, 'KEYCLOAK_TOKEN', `the Keycloak Admin API at ${root}`, secrets)
        cached = {value, refreshAt: Infinity}
        return value
      }
      const fetchedAt = now()
      const {value, lifetimeMs} = await fetchToken(root, deps, client())
      cached = {value, refreshAt: fetchedAt + lifetimeMs - Math.min(TOKEN_REFRESH_MARGIN_MS, lifetimeMs / 2)}
      return value
    },
    renew() {
      // Nothing cached: the refusal came from the token endpoint itself, and asking again will not help.
      if (fixed || cached === undefined) return false
      cached = undefined
      return true
    },
  }
}

/** One client-credentials grant: the token (registered as a secret) and how long Keycloak says it lives. */
async function fetchToken(
  root: string,
  deps: IssuerKeyStoreDeps,
  client: IdpClient,
): Promise<{value: string; lifetimeMs: number}> {
  const {env, secrets} = deps
  const clientId = env.KEYCLOAK_CLIENT_ID?.trim() ?? ''
  const clientSecret = requireCredential(env, 'KEYCLOAK_CLIENT_SECRET', `the Keycloak client ${clientId}`, secrets)
  const realm = env.KEYCLOAK_AUTH_REALM?.trim() || 'master'
  const form = new URLSearchParams({grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret})
  const {body} = await client.request('POST', `/realms/${encodeURIComponent(realm)}/protocol/openid-connect/token`, {
    body: form.toString(),
    contentType: 'application/x-www-form-urlencoded',
    anonymous: true,
  })
  const {access_token: token, expires_in: expiresIn} = (body ?? {}) as {access_token?: unknown; expires_in?: unknown}
  if (typeof token !== 'string' || token === '') {
    throw new JwkrError('ERR_IDP_BAD_RESPONSE', `Keycloak's token endpoint (realm ${realm}) answered without an access_token.`, {
      hint: KEYCLOAK_TOKEN_HINT,
    })
  }
  secrets.add(token)
  // Without expires_in (RFC 6749 makes it optional), assume the master realm's default of 60 s.
  const seconds = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn >= 0 ? expiresIn : 60
  return {value: token, lifetimeMs: seconds * 1000}
}

/**
 * The admin client, sending a request once more with a new token when Keycloak answers 401 (the
 * token expired or was revoked early). A 401 means nothing was applied, so writes are safe to resend.
 */
export function retryWithNewToken(api: IdpClient, token: AdminToken): IdpClient {
  return {
    baseUrl: api.baseUrl,
    async request(method, path, options) {
      try {
        return await api.request(method, path, options)
      } catch (error) {
        if (!isJwkrError(error) || error.code !== 'ERR_IDP_AUTH' || options?.anonymous || !token.renew()) throw error
        return api.request(method, path, options)
      }
    },
  }
}
