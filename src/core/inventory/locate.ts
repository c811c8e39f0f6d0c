// Who publishes the leaked key and who depends on it, decided from what the endpoints served. Pure:
// the HTTP adapter fetches, this module reads the JWKS documents and builds the report. Identity is
// the canonical RFC 7638 thumbprint; a kid is only a hint, and the same kid on another key is a finding.
import {JwkrError} from '../errors.js'
import {privateMemberNames} from '../key/canonical-key.js'
import {ThumbprintCache} from '../key/thumbprint-cache.js'
import {MAX_JWKS_KEYS} from '../nesting.js'
import type {SecretRegistry} from '../secrets.js'
import type {Inventory, InventoryIssuer, ServiceContacts} from './types.js'

/** The leaked key as locate needs it: its RFC 7638 SHA-256 thumbprint and, when known, its kid. */
export interface LeakedKeyRef {
  thumbprint: string
  kid: string | null
}

export interface EndpointError {
  code: string
  message: string
}

export type FindingSeverity = 'critical' | 'warning' | 'info'

export type FindingKind =
  | 'jwks-serves-private-members'
  | 'kid-collision'
  | 'issuer-mismatch'
  | 'jwks-uri-mismatch'
  | 'discovery-failed'
  | 'issuer-unchecked'
  | 'service-jwks-unchecked'
  | 'invalid-served-key'
  | 'unknown-issuer'

export interface FindingKey {
  kid: string | null
  thumbprint: string | null
  /** Names of the private members served (never their values). */
  members?: string[]
}

export interface LocateFinding {
  severity: FindingSeverity
  kind: FindingKind
  message: string
  url?: string
  issuer?: string
  services?: string[]
  owners?: EndpointOwner[]
  keys?: FindingKey[]
  expected?: string
  actual?: string
}

/** One entry of a served JWKS, read without losing its neighbours when it is broken. */
export interface ServedKey {
  index: number
  kid: string | null
  kty: string | null
  /** The entry's `alg` and `use`, as served: what a token signed with it carries and is checked against. */
  alg: string | null
  use: string | null
  /** Canonical RFC 7638 SHA-256 thumbprint; null when the entry is not a readable key. */
  thumbprint: string | null
  /** Private members present in the served entry (names only). */
  privateMembers: string[]
  /** Why the entry could not be read (never quotes member values). */
  error: string | null
}

export interface ServedKeys {
  keys: ServedKey[]
  /** Set when the document is not a JWKS at all. */
  error: EndpointError | null
}

/** How an issuer's JWKS URL was found (the output of discovery). */
export interface IssuerResolution {
  id: string
  /** The discovery document that named the JWKS, or null when the inventory's `jwksUri` was used. */
  discovery: string | null
  jwksUri: string | null
  /** The discovery URLs reported as endpoints: the one that answered, or every one tried when none did. */
  discoveryUrls: string[]
  /** Why no JWKS URL could be found. */
  error: EndpointError | null
  findings: LocateFinding[]
}

export type EndpointKind = 'discovery' | 'jwks'

/** One URL as fetched, with the keys it served already read. */
export interface FetchedEndpoint {
  url: string
  kind: EndpointKind
  ok: boolean
  httpStatus: number | null
  error: EndpointError | null
  durationMs: number
  attempts: number
  keys: ServedKey[]
  /** A discovery document's id_token_signing_alg_values_supported: canaries sign with one when nothing else says. */
  signingAlgs?: string[]
}

export interface EndpointOwner {
  type: 'issuer' | 'service'
  id: string
}

export interface LocateEndpoint extends FetchedEndpoint {
  owners: EndpointOwner[]
  servesLeakedKey: boolean
  privateMembersServed: FindingKey[]
}

export type IssuerStatus = 'publishes' | 'does-not-publish' | 'unknown'

export interface LocateIssuer {
  id: string
  issuer: string
  /** null when the JWKS could not be read: unknown is not "no". */
  publishes: boolean | null
  /** The kid, alg and use under which the leaked key is served (what an attacker's token carries). */
  kid: string | null
  alg: string | null
  use: string | null
  jwksUri: string | null
  discovery: string | null
  status: IssuerStatus
  error: EndpointError | null
}

