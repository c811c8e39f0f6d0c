// The live half of `jwkr services locate`: fetches every issuer's discovery document and JWKS and
// every service's own JWKS, all at once under one concurrency bound, each URL once, then lets the
// pure core decide who publishes the leaked key and who depends on it.
import pLimit from 'p-limit'

import {JwkrError} from '../core/errors.js'
import {
  buildLocateReport,
  readServedKeys,
  type FetchedEndpoint,
  type LeakedKeyRef,
  type LocateResult,
} from '../core/inventory/locate.js'
import type {PlannedCall} from '../core/effect.js'
import type {Inventory} from '../core/inventory/types.js'
import {ThumbprintCache} from '../core/key/thumbprint-cache.js'
import type {SecretRegistry} from '../core/secrets.js'
import {discoverIssuer, wellKnownUrls, type IssuerDiscovery} from '../adapters/http/discover.js'
import {DEFAULT_TIMEOUT_MS, fetchJson, type FetchJsonOptions, type FetchJsonResult} from '../adapters/http/fetch-json.js'

export const DEFAULT_CONCURRENCY = 32

export interface LocateProgress {
  /** Fetches finished so far. */
  done: number
  /** Fetches known so far (it grows as discovery documents name their JWKS). */
  total: number
  url: string
  ok: boolean
}

export interface LocateKeyOptions extends Omit<FetchJsonOptions, 'headers'> {
  secrets: SecretRegistry
  /** Requests in flight at once, across all endpoints. */
  concurrency?: number
  onProgress?: (progress: LocateProgress) => void
}

const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/

/**
 * Fetches every endpoint of the inventory and reports who publishes and who depends on the leaked
 * key. An unreachable endpoint never fails the call: it is listed with its error.
 *
 * @example const result = await locateKey(inventory, {thumbprint, kid}, {secrets, concurrency: 32})
 */
