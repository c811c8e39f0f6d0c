// One round of JWKS re-checks for `jwkr verify`: every issuer's JWKS (found again through discovery,
// as locate finds it) and every service's own JWKS, each URL fetched once, read key by key, and
// matched on the leaked key's thumbprint. Each answer becomes evidence with a hash of what was served.
import {createHash} from 'node:crypto'

import pLimit from 'p-limit'

import type {JwksEvidence} from '../../core/containment/verdict.js'
import {readServedKeys, type EndpointOwner, type LeakedKeyRef} from '../../core/inventory/locate.js'
import type {Inventory} from '../../core/inventory/types.js'
import {ThumbprintCache} from '../../core/key/thumbprint-cache.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {discoverIssuer} from '../http/discover.js'
import {fetchJson, type FetchJsonOptions, type FetchJsonResult} from '../http/fetch-json.js'

export interface CheckJwksOptions extends Omit<FetchJsonOptions, 'headers'> {
  secrets: SecretRegistry
  concurrency?: number
}

interface Target {
  url: string
  owners: EndpointOwner[]
  /** Why the issuer's JWKS URL could not be found (the URL is then the discovery document's). */
  failure?: {error: string; httpStatus: number | null; durationMs: number}
}

/**
 * Fetches every JWKS of the inventory again and says, for each, whether it still serves the key.
 *
 * @example const evidence = await checkJwks(inventory, {thumbprint, kid}, {secrets, timeoutMs: 5000})
 */
export async function checkJwks(inventory: Inventory, leaked: LeakedKeyRef, options: CheckJwksOptions): Promise<JwksEvidence[]> {
  const {secrets, concurrency = 16, ...fetchOptions} = options
  const limit = pLimit(concurrency)
  const fetches = new Map<string, Promise<FetchJsonResult>>()
  const fetcher = (url: string): Promise<FetchJsonResult> => {
    let pending = fetches.get(url)
    if (!pending) {
      pending = limit(() => fetchJson(url, fetchOptions))
      fetches.set(url, pending)
    }
    return pending
  }
  const targets = new Map<string, Target>()
  const add = (url: string, owner: EndpointOwner, failure?: Target['failure']) => {
    const target = targets.get(url) ?? {url, owners: [], ...(failure ? {failure} : {})}
    if (!target.owners.some((known) => known.type === owner.type && known.id === owner.id)) target.owners.push(owner)
    targets.set(url, target)
  }
  const resolutions = await Promise.all(inventory.issuers.map((issuer) => discoverIssuer(issuer, fetcher)))
  for (const resolution of resolutions) {
    const owner: EndpointOwner = {type: 'issuer', id: resolution.id}
    if (resolution.jwksUri !== null) {
      add(resolution.jwksUri, owner)
    } else {
      const last = resolution.fetches.at(-1)
      add(last?.url ?? resolution.discoveryUrls[0] ?? `issuer:${resolution.id}`, owner, {
        error: resolution.error?.message ?? 'no JWKS URL was found',
        httpStatus: last?.httpStatus ?? null,
        durationMs: last?.durationMs ?? 0,
      })
    }
  }
  for (const service of inventory.services) {
    if (service.jwksUri !== undefined) add(service.jwksUri, {type: 'service', id: service.id})
  }
  // One cache per check: the keys it reads are worked out once, and nothing outlives the check.
  const read = {secrets, thumbprints: new ThumbprintCache()}
  return Promise.all([...targets.values()].map((target) => checkTarget(target, leaked, fetcher, read)))
}

async function checkTarget(
  target: Target,
  leaked: LeakedKeyRef,
  fetcher: (url: string) => Promise<FetchJsonResult>,
  read: {secrets: SecretRegistry; thumbprints: ThumbprintCache},
): Promise<JwksEvidence> {
  const checkedAt = new Date().toISOString()
  const base = {kind: 'jwks' as const, url: target.url, owners: target.owners, checkedAt, kid: null, alg: null, use: null}
  if (target.failure) return {...base, ...target.failure, bodySha256: null, servesLeakedKey: null}
  const result = await fetcher(target.url)
  const fetched = {httpStatus: result.httpStatus, durationMs: result.durationMs}
  if (!result.ok)
    return {...base, ...fetched, bodySha256: null, servesLeakedKey: null, error: result.error?.message ?? 'the request failed'}
  const bodySha256 = createHash('sha256').update(JSON.stringify(result.body)).digest('hex')
  const served = await readServedKeys(result.body, read)
  if (served.error) return {...base, ...fetched, bodySha256, servesLeakedKey: null, error: served.error.message}
  const match = served.keys.find((key) => key.thumbprint === leaked.thumbprint)
  return {
    ...base,
    ...fetched,
    bodySha256,
    servesLeakedKey: match !== undefined,
    kid: match?.kid ?? null,
    alg: match?.alg ?? null,
    use: match?.use ?? null,
    error: null,
  }
}
