// Auth0 tenant signing keys through the Management API v2. Auth0 revokes only a previously used
// key, so a leaked current key is rotated out first (a leaked next key twice), then revoked: the
// dashboard's "Rotate & Revoke". Keys are matched by the RFC 7638 thumbprint of each certificate's
// public key; Auth0's own `thumbprint` field is a hex SHA-1 of the certificate and is not used.
import {JwkrError} from '../../core/errors.js'
import type {InventoryIssuer} from '../../core/inventory/types.js'
import {createIdpClient, firstString, originOf, requireCredential} from './idp-client.js'
import {findByThumbprint, sourceKeyFromPem} from './key-material.js'
import type {
  ChangeResult,
  EffectRunner,
  IssuerKeyStore,
  IssuerKeyStoreDeps,
  PlannedCall,
  RotateRequest,
  SourceKey,
} from './issuer-key-store.js'
import {keyRef, notFoundResult, rotateUntilRetired, takeSnapshot, type Snapshot} from './rotation.js'

export const AUTH0_TOKEN_HINT =
  'export AUTH0_TOKEN=… : a Management API v2 access token with the read:signing_keys, create:signing_keys and update:signing_keys scopes.'

export function createAuth0KeyStore(issuer: InventoryIssuer, config: {domain: string}, deps: IssuerKeyStoreDeps): IssuerKeyStore {
  const {secrets} = deps
  secrets.add(deps.env.AUTH0_TOKEN)
  const api = `${originOf(config.domain, 'auth0 domain')}/api/v2`
  const client = createIdpClient({
    service: 'Auth0 Management API',
    baseUrl: api,
    auth: () => ({authorization: `Bearer ${requireCredential(deps.env, 'AUTH0_TOKEN', 'the Auth0 Management API', secrets)}`}),
    authHint: `The token was refused (expired or for another tenant). ${AUTH0_TOKEN_HINT}`,
    forbiddenHint: `The token lacks a scope. ${AUTH0_TOKEN_HINT}`,
    errorMessage: (body) => firstString(body, ['message'], ['error']),
    secrets,
    http: deps.http,
  })
  const where = `Auth0 tenant ${config.domain}`

  async function listKeys(signal?: AbortSignal): Promise<SourceKey[]> {
    const {body} = await client.request('GET', '/keys/signing', {signal})
    if (!Array.isArray(body)) throw badResponse('GET /api/v2/keys/signing did not answer with a list of keys.')
    return Promise.all(body.map((item) => toSourceKey(item)))
  }

  const revokeCall = (kid: string): PlannedCall => ({
    kind: 'http',
    target: `PUT ${api}/keys/signing/${encodeURIComponent(kid)}/revoke`,
    description: 'Revoke the leaked key: it leaves the tenant JWKS and Auth0 rejects tokens signed with it.',
  })
  const listCall: PlannedCall = {
    kind: 'http',
    target: `GET ${api}/keys/signing`,
    description: "List the tenant's signing keys and find the leaked one by the thumbprint of each certificate's key.",
  }
  const plannedKid = (request: RotateRequest) => request.leaked.kid ?? '{kid of the key with the leaked thumbprint}'

  /** Revokes the leaked key unless it already is; the kid comes from the list, found by thumbprint. */
  async function revokeStage(
    request: RotateRequest,
    run: EffectRunner,
    snapshot: Snapshot,
    stages: string[],
    signal?: AbortSignal,
  ): Promise<void> {
    const leaked = findByThumbprint(await listKeys(signal), request.leaked.thumbprint)
    const kid = leaked?.kid ?? snapshot.kid
    // Auth0 lists only the last revoked keys: one no longer listed has been revoked long ago.
    if (!leaked || leaked.status === 'disabled' || kid === null) return
    const isRevoked = async () => {
      const now = findByThumbprint(await listKeys(signal), request.leaked.thumbprint)
      return !now || now.status === 'disabled' ? {kid} : undefined
    }
    await run(
      'revoke',
      revokeCall(kid).target,
      async () => {
        await client.request('PUT', `/keys/signing/${encodeURIComponent(kid)}/revoke`, {signal})
        return {kid}
      },
      isRevoked,
    )
    stages.push('revoke')
  }

  const result = (request: RotateRequest, snapshot: Snapshot, keys: SourceKey[], stages: string[]): ChangeResult => {
    const current = keys.find((key) => key.status === 'active')
    const listed = findByThumbprint(keys, request.leaked.thumbprint)
    return {
      issuerId: issuer.id,
      source: 'auth0',
      outcome: 'changed',
      added: current && current.thumbprint !== request.leaked.thumbprint ? [keyRef(current)] : [],
      removed: [{kid: listed?.kid ?? snapshot.kid, thumbprint: request.leaked.thumbprint}],
      signingSwitched: current ? current.thumbprint !== request.leaked.thumbprint : null,
      leakedStillListed: false,
      stages,
      warnings: [],
    }
  }

  return {
    type: 'auth0',
    capabilities: {takesGeneratedKey: false, switchesSigning: true, removesKey: true, revokesSessions: false},
    listKeys,
    planRotate: (request) => [
      listCall,
      {
        kind: 'http',
        target: `POST ${api}/keys/signing/rotate`,
        description:
          'Rotate: the next key becomes current, so Auth0 stops signing with the leaked key. Made only when the leaked key is current (twice when it is the next key).',
      },
      revokeCall(plannedKid(request)),
    ],
    async rotate(request, run, signal) {
      const stages = ['snapshot']
      const snapshot = await takeSnapshot(run, () => listKeys(signal), request.leaked.thumbprint, where)
      if (!snapshot.found) return notFoundResult(issuer.id, 'auth0', request.leaked.thumbprint, where, stages)
      await rotateUntilRetired(
        run,
        request.leaked.thumbprint,
        snapshot,
        {
          list: () => listKeys(signal),
          retired: (leaked) => leaked === undefined || (leaked.status !== 'active' && leaked.status !== 'next'),
          rotate: async () => {
            await client.request('POST', '/keys/signing/rotate', {signal})
          },
          description: `POST ${api}/keys/signing/rotate`,
          maxRotations: 2,
        },
        stages,
      )
      await revokeStage(request, run, snapshot, stages, signal)
      return result(request, snapshot, await listKeys(signal), stages)
    },
    planRevoke: (request) => [listCall, revokeCall(plannedKid(request))],
    async revoke(request, run, signal) {
      const stages = ['snapshot']
      const snapshot = await takeSnapshot(run, () => listKeys(signal), request.leaked.thumbprint, where)
      if (!snapshot.found) return notFoundResult(issuer.id, 'auth0', request.leaked.thumbprint, where, stages)
      const leaked = findByThumbprint(await listKeys(signal), request.leaked.thumbprint)
      if (leaked && (leaked.status === 'active' || leaked.status === 'next')) {
        throw new JwkrError(
          'ERR_IDP_UNSUPPORTED',
          `The leaked key is the ${leaked.status === 'active' ? 'current' : 'next'} signing key of ${where}, and Auth0 revokes only a previously used key.`,
          {
            hint: `Run jwkr key rotate for issuer ${issuer.id}: it rotates the key out first, then revokes it.`,
            details: {kid: leaked.kid},
          },
        )
      }
      await revokeStage(request, run, snapshot, stages, signal)
      return result(request, snapshot, await listKeys(signal), stages)
    },
  }

  async function toSourceKey(item: unknown): Promise<SourceKey> {
    const record = (item ?? {}) as Record<string, unknown>
    if (typeof record.cert !== 'string' || typeof record.kid !== 'string') {
      throw badResponse('A signing key from GET /api/v2/keys/signing has no "cert" or "kid".')
    }
    const status =
      record.revoked === true ? 'disabled' : record.current === true ? 'active' : record.next === true ? 'next' : 'passive'
    return sourceKeyFromPem(record.cert, 'certificate', {
      kid: record.kid,
      status,
      use: 'sig',
      ref: {
        current: record.current === true,
        next: record.next === true,
        previous: record.previous === true,
        revoked: record.revoked === true,
      },
    })
  }
}

function badResponse(message: string): JwkrError {
  return new JwkrError('ERR_IDP_BAD_RESPONSE', message, {
    hint: 'Check that the inventory names the Auth0 tenant domain (e.g. example.eu.auth0.com).',
  })
}