export async function locateKey(inventory: Inventory, leaked: LeakedKeyRef, options: LocateKeyOptions): Promise<LocateResult> {
  const {secrets, concurrency = DEFAULT_CONCURRENCY, onProgress, ...fetchOptions} = options
  checkArguments(leaked, concurrency, fetchOptions.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  const limit = pLimit(concurrency)
  const fetches = new Map<string, Promise<FetchJsonResult>>()
  let done = 0
  const fetcher = (url: string): Promise<FetchJsonResult> => {
    let pending = fetches.get(url)
    if (!pending) {
      pending = limit(() => fetchJson(url, fetchOptions)).then((result) => {
        done++
        onProgress?.({done, total: fetches.size, url, ok: result.ok})
        return result
      })
      fetches.set(url, pending)
    }
    return pending
  }

  // Each JWKS is read (thumbprinted) as soon as it arrives, so that work overlaps the slow fetches.
  const reads = new Map<string, Promise<FetchedEndpoint>>()
  const thumbprints = new ThumbprintCache()
  const readJwks = (url: string): Promise<FetchedEndpoint> => {
    let pending = reads.get(url)
    if (!pending) {
      pending = fetcher(url).then((result) => readJwksEndpoint(result, secrets, thumbprints))
      reads.set(url, pending)
    }
    return pending
  }
  const serviceJwks = inventory.services.flatMap((service) => (service.jwksUri === undefined ? [] : [service.jwksUri]))
  // Started at once, beside discovery; awaited (and any failure surfaced) below.
  for (const url of serviceJwks) readJwks(url).catch(() => undefined)
  const resolutions = await Promise.all(
    inventory.issuers.map(async (issuer) => {
      const resolution = await discoverIssuer(issuer, fetcher)
      if (resolution.jwksUri !== null) readJwks(resolution.jwksUri).catch(() => undefined)
      return resolution
    }),
  )
  const jwksUrls = [...new Set([...resolutions.flatMap((r) => (r.jwksUri === null ? [] : [r.jwksUri])), ...serviceJwks])]
  const jwksEndpoints = await Promise.all(jwksUrls.map(readJwks))
  if (options.signal?.aborted) {
    throw new JwkrError('ERR_ABORTED', 'Locating the key was cancelled before every endpoint answered.', {
      hint: 'Run it again; nothing was changed anywhere.',
    })
  }
  const report = buildLocateReport({
    leaked,
    inventory,
    issuers: resolutions.map(({fetches: _fetches, ...resolution}) => resolution),
    endpoints: [...discoveryEndpoints(resolutions, new Set(jwksUrls)), ...jwksEndpoints],
  })
  // Built from public members only; the check is a second line of defence, and costs one scan.
  return secrets.leaks(JSON.stringify(report)) ? secrets.redactValue(report) : report
}

function checkArguments(leaked: LeakedKeyRef, concurrency: number, timeoutMs: number): void {
  if (!THUMBPRINT.test(leaked.thumbprint)) {
    throw new JwkrError(
      'ERR_USAGE',
      'The leaked key thumbprint is not an RFC 7638 SHA-256 thumbprint (43 base64url characters).',
      {
        hint: 'Pass the thumbprint that `jwkr key thumbprint` prints, or the key itself.',
      },
    )
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new JwkrError('ERR_USAGE', `The concurrency must be a whole number of at least 1, not ${concurrency}.`, {
      hint: 'Use --concurrency 32 (the default) or lower for fragile endpoints.',
    })
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new JwkrError('ERR_USAGE', `The timeout must be a positive number of milliseconds, not ${timeoutMs}.`, {
      hint: 'Use --timeout 5000 (the default).',
    })
  }
}

async function readJwksEndpoint(
  result: FetchJsonResult,
  secrets: SecretRegistry,
  thumbprints: ThumbprintCache,
): Promise<FetchedEndpoint> {
  const base = endpointOf(result, 'jwks')
  if (!result.ok) return base
  const served = await readServedKeys(result.body, {secrets, thumbprints})
  return served.error ? {...base, ok: false, error: served.error} : {...base, keys: served.keys}
}

/** The discovery documents worth listing: those that named a JWKS, and those that failed. */
function discoveryEndpoints(resolutions: IssuerDiscovery[], jwksUrls: Set<string>): FetchedEndpoint[] {
  const byUrl = new Map<string, FetchJsonResult>()
  for (const result of resolutions.flatMap((resolution) => resolution.fetches)) {
    if (!jwksUrls.has(result.url)) byUrl.set(result.url, result)
  }
  return [...byUrl.values()].map((result) => endpointOf(result, 'discovery'))
}

function endpointOf(result: FetchJsonResult, kind: FetchedEndpoint['kind']): FetchedEndpoint {
  const {url, ok, httpStatus, error, durationMs, attempts} = result
  const algs = kind === 'discovery' && ok ? signingAlgsOf(result.body) : []
  return {url, kind, ok, httpStatus, error, durationMs, attempts, keys: [], ...(algs.length > 0 ? {signingAlgs: algs} : {})}
}

/** OIDC Discovery's `id_token_signing_alg_values_supported`: the algorithms the issuer signs with ("none" left out). */
function signingAlgsOf(body: unknown): string[] {
  const listed =
    body !== null && typeof body === 'object' ? (body as Record<string, unknown>).id_token_signing_alg_values_supported : null
  return Array.isArray(listed)
    ? listed.filter((alg): alg is string => typeof alg === 'string' && alg !== 'none' && alg.length <= 16).slice(0, 16)
    : []
}

/**
 * Every URL a locate of this inventory would fetch first, from the inventory alone: discovery
 * documents (or the well-known ones), JWKS given directly, and the services' own JWKS. A JWKS that a
 * discovery document names is only known once it has been fetched.
 */
export function plannedFetches(inventory: Inventory): PlannedCall[] {
  const calls = new Map<string, string[]>()
  const add = (url: string, description: string) => calls.set(url, [...(calls.get(url) ?? []), description])
  for (const issuer of inventory.issuers) {
    const fallback = issuer.jwksUri === undefined ? '' : ` (${issuer.jwksUri} if it fails)`
    if (issuer.discovery !== undefined) {
      add(issuer.discovery, `Discovery document of issuer ${issuer.id}, then the JWKS it names${fallback}`)
      if (issuer.jwksUri !== undefined) add(issuer.jwksUri, `JWKS of issuer ${issuer.id}, only if its discovery document fails`)
    } else if (issuer.jwksUri !== undefined) {
      add(issuer.jwksUri, `JWKS of issuer ${issuer.id}`)
    } else {
      const wellKnown = wellKnownUrls(issuer.issuer)
      if (wellKnown) {
        add(wellKnown.oidc, `OpenID Connect discovery of issuer ${issuer.id}, then the JWKS it names`)
        add(wellKnown.oauth, `RFC 8414 metadata of issuer ${issuer.id}, if the first has no jwks_uri`)
      }
    }
  }
  for (const service of inventory.services) {
    if (service.jwksUri !== undefined) add(service.jwksUri, `JWKS served by service ${service.id}`)
  }
  return [...calls].map(([url, descriptions]) => ({kind: 'http', target: `GET ${url}`, description: descriptions.join('; ')}))
}
