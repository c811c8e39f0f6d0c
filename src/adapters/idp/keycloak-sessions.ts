// Ends a Keycloak realm's sessions after a key leak (the documented "compromised keys" steps): the
// realm's not-before, pushed to every client with an admin URL, and optionally logout-all.
import type {EffectRunner, PlannedCall, SessionAction, SessionRequest, SessionResult} from './issuer-key-store.js'
import type {KeycloakRealm} from './keycloak-realm.js'

export function planRealmSessions(realm: KeycloakRealm, request: SessionRequest): PlannedCall[] {
  const {admin, now} = realm
  return [
    {
      kind: 'http',
      target: `PUT ${admin}`,
      description: `Set the realm's not-before to ${(request.notBefore ?? now()).toISOString()}: refresh tokens, offline tokens and SSO sessions issued before are refused.`,
    },
    {
      kind: 'http',
      target: `POST ${admin}/push-revocation`,
      description: 'Push the not-before to every client with an admin URL.',
    },
    ...(request.logoutAll
      ? [{kind: 'http' as const, target: `POST ${admin}/logout-all`, description: 'End every user session of the realm.'}]
      : []),
  ]
}

export async function revokeRealmSessions(
  realm: KeycloakRealm,
  request: SessionRequest,
  run: EffectRunner,
  signal?: AbortSignal,
): Promise<SessionResult> {
  const {client, realmPath, admin, now} = realm
  const notBefore = Math.floor((request.notBefore ?? now()).getTime() / 1000)
  const actions: SessionAction[] = []
  const warnings: string[] = []
  await run(
    'not-before',
    `PUT ${admin} (notBefore ${notBefore})`,
    async () => {
      await client.request('PUT', realmPath, {json: {notBefore}, signal})
      return {notBefore}
    },
    async () => {
      const {body} = await client.request('GET', realmPath, {signal})
      const current = (body as {notBefore?: unknown} | null)?.notBefore
      return typeof current === 'number' && current >= notBefore ? {notBefore: current} : undefined
    },
  )
  actions.push({
    action: 'not-before',
    ok: true,
    detail: `Tokens issued before ${new Date(notBefore * 1000).toISOString()} are refused by Keycloak.`,
  })
  // Pushing the same not-before again changes nothing, so an interrupted push is simply sent again.
  const pushed = await run(
    'push-revocation',
    `POST ${admin}/push-revocation`,
    () => globalRequest(realm, 'push-revocation', signal),
    async () => undefined,
  )
  actions.push(describePush('push-revocation', pushed, warnings))
  if (request.logoutAll) {
    const loggedOut = await run(
      'logout-all',
      `POST ${admin}/logout-all`,
      () => globalRequest(realm, 'logout-all', signal),
      async () => undefined,
    )
    actions.push(describePush('logout-all', loggedOut, warnings))
  }
  warnings.push(
    'Relying parties that verify access tokens locally never hear of the not-before: they accept them until they expire (deny them: jwkr tokens invalidate).',
  )
  return {issuerId: realm.issuerId, source: 'keycloak', actions, warnings}
}

async function globalRequest(
  realm: KeycloakRealm,
  action: string,
  signal?: AbortSignal,
): Promise<{successRequests: string[]; failedRequests: string[]}> {
  const {body} = await realm.client.request('POST', `${realm.realmPath}/${action}`, {signal})
  const record = (body ?? {}) as Record<string, unknown>
  const urls = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [])
  return {successRequests: urls(record.successRequests), failedRequests: urls(record.failedRequests)}
}

function describePush(action: string, result: Record<string, unknown>, warnings: string[]): SessionAction {
  const success = Array.isArray(result.successRequests) ? (result.successRequests as string[]) : []
  const failed = Array.isArray(result.failedRequests) ? (result.failedRequests as string[]) : []
  if (failed.length > 0)
    warnings.push(
      `${action}: Keycloak could not reach ${failed.join(', ')}; those clients keep their sessions until they expire.`,
    )
  if (success.length === 0 && failed.length === 0) warnings.push(`${action}: no client has an admin URL, so no client was told.`)
  return {action, ok: failed.length === 0, detail: `${success.length} client(s) told, ${failed.length} unreachable.`}
}
