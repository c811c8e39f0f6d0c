// Finds an issuer's JWKS URL: from its discovery document when the inventory names one, else the
// inventory's jwksUri, else the two well-known locations (OIDC Discovery appends its path to the
// issuer; RFC 8414 §3 inserts its own between host and path). Checks the document's `issuer` too.
import type {IssuerResolution, LocateFinding} from '../../core/inventory/locate.js'
import type {InventoryIssuer} from '../../core/inventory/types.js'
import type {FetchJsonResult} from './fetch-json.js'

/** Fetches one JSON document (fetchJson with the run's limits, shared by every fetch of a run). */
export type JsonFetcher = (url: string) => Promise<FetchJsonResult>

export interface IssuerDiscovery extends IssuerResolution {
  /** The discovery fetches behind `discoveryUrls`, for the endpoint list. */
  fetches: FetchJsonResult[]
}

/**
 * The OIDC and RFC 8414 metadata URLs of an issuer, in the order they are tried; null when the
 * issuer is not an http(s) URL.
 *
 * @example wellKnownUrls('https://as.example/tenant1')
 *   // → {oidc: 'https://as.example/tenant1/.well-known/openid-configuration',
 *   //    oauth: 'https://as.example/.well-known/oauth-authorization-server/tenant1'}
 */
export function wellKnownUrls(issuer: string): {oidc: string; oauth: string} | null {
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    return null
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null
  const path = url.pathname.replace(/\/+$/, '')
  return {
    oidc: `${url.origin}${path}/.well-known/openid-configuration`,
    oauth: `${url.origin}/.well-known/oauth-authorization-server${path}`,
  }
}

/**
 * Resolves the JWKS URL of one inventory issuer. Never throws for a remote failure: the resolution
 * carries the error, and the findings say what looked wrong (an `issuer` that does not match, a
 * discovery document that failed when the inventory had a fallback).
 */
export async function discoverIssuer(issuer: InventoryIssuer, fetcher: JsonFetcher): Promise<IssuerDiscovery> {
  const base = {id: issuer.id, findings: [] as LocateFinding[]}
  let candidates: string[]
  if (issuer.discovery !== undefined) {
    candidates = [issuer.discovery]
  } else if (issuer.jwksUri !== undefined) {
    return {...base, discovery: null, jwksUri: issuer.jwksUri, discoveryUrls: [], fetches: [], error: null}
  } else {
    const wellKnown = wellKnownUrls(issuer.issuer)
    if (!wellKnown) {
      const message = `The issuer "${issuer.issuer}" is not an http(s) URL, and the inventory gives neither discovery nor jwksUri.`
      return {...base, discovery: null, jwksUri: null, discoveryUrls: [], fetches: [], error: {code: 'bad-url', message}}
    }
    candidates = [wellKnown.oidc, wellKnown.oauth]
  }

  const failures: {result: FetchJsonResult; message: string}[] = []
  for (const url of candidates) {
    const result = await fetcher(url)
    const named = jwksUriOf(result)
    if (typeof named !== 'string') {
      failures.push({result, message: `${url}: ${named.message}`})
      continue
    }
    const findings = checkDocument(issuer, url, result.body as Record<string, unknown>, named)
    return {...base, findings, discovery: url, jwksUri: named, discoveryUrls: [url], fetches: [result], error: null}
  }

  const reasons = failures.map((failure) => failure.message).join('; ')
  const tried = {discoveryUrls: failures.map((f) => f.result.url), fetches: failures.map((f) => f.result)}
  if (issuer.jwksUri !== undefined) {
    const finding: LocateFinding = {
      severity: 'warning',
      kind: 'discovery-failed',
      message: `The discovery document of ${issuer.id} could not be used (${reasons}); its jwksUri from the inventory was checked instead.`,
      issuer: issuer.id,
      url: candidates[0] ?? '',
    }
    return {...base, ...tried, findings: [finding], discovery: null, jwksUri: issuer.jwksUri, error: null}
  }
  const error = {code: failures.at(-1)?.result.error?.code ?? 'no-jwks-uri', message: `No JWKS URL found: ${reasons}.`}
  return {...base, ...tried, discovery: null, jwksUri: null, error}
}

/** The absolute jwks_uri a discovery response names, or why it names none. */
function jwksUriOf(result: FetchJsonResult): string | {message: string} {
  if (!result.ok) return {message: result.error?.message ?? 'the request failed'}
  const document = result.body
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    return {message: 'the answer is not a metadata document (not a JSON object)'}
  }
  const named = (document as Record<string, unknown>).jwks_uri
  if (typeof named !== 'string' || named === '') return {message: 'the metadata document has no jwks_uri'}
  try {
    return new URL(named, result.finalUrl).href
  } catch {
    return {message: 'the metadata document has a jwks_uri that is not a URL'}
  }
}

/** OIDC Discovery §4.3 and RFC 8414 §3.3: the document's issuer must be identical to the expected one. */
function checkDocument(
  issuer: InventoryIssuer,
  url: string,
  document: Record<string, unknown>,
  jwksUri: string,
): LocateFinding[] {
  const findings: LocateFinding[] = []
  const stated = typeof document.issuer === 'string' ? document.issuer : null
  if (stated !== issuer.issuer) {
    findings.push({
      severity: 'warning',
      kind: 'issuer-mismatch',
      message:
        `The discovery document at ${url} says issuer ${stated === null ? '(none)' : `"${stated}"`}, but the inventory says "${issuer.issuer}": ` +
        'either the inventory points at the wrong document or tokens from this issuer carry another iss. Its JWKS was checked all the same.',
      issuer: issuer.id,
      url,
      expected: issuer.issuer,
      ...(stated === null ? {} : {actual: stated}),
    })
  }
  if (issuer.jwksUri !== undefined && issuer.jwksUri !== jwksUri) {
    findings.push({
      severity: 'info',
      kind: 'jwks-uri-mismatch',
      message: `The inventory gives ${issuer.id} the jwksUri ${issuer.jwksUri}, but its discovery document names ${jwksUri}; the discovered one was checked. Update the inventory.`,
      issuer: issuer.id,
      url,
      expected: issuer.jwksUri,
      actual: jwksUri,
    })
  }
  return findings
}