export type DependencyReasonKind = 'trusts-publishing-issuer' | 'serves-leaked-key'

export interface DependencyReason {
  kind: DependencyReasonKind
  message: string
  issuer?: string
  url?: string
  kid?: string | null
}

export interface LocateService {
  id: string
  team: string
  contacts: ServiceContacts
  reasons: DependencyReason[]
}

/** The `--json` document of `jwkr services locate`. Holds public material only. */
export interface LocateResult {
  thumbprint: string
  kid: string | null
  issuers: LocateIssuer[]
  /** The dependents: services that trust a publishing issuer or serve the key themselves. */
  services: LocateService[]
  endpoints: LocateEndpoint[]
  /** Ordered critical first. */
  findings: LocateFinding[]
}

export interface LocateInput {
  leaked: LeakedKeyRef
  inventory: Inventory
  issuers: IssuerResolution[]
  endpoints: FetchedEndpoint[]
}

/**
 * Reads a served JWKS document entry by entry: each key is canonicalised and thumbprinted, private
 * members are named (and their values registered as secrets first), and a broken entry is reported
 * beside the others instead of losing them. Give a run's documents one `thumbprints` cache, so that
 * a key served at many endpoints is worked out once.
 *
 * @example const {keys} = await readServedKeys(await response.json(), {secrets, thumbprints})
 */
export async function readServedKeys(
  document: unknown,
  {secrets, thumbprints = new ThumbprintCache()}: {secrets: SecretRegistry; thumbprints?: ThumbprintCache},
): Promise<ServedKeys> {
  secrets.addJwk(document)
  // A bare JWK where a JWKS belongs is read as a set of one: what it serves matters more than its shape.
  const entries = !isRecord(document)
    ? null
    : Array.isArray(document.keys)
      ? (document.keys as unknown[])
      : typeof document.kty === 'string'
        ? [document]
        : null
  for (const entry of entries ?? []) secrets.addJwk(entry)
  if (!entries) {
    return {keys: [], error: {code: 'not-jwks', message: 'The document is not a JWKS: it has no "keys" array.'}}
  }
  if (entries.length > MAX_JWKS_KEYS) {
    const count = entries.length.toLocaleString('en')
    return {
      keys: [],
      error: {
        code: 'too-many-keys',
        message: `The JWKS holds ${count} entries; jwkr reads at most ${MAX_JWKS_KEYS.toLocaleString('en')}.`,
      },
    }
  }
  return {keys: entries.map((entry, index) => readServedKey(entry, index, thumbprints)), error: null}
}

function readServedKey(entry: unknown, index: number, thumbprints: ThumbprintCache): ServedKey {
  const raw = isRecord(entry) ? entry : {}
  const served: ServedKey = {
    index,
    kid: typeof raw.kid === 'string' ? raw.kid : null,
    kty: typeof raw.kty === 'string' ? raw.kty : null,
    alg: typeof raw.alg === 'string' ? raw.alg : null,
    use: typeof raw.use === 'string' ? raw.use : null,
    thumbprint: null,
    privateMembers: privateMemberNames(raw),
    error: null,
  }
  try {
    // Only the SHA-256 thumbprint identifies a key here; `thumbprintsOf` would hash three times per key.
    served.thumbprint = thumbprints.thumbprintOf(entry, `key #${index}`)
  } catch (error) {
    if (!(error instanceof JwkrError)) throw error
    served.error = error.message
  }
  return served
}

/**
 * Builds the locate report: which issuers publish the leaked key (by thumbprint, whatever the kid),
 * which services depend on it and why, and what else the endpoints revealed.
 */
