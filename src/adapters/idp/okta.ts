// Okta custom authorization server keys. keyRotate makes the ACTIVE key EXPIRED and the NEXT key
// ACTIVE; there is no API that deletes a key, so the leaked key may stay listed (and, Okta does not
// say, served) as EXPIRED. The result says so in a warning: never success by silence. Sessions: the
// refresh tokens of each OAuth client the inventory names (keySource.clients) are revoked; without
// clients, the steps for a person say how.
import {JwkrError} from '../../core/errors.js'
import type {InventoryIssuer} from '../../core/inventory/types.js'
import {createIdpClient, firstString, originOf, requireCredential} from './idp-client.js'
import {findByThumbprint, sourceKeyFromJwk} from './key-material.js'
import type {
  ChangeResult,
  EffectRunner,
  IssuerKeyStore,
  IssuerKeyStoreDeps,
  PlannedCall,
  SessionAction,
  SessionResult,
  SourceKey,
  SourceKeyStatus,
} from './issuer-key-store.js'
import {keyRef, notFoundResult, rotateUntilRetired, takeSnapshot} from './rotation.js'

export const OKTA_TOKEN_HINT =
  'export OKTA_TOKEN=… : an Okta API token (sent as "SSWS <token>") of an admin who may manage this authorization server.'

/** How to find and revoke the refresh tokens of an authorization server's clients by hand. */
const OKTA_CLIENT_TOKENS_HINT =
  'GET /api/v1/authorizationServers/{authServerId}/clients lists the clients holding tokens; ' +
  'DELETE /api/v1/authorizationServers/{authServerId}/clients/{clientId}/tokens revokes them'

const STATUSES: Record<string, SourceKeyStatus> = {ACTIVE: 'active', NEXT: 'next', EXPIRED: 'expired'}

