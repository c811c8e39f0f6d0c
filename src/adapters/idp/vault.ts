// HashiCorp Vault identity OIDC named keys. Rotating with verification_ttl 0 expires the old public
// key at once (Vault drops it from .well-known/keys on the next read), and the pre-published next
// key starts signing. Vault cannot remove a single key any other way, so revoke points to rotate.
import {JwkrError, type ErrorCode} from '../../core/errors.js'
import type {InventoryIssuer} from '../../core/inventory/types.js'
import {createIdpClient, firstString, originOf, requireCredential} from './idp-client.js'
import {findByThumbprint, sourceKeyFromJwk} from './key-material.js'
import type {IssuerKeyStore, IssuerKeyStoreDeps, PlannedCall, SourceKey} from './issuer-key-store.js'
import {keyRef, notFoundResult, rotateUntilRetired, takeSnapshot} from './rotation.js'

export const VAULT_TOKEN_HINT =
  'export VAULT_TOKEN=… : a token whose policy allows "update" on identity/oidc/key/<name>/rotate (and VAULT_NAMESPACE for a namespace).'

const WELL_KNOWN = '/v1/identity/oidc/.well-known/keys'

export function createVaultKeyStore(
  issuer: InventoryIssuer,
  config: {address: string; key: string},
  deps: IssuerKeyStoreDeps,
): IssuerKeyStore {
  const {secrets} = deps
  secrets.add(deps.env.VAULT_TOKEN)
  const namespace = deps.env.VAULT_NAMESPACE?.trim()
  const namespaceHeader: Record<string, string> = namespace ? {'x-vault-namespace': namespace} : {}
  const client = createIdpClient({
    service: 'Vault',
    baseUrl: originOf(config.address, 'vault address'),
    auth: () => ({'x-vault-token': requireCredential(deps.env, 'VAULT_TOKEN', 'Vault', secrets)}),
    authHint: `The token was refused. ${VAULT_TOKEN_HINT}`,
    // Vault answers 403 "permission denied" both for a bad token and for a missing policy.
    forbiddenHint: `The token is invalid or its policy does not allow this path. ${VAULT_TOKEN_HINT}`,
    errorMessage: (body) => {
      const errors = (body as {errors?: unknown} | null)?.errors
      return Array.isArray(errors) ? errors.filter((item) => typeof item === 'string').join('; ') : firstString(body, ['message'])
    },
    classify: (status, body): ErrorCode | undefined =>
      status === 400 && JSON.stringify(body ?? '').includes('no named key found') ? 'ERR_IDP_NOT_FOUND' : undefined,
    secrets,
    http: deps.http,
  })
  const rotatePath = `/v1/identity/oidc/key/${encodeURIComponent(config.key)}/rotate`
  const where = `Vault OIDC key ${config.key} at ${config.address}`

  async function listKeys(signal?: AbortSignal): Promise<SourceKey[]> {
    // The public key set needs no token; Vault lists only keys that some role signs with.
    const {body} = await client.request('GET', WELL_KNOWN, {signal, anonymous: true, headers: namespaceHeader})
    const keys = (body as {keys?: unknown} | null)?.keys
    if (!Array.isArray(keys)) {
      throw new JwkrError('ERR_IDP_BAD_RESPONSE', `GET ${WELL_KNOWN} did not answer with a JWKS.`, {
        hint: 'Check the inventory: vault {address} is the Vault API address.',
      })
    }
    return Promise.all(keys.map((item) => sourceKeyFromJwk(item, {status: 'unknown'}, secrets)))
  }

  const calls: PlannedCall[] = [
    {
      kind: 'http',
      target: `GET ${client.baseUrl}${WELL_KNOWN}`,
      description: 'Read the published keys and find the leaked one by thumbprint.',
    },
    {
      kind: 'http',
      target: `POST ${client.baseUrl}${rotatePath}`,
      description: `Rotate the named key "${config.key}" with {"verification_ttl": 0}: the next key signs and the old public key expires at once (twice when the leaked key is the next key).`,
    },
  ]

  return {
    type: 'vault',
    capabilities: {takesGeneratedKey: false, switchesSigning: true, removesKey: true, revokesSessions: false},
    listKeys,
    planRotate: () => calls,
    async rotate(request, run, signal) {
      const stages = ['snapshot']
      const snapshot = await takeSnapshot(run, () => listKeys(signal), request.leaked.thumbprint, where)
      if (!snapshot.found) return notFoundResult(issuer.id, 'vault', request.leaked.thumbprint, where, stages)
      const keys = await rotateUntilRetired(
        run,
        request.leaked.thumbprint,
        snapshot,
        {
          list: () => listKeys(signal),
          retired: (leaked) => leaked === undefined,
          rotate: async () => {
            await client.request('POST', rotatePath, {json: {verification_ttl: 0}, headers: namespaceHeader, signal})
          },
          description: `POST ${client.baseUrl}${rotatePath}`,
          maxRotations: 2,
        },
        stages,
      )
      return {
        issuerId: issuer.id,
        source: 'vault',
        outcome: 'changed',
        added: keys.filter((key) => !snapshot.thumbprints.includes(key.thumbprint)).map(keyRef),
        removed: [{kid: snapshot.kid, thumbprint: request.leaked.thumbprint}],
        signingSwitched: true,
        leakedStillListed: findByThumbprint(keys, request.leaked.thumbprint) !== undefined,
        stages,
        warnings: [
          'Vault tokens already issued with the leaked key stay valid for their role ttl at relying parties that cached the key set: deny them (jwkr tokens invalidate).',
        ],
      }
    },
    planRevoke: () => calls.slice(0, 1),
    async revoke(request, _run, signal) {
      const keys = await listKeys(signal)
      if (!findByThumbprint(keys, request.leaked.thumbprint))
        return notFoundResult(issuer.id, 'vault', request.leaked.thumbprint, where, [])
      throw new JwkrError('ERR_IDP_UNSUPPORTED', `Vault removes a key of ${where} only by rotating it.`, {
        hint: `Run jwkr key rotate for issuer ${issuer.id}: it rotates with verification_ttl 0, which drops the leaked key at once.`,
      })
    },
  }
}