export function buildLocateReport(input: LocateInput): LocateResult {
  const {leaked, inventory} = input
  const resolutions = new Map(input.issuers.map((resolution) => [resolution.id, resolution]))
  const owners = ownersByUrl(input)
  const endpoints = input.endpoints.map((endpoint) => describeEndpoint(endpoint, owners.get(endpoint.url) ?? [], leaked))
  const byUrl = new Map(endpoints.map((endpoint) => [endpoint.url, endpoint]))
  const issuers = inventory.issuers.map((issuer) => issuerStatus(issuer, resolutions.get(issuer.id), byUrl, leaked))
  const issuersById = new Map(issuers.map((issuer) => [issuer.id, issuer]))
  const findings: LocateFinding[] = input.issuers.flatMap((resolution) => resolution.findings)
  findings.push(...endpoints.flatMap((endpoint) => endpointFindings(endpoint, leaked)))
  findings.push(...uncheckedIssuerFindings(issuers, inventory))

  const services: LocateService[] = []
  for (const service of inventory.services) {
    const reasons: DependencyReason[] = []
    for (const id of service.trusts) {
      const issuer = issuersById.get(id)
      if (!issuer) {
        findings.push({
          severity: 'warning',
          kind: 'unknown-issuer',
          message: `Service ${service.id} trusts "${id}", which is not an issuer in the inventory: it was not checked.`,
          issuer: id,
          services: [service.id],
        })
      } else if (issuer.publishes) {
        reasons.push({
          kind: 'trusts-publishing-issuer',
          issuer: id,
          kid: issuer.kid,
          message: `Trusts ${id}, which publishes the leaked key${issuer.kid ? ` as kid "${issuer.kid}"` : ''}.`,
        })
      }
    }
    const own = service.jwksUri === undefined ? undefined : byUrl.get(service.jwksUri)
    if (own?.servesLeakedKey) {
      const kid = own.keys.find((key) => key.thumbprint === leaked.thumbprint)?.kid ?? null
      reasons.push({kind: 'serves-leaked-key', url: own.url, kid, message: `Serves the leaked key itself at ${own.url}.`})
    }
    if (own && !own.ok) {
      findings.push({
        severity: 'warning',
        kind: 'service-jwks-unchecked',
        message: `Cannot tell whether service ${service.id} serves the leaked key: ${own.url} failed (${own.error?.message ?? 'unknown error'}).`,
        url: own.url,
        services: [service.id],
      })
    }
    if (reasons.length > 0) services.push({id: service.id, team: service.team, contacts: {...service.contacts}, reasons})
  }
  return {thumbprint: leaked.thumbprint, kid: leaked.kid, issuers, services, endpoints, findings: bySeverity(findings)}
}

/** Who named each URL: issuers through discovery or jwksUri, services through their own jwksUri. */
function ownersByUrl({issuers, inventory}: LocateInput): Map<string, EndpointOwner[]> {
  const owners = new Map<string, EndpointOwner[]>()
  const add = (url: string, owner: EndpointOwner) => {
    const list = owners.get(url) ?? []
    if (!list.some((known) => known.type === owner.type && known.id === owner.id)) list.push(owner)
    owners.set(url, list)
  }
  for (const resolution of issuers) {
    for (const url of [...resolution.discoveryUrls, ...(resolution.jwksUri === null ? [] : [resolution.jwksUri])]) {
      add(url, {type: 'issuer', id: resolution.id})
    }
  }
  for (const service of inventory.services) {
    if (service.jwksUri !== undefined) add(service.jwksUri, {type: 'service', id: service.id})
  }
  return owners
}

function describeEndpoint(endpoint: FetchedEndpoint, owners: EndpointOwner[], leaked: LeakedKeyRef): LocateEndpoint {
  return {
    ...endpoint,
    keys: endpoint.keys.map((key) => ({...key, privateMembers: [...key.privateMembers]})),
    owners,
    servesLeakedKey: endpoint.keys.some((key) => key.thumbprint === leaked.thumbprint),
    privateMembersServed: endpoint.keys
      .filter((key) => key.privateMembers.length > 0)
      .map((key) => ({kid: key.kid, thumbprint: key.thumbprint, members: [...key.privateMembers]})),
  }
}