export function createOktaKeyStore(
  issuer: InventoryIssuer,
  config: {domain: string; authServerId: string; clients?: string[]},
  deps: IssuerKeyStoreDeps,
): IssuerKeyStore {
  const {secrets} = deps
  secrets.add(deps.env.OKTA_TOKEN)
  const server = `/api/v1/authorizationServers/${encodeURIComponent(config.authServerId)}`
  const client = createIdpClient({
    service: 'Okta API',
    baseUrl: originOf(config.domain, 'okta domain'),
    auth: () => ({authorization: `SSWS ${requireCredential(deps.env, 'OKTA_TOKEN', 'the Okta API', secrets)}`}),
    authHint: `The token was refused (revoked, expired or for another org). ${OKTA_TOKEN_HINT}`,
    forbiddenHint: `The token's admin may not manage this authorization server. ${OKTA_TOKEN_HINT}`,
    errorMessage: (body) => {
      const summary = firstString(body, ['errorSummary'])
      const code = firstString(body, ['errorCode'])
      return summary && code ? `${summary} (${code})` : summary
    },
    secrets,
    http: deps.http,
  })
  const api = `${client.baseUrl}${server}`
  const where = `Okta authorization server ${config.authServerId}`

  async function listKeys(signal?: AbortSignal): Promise<SourceKey[]> {
    const {body} = await client.request('GET', `${server}/credentials/keys`, {signal})
    if (!Array.isArray(body)) {
      throw new JwkrError('ERR_IDP_BAD_RESPONSE', `GET ${server}/credentials/keys did not answer with a list of keys.`, {
        hint: 'Check the inventory: okta {domain, authServerId} names a custom authorization server.',
      })
    }
    return Promise.all(
      body.map((item) => {
        const record = (item ?? {}) as Record<string, unknown>
        const status = STATUSES[String(record.status)] ?? 'unknown'
        return sourceKeyFromJwk(item, {status, ref: {status: record.status ?? null}}, secrets)
      }),
    )
  }

  const listCall: PlannedCall = {
    kind: 'http',
    target: `GET ${api}/credentials/keys`,
    description: 'List the ACTIVE, NEXT and EXPIRED keys and find the leaked one by thumbprint.',
  }

  /** The warning for a leaked key that Okta keeps listed. */
  const stillListed = (leaked: SourceKey): string =>
    `Okta keeps the leaked key (kid ${leaked.kid ?? '?'}) listed as EXPIRED and has no API to delete it; it may still be served at the jwks_uri. ` +
    'Ask Okta support to purge it, and rely on the denylist (jwkr tokens invalidate) until then.'

  const result = (keys: SourceKey[], thumbprint: string, stages: string[], outcome: ChangeResult['outcome']): ChangeResult => {
    const active = keys.find((key) => key.status === 'active')
    const leaked = findByThumbprint(keys, thumbprint)
    return {
      issuerId: issuer.id,
      source: 'okta',
      outcome,
      added: active && active.thumbprint !== thumbprint ? [keyRef(active)] : [],
      removed: leaked ? [] : [{kid: null, thumbprint}],
      signingSwitched: active ? active.thumbprint !== thumbprint : null,
      leakedStillListed: leaked !== undefined,
      stages,
      warnings: leaked ? [stillListed(leaked)] : [],
    }
  }

  const clients = [...new Set(config.clients ?? [])]
  const clientTokens = (clientId: string) => `${server}/clients/${encodeURIComponent(clientId)}/tokens`

  /** Revokes every refresh token Okta holds for one client of the server; Okta answers 204 again when none is left. */
  async function revokeClientTokens(clientId: string, run: EffectRunner, signal?: AbortSignal): Promise<SessionAction> {
    const ref = await run(
      `refresh-tokens:${clientId}`,
      `DELETE ${client.baseUrl}${clientTokens(clientId)}`,
      async () => {
        const response = await client.request('DELETE', clientTokens(clientId), {signal, accept: [404]})
        return {clientId, found: response.status !== 404}
      },
      // Revoking again is harmless: an interrupted revocation is simply sent again.
      async () => undefined,
    )
    return ref.found
      ? {action: `refresh-tokens:${clientId}`, ok: true, detail: `Every refresh token of client ${clientId} was revoked.`}
      : {
          action: `refresh-tokens:${clientId}`,
          ok: false,
          detail: `${where} knows no client ${clientId}: check keySource.clients in the inventory.`,
        }
  }

  const sessions: Pick<IssuerKeyStore, 'planRevokeSessions' | 'revokeSessions'> =
    clients.length === 0
      ? {}
      : {
          planRevokeSessions: () =>
            clients.map((clientId) => ({
              kind: 'http' as const,
              target: `DELETE ${client.baseUrl}${clientTokens(clientId)}`,
              description: `Revoke every refresh token client ${clientId} holds from ${where}.`,
            })),
          async revokeSessions(request, run, signal): Promise<SessionResult> {
            const actions: SessionAction[] = []
            for (const clientId of clients) actions.push(await revokeClientTokens(clientId, run, signal))
            const warnings = actions.filter((action) => !action.ok).map((action) => action.detail)
            warnings.push(
              `Only the clients named in the inventory (${clients.join(', ')}) lost their refresh tokens: revoke those of any other client of ${where} ` +
                `by hand (${OKTA_CLIENT_TOKENS_HINT}). Access tokens stay valid until they expire: rely on the denylist (jwkr tokens invalidate).`,
            )
            return {issuerId: request.issuerId, source: 'okta', actions, warnings}
          },
        }

  return {
    type: 'okta',
    capabilities: {takesGeneratedKey: false, switchesSigning: true, removesKey: false, revokesSessions: clients.length > 0},
    sessionsByHand:
      `Revoke the refresh tokens of every OAuth client of ${where} (${OKTA_CLIENT_TOKENS_HINT}), or name the clients in the ` +
      'inventory (keySource.clients) and jwkr revokes them; end the sessions of affected users with DELETE /api/v1/users/{id}/sessions?oauthTokens=true. ' +
      'Access tokens stay valid until they expire, so rely on the denylist.',
    ...sessions,
    listKeys,
    planRotate: () => [
      listCall,
      {
        kind: 'http',
        target: `POST ${api}/credentials/lifecycle/keyRotate`,
        description:
          'Rotate the signing keys ({"use":"sig"}): the leaked ACTIVE key becomes EXPIRED and the NEXT key signs (twice when the leaked key is NEXT). The EXPIRED key may stay listed.',
      },
    ],
    async rotate(request, run, signal) {
      const stages = ['snapshot']
      const snapshot = await takeSnapshot(run, () => listKeys(signal), request.leaked.thumbprint, where)
      if (!snapshot.found) return notFoundResult(issuer.id, 'okta', request.leaked.thumbprint, where, stages)
      const keys = await rotateUntilRetired(
        run,
        request.leaked.thumbprint,
        snapshot,
        {
          list: () => listKeys(signal),
          retired: (leaked) => leaked === undefined || leaked.status === 'expired',
          rotate: async () => {
            await client.request('POST', `${server}/credentials/lifecycle/keyRotate`, {json: {use: 'sig'}, signal})
          },
          description: `POST ${api}/credentials/lifecycle/keyRotate`,
          maxRotations: 2,
        },
        stages,
      )
      return result(keys, request.leaked.thumbprint, stages, 'changed')
    },
    planRevoke: () => [listCall],
    async revoke(request, _run, signal) {
      const keys = await listKeys(signal)
      const leaked = findByThumbprint(keys, request.leaked.thumbprint)
      if (!leaked) return notFoundResult(issuer.id, 'okta', request.leaked.thumbprint, where, [])
      if (leaked.status === 'active' || leaked.status === 'next') {
        throw new JwkrError(
          'ERR_IDP_UNSUPPORTED',
          `Okta cannot remove one key: the leaked key is the ${leaked.status.toUpperCase()} key of ${where}.`,
          {
            hint: `Run jwkr key rotate for issuer ${issuer.id}: rotation retires it (it then stays listed as EXPIRED).`,
            details: {kid: leaked.kid},
          },
        )
      }
      return result(keys, request.leaked.thumbprint, [], 'unchanged')
    },
  }
}