function issuerStatus(
  issuer: InventoryIssuer,
  resolution: IssuerResolution | undefined,
  byUrl: Map<string, LocateEndpoint>,
  leaked: LeakedKeyRef,
): LocateIssuer {
  const base = {
    id: issuer.id,
    issuer: issuer.issuer,
    jwksUri: resolution?.jwksUri ?? null,
    discovery: resolution?.discovery ?? null,
  }
  const unknown = (error: EndpointError): LocateIssuer => ({
    ...base,
    publishes: null,
    kid: null,
    alg: null,
    use: null,
    status: 'unknown',
    error,
  })
  if (!resolution) return unknown({code: 'not-checked', message: 'The issuer was not checked.'})
  if (!resolution.jwksUri) return unknown(resolution.error ?? {code: 'no-jwks-uri', message: 'No JWKS URL was found.'})
  const endpoint = byUrl.get(resolution.jwksUri)
  if (!endpoint) return unknown({code: 'not-checked', message: `${resolution.jwksUri} was not fetched.`})
  if (!endpoint.ok) return unknown(endpoint.error ?? {code: 'unknown', message: 'The JWKS could not be read.'})
  const match = endpoint.keys.find((key) => key.thumbprint === leaked.thumbprint)
  return match
    ? {...base, publishes: true, kid: match.kid, alg: match.alg, use: match.use, status: 'publishes', error: null}
    : {...base, publishes: false, kid: null, alg: null, use: null, status: 'does-not-publish', error: null}
}

function endpointFindings(endpoint: LocateEndpoint, leaked: LeakedKeyRef): LocateFinding[] {
  const findings: LocateFinding[] = []
  const where = {url: endpoint.url, owners: endpoint.owners}
  if (endpoint.privateMembersServed.length > 0) {
    const members = [...new Set(endpoint.privateMembersServed.flatMap((key) => key.members ?? []))]
    findings.push({
      severity: 'critical',
      kind: 'jwks-serves-private-members',
      message:
        `${endpoint.url} serves private key material (${members.join(', ')}) in ${endpoint.privateMembersServed.length} key(s): ` +
        'the endpoint itself leaks. Treat every one of these keys as compromised and fix what builds this JWKS.',
      ...where,
      keys: endpoint.privateMembersServed,
    })
  }
  const collisions =
    leaked.kid === null ? [] : endpoint.keys.filter((k) => k.kid === leaked.kid && k.thumbprint !== leaked.thumbprint)
  if (collisions.length > 0) {
    findings.push({
      severity: 'warning',
      kind: 'kid-collision',
      message:
        `${endpoint.url} serves another key under the leaked kid "${leaked.kid}": it is not the leaked key (the thumbprints differ), ` +
        'but a verifier that picks keys by kid alone may confuse them.',
      ...where,
      keys: collisions.map((key) => ({kid: key.kid, thumbprint: key.thumbprint})),
    })
  }
  const invalid = endpoint.keys.filter((key) => key.error !== null)
  if (invalid.length > 0) {
    findings.push({
      severity: 'info',
      kind: 'invalid-served-key',
      message: `${endpoint.url} serves ${invalid.length} entr${invalid.length === 1 ? 'y' : 'ies'} that are not readable keys: ${invalid.map((key) => key.error).join(' ')}`,
      ...where,
      keys: invalid.map((key) => ({kid: key.kid, thumbprint: null})),
    })
  }
  return findings
}

function uncheckedIssuerFindings(issuers: LocateIssuer[], inventory: Inventory): LocateFinding[] {
  const trustedBy = new Map<string, string[]>()
  for (const service of inventory.services) {
    for (const id of service.trusts) trustedBy.set(id, [...(trustedBy.get(id) ?? []), service.id])
  }
  return issuers
    .filter((issuer) => issuer.publishes === null)
    .map((issuer) => {
      const services = trustedBy.get(issuer.id) ?? []
      const trusting = services.length > 0 ? ` Services that trust it: ${services.join(', ')}.` : ''
      const url = issuer.jwksUri ?? issuer.discovery
      const where = url ? `${url}: ` : ''
      return {
        severity: 'warning',
        kind: 'issuer-unchecked',
        message: `Cannot tell whether ${issuer.id} publishes the leaked key: ${where}${issuer.error?.message ?? 'its JWKS could not be read.'}${trusting}`,
        issuer: issuer.id,
        services,
        ...(issuer.jwksUri ? {url: issuer.jwksUri} : {}),
      } satisfies LocateFinding
    })
}

const SEVERITY_ORDER: Record<FindingSeverity, number> = {critical: 0, warning: 1, info: 2}

/** Critical first; the sort is stable, so findings keep their inventory order within a severity. */
function bySeverity(findings: LocateFinding[]): LocateFinding[] {
  return [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity])
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
