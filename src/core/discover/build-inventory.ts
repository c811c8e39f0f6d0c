// Assembles findings into an inventory draft: issuers grouped by their `iss` (or, when no
// configuration states it, by JWKS URL), services by workload or component with the issuers they
// trust, cache lifetimes and verifiers, and owners and contacts from the catalog. Every entry keeps
// the provenance of what it was built from, and everything that had to be left open is listed as
// "to confirm" instead of being guessed.
import {parse as parseYaml} from 'yaml'

import {VERIFIER_PROFILES} from '../containment/verifier-profiles.js'
import type {
  InventoryIssuer,
  InventoryService,
  IssuerKeyStoreConfig,
  ServiceProbe,
  VerifierProfileId,
  Inventory,
} from '../inventory/types.js'
import {toId} from './config-values.js'
import type {CatalogEntity, Finding, Provenance, TrustFinding, UnresolvedFinding} from './types.js'

export interface DiscoveredIssuer {
  issuer: InventoryIssuer
  /** Where it was named. */
  from: Provenance[]
  /** What a person must check or fill in (no configuration states it). */
  toConfirm: string[]
}

/** The service fields discovery fills, each with where it was read. */
export type ServiceField = 'trusts' | 'team' | 'contacts' | 'repo' | 'jwksCacheSeconds' | 'verifier' | 'probe' | 'cacheBust'

export interface DiscoveredService {
  service: InventoryService
  from: Partial<Record<ServiceField, Provenance[]>>
  toConfirm: string[]
}

export interface DiscoveredInventory {
  issuers: DiscoveredIssuer[]
  services: DiscoveredService[]
  /** Values that name an issuer or JWKS but could not be read as written. */
  unresolved: UnresolvedFinding[]
}

/** The team of a service no catalog owns. */
export const UNKNOWN_TEAM = 'unknown'

const ANNOTATION = {
  issuer: 'jwkr.dev/issuer',
  jwksUri: 'jwkr.dev/jwks-uri',
  discovery: 'jwkr.dev/discovery',
  keySource: 'jwkr.dev/key-source',
  probe: 'jwkr.dev/probe',
  cacheBust: 'jwkr.dev/cache-bust',
} as const

interface IssuerGroup {
  /** The iss, or null when only a JWKS URL or discovery document was stated. */
  issuer: string | null
  jwksUris: string[]
  discovery: string | null
  keySource: {value: IssuerKeyStoreConfig; from: Provenance} | null
  from: Provenance[]
  toConfirm: string[]
}

/**
 * @example const draft = buildInventory(findings); inventoryOf(draft).services.map((s) => s.id)
 */
export function buildInventory(findings: readonly Finding[]): DiscoveredInventory {
  const trusts = findings.filter((finding): finding is TrustFinding => finding.kind === 'trust')
  // The same catalog read twice (in a tree and with --backstage) names each entity once.
  const entities = [
    ...new Map(
      findings
        .filter((finding): finding is CatalogEntity => finding.kind === 'entity')
        .reverse()
        .map((entity) => [entity.ref, entity]),
    ).values(),
  ].reverse()
  const unresolved = findings.filter((finding): finding is UnresolvedFinding => finding.kind === 'unresolved')

  const groups: IssuerGroup[] = []
  const apiIssuer = new Map<string, IssuerGroup>()
  for (const entity of entities) {
    const issuer = entity.jwkr[ANNOTATION.issuer]
    if (issuer === undefined) continue
    const group = groupFor(groups, issuer, null)
    group.from.push(entity.at)
    addJwks(group, entity.jwkr[ANNOTATION.jwksUri])
    group.discovery ??= entity.jwkr[ANNOTATION.discovery] ?? null
    const keySource = keySourceAnnotation(entity)
    if (keySource) group.keySource = {value: keySource, from: entity.at}
    else if (entity.jwkr[ANNOTATION.keySource] !== undefined) {
      group.toConfirm.push(`${entity.ref} has a ${ANNOTATION.keySource} annotation that is not a key source map: fix it`)
    }
    apiIssuer.set(entity.ref, group)
  }
  // Findings that state the iss first, so a JWKS-only finding can join the issuer it belongs to.
  const ordered = [...trusts].sort((a, b) => Number(a.issuer === undefined) - Number(b.issuer === undefined))
  const groupOf = new Map<TrustFinding, IssuerGroup>()
  for (const trust of ordered) {
    const group = trust.issuer !== undefined ? groupFor(groups, trust.issuer, null) : jwksGroup(groups, trust)
    group.from.push(trust.at)
    addJwks(group, trust.jwksUri)
    group.discovery ??= trust.discovery ?? null
    if (trust.keySource && !group.keySource) group.keySource = {value: trust.keySource, from: trust.at}
    groupOf.set(trust, group)
  }

  const issuers = nameIssuers(groups)
  const idOf = new Map(issuers.map(({group, discovered}) => [group, discovered.issuer.id]))
  const services = new Map<string, ServiceDraft>()
  for (const trust of trusts) {
    const draft = serviceDraft(services, toId(trust.service))
    const issuerId = idOf.get(groupOf.get(trust) as IssuerGroup) as string
    if (!draft.trusts.includes(issuerId)) draft.trusts.push(issuerId)
    push(draft.from, 'trusts', trust.at)
    if (trust.cacheSeconds !== undefined) {
      draft.cacheSeconds = Math.max(draft.cacheSeconds ?? 0, trust.cacheSeconds)
      push(draft.from, 'jwksCacheSeconds', trust.at)
    }
    if (trust.verifier !== undefined) {
      if (!draft.verifiers.includes(trust.verifier)) draft.verifiers.push(trust.verifier)
      push(draft.from, 'verifier', trust.at)
    }
  }
  applyCatalog(services, entities, apiIssuer, idOf)
  return {
    issuers: issuers.map(({discovered}) => discovered).sort((a, b) => a.issuer.id.localeCompare(b.issuer.id)),
    services: [...services.values()].map(finishService).sort((a, b) => a.service.id.localeCompare(b.service.id)),
    unresolved,
  }
}

/** The inventory itself, without provenance. */
export function inventoryOf(discovered: DiscoveredInventory): Inventory {
  return {
    version: 1,
    issuers: discovered.issuers.map(({issuer}) => issuer),
    services: discovered.services.map(({service}) => service),
  }
}

function groupFor(groups: IssuerGroup[], issuer: string, jwks: string | null): IssuerGroup {
  const found = groups.find((group) => group.issuer === issuer)
  if (found) return found
  const group: IssuerGroup = {issuer, jwksUris: jwks ? [jwks] : [], discovery: null, keySource: null, from: [], toConfirm: []}
  groups.push(group)
  return group
}

/** The issuer a JWKS-only (or discovery-only) finding belongs to: one that serves that JWKS, or whose URL it lies under. */
function jwksGroup(groups: IssuerGroup[], trust: TrustFinding): IssuerGroup {
  const url = (trust.jwksUri ?? trust.discovery) as string
  const serving = groups.find((group) => group.jwksUris.includes(url) || group.discovery === url)
  if (serving) return serving
  const under = groups
    .filter((group) => group.issuer !== null && /^https?:\/\//.test(group.issuer) && url.startsWith(withSlash(group.issuer)))
    .sort((a, b) => (b.issuer as string).length - (a.issuer as string).length)[0]
  if (under) return under
  const group: IssuerGroup = {issuer: null, jwksUris: [], discovery: null, keySource: null, from: [], toConfirm: []}
  groups.push(group)
  return group
}

function addJwks(group: IssuerGroup, uri: string | undefined): void {
  if (uri !== undefined && !group.jwksUris.includes(uri)) group.jwksUris.push(uri)
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`
}

function nameIssuers(groups: IssuerGroup[]): Array<{group: IssuerGroup; discovered: DiscoveredIssuer}> {
  const taken = new Set<string>()
  return groups.map((group) => {
    const toConfirm = [...group.toConfirm]
    const jwksUri = group.jwksUris[0]
    let issuer = group.issuer
    if (issuer === null) {
      const url = new URL((jwksUri ?? group.discovery) as string)
      issuer = url.origin
      toConfirm.push(
        `issuer: no configuration states the iss claim; ${issuer} (the origin of ${url.href}) stands in: set the iss its tokens carry`,
      )
    }
    if (group.jwksUris.length > 1) {
      toConfirm.push(
        `jwksUri: services name ${group.jwksUris.length} JWKS URLs for this issuer (${group.jwksUris.join(', ')}): keep the one it serves`,
      )
    }
    const keySource = group.keySource?.value ?? keySourceFromUrl(issuer)
    if (keySource === null) {
      toConfirm.push('keySource: where its keys are managed is not in any configuration read: manual until set')
    }
    const id = uniqueId(issuerIdOf(issuer), taken)
    return {
      group,
      discovered: {
        issuer: {
          id,
          issuer,
          ...(group.discovery ? {discovery: group.discovery} : {}),
          ...(jwksUri ? {jwksUri} : {}),
          keySource: keySource ?? {type: 'manual'},
        },
        from: unique([...(group.keySource ? [group.keySource.from] : []), ...group.from]),
        toConfirm,
      },
    }
  })
}

/** Key stores whose URLs say what they are: Keycloak realms, Okta authorization servers, Auth0 tenants. */
function keySourceFromUrl(issuer: string): IssuerKeyStoreConfig | null {
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    return null
  }
  const realm = /^(.*)\/realms\/([^/]+)\/?$/.exec(url.pathname)
  if (realm) return {type: 'keycloak', baseUrl: `${url.origin}${realm[1] as string}`, realm: realm[2] as string}
  const okta = /^\/oauth2\/([^/]+)\/?$/.exec(url.pathname)
  if (okta && /\.(okta|oktapreview|okta-emea)\.com$/.test(url.hostname)) {
    return {type: 'okta', domain: url.hostname, authServerId: okta[1] as string}
  }
  if (/\.auth0\.com$/.test(url.hostname)) return {type: 'auth0', domain: url.hostname}
  return null
}

function issuerIdOf(issuer: string): string {
  try {
    const url = new URL(issuer)
    const path = url.pathname.replace(/\/\.well-known\/.*$/, '').replace(/\/+$/, '')
    return toId(`${url.host}${path}`.replace(/[/:]/g, '-'))
  } catch {
    return toId(issuer)
  }
}

function unique(list: Provenance[]): Provenance[] {
  const seen = new Set<string>()
  return list.filter((at) => {
    const key = `${at.entity}|${at.file}|${at.line}`
    return seen.has(key) ? false : (seen.add(key), true)
  })
}

function uniqueId(id: string, taken: Set<string>): string {
  let candidate = id
  for (let n = 2; taken.has(candidate); n++) candidate = `${id}-${n}`
  taken.add(candidate)
  return candidate
}

interface ServiceDraft {
  id: string
  trusts: string[]
  cacheSeconds?: number
  verifiers: VerifierProfileId[]
  component?: CatalogEntity
  team?: {name: string; from: Provenance}
  contacts: {slack?: string; email?: string}
  probe?: ServiceProbe
  cacheBust?: {url: string; method?: 'POST' | 'PUT' | 'GET'}
  repo?: string
  from: Partial<Record<ServiceField, Provenance[]>>
}

function serviceDraft(services: Map<string, ServiceDraft>, id: string): ServiceDraft {
  let draft = services.get(id)
  if (!draft) {
    draft = {id, trusts: [], verifiers: [], contacts: {}, from: {}}
    services.set(id, draft)
  }
  return draft
}

function push(from: Partial<Record<ServiceField, Provenance[]>>, field: ServiceField, at: Provenance): void {
  const list = (from[field] ??= [])
  if (!list.some((known) => known.file === at.file && known.line === at.line && known.entity === at.entity)) list.push(at)
}

/**
 * Components give owners, contacts, repositories and jwkr's probe and cache-bust hooks to the services
 * of the same name (or repository); a Component that consumes an issuer's API trusts that issuer.
 */
function applyCatalog(
  services: Map<string, ServiceDraft>,
  entities: CatalogEntity[],
  apiIssuer: Map<string, IssuerGroup>,
  idOf: Map<IssuerGroup, string>,
): void {
  const groups = new Map(entities.filter((entity) => entity.entityKind === 'Group').map((entity) => [entity.ref, entity]))
  for (const component of entities.filter((entity) => entity.entityKind === 'Component')) {
    const consumed = (component.consumesApis ?? []).flatMap((ref) => {
      const group = apiIssuer.get(ref)
      return group ? [idOf.get(group) as string] : []
    })
    const repoName = component.repo?.split('/')[1]
    const match =
      services.get(toId(component.name)) ??
      [...services.values()].find((draft) => repoName !== undefined && draft.id === toId(repoName))
    if (!match && consumed.length === 0) continue
    const draft = match ?? serviceDraft(services, toId(component.name))
    draft.component = component
    for (const id of consumed) {
      if (!draft.trusts.includes(id)) draft.trusts.push(id)
      push(draft.from, 'trusts', component.at)
    }
    const owner = component.owner === undefined ? undefined : groups.get(component.owner)
    if (component.owner !== undefined) {
      draft.team = {name: owner?.name ?? component.owner.replace(/^[^:]+:[^/]+\//, ''), from: component.at}
      push(draft.from, 'team', component.at)
    }
    const slack = component.slack ?? owner?.slack
    const email = component.email ?? owner?.email
    if (slack) draft.contacts.slack = slack
    if (email) draft.contacts.email = email
    for (const source of [
      component.slack || component.email ? component : undefined,
      owner?.slack || owner?.email ? owner : undefined,
    ]) {
      if (source) push(draft.from, 'contacts', source.at)
    }
    if (component.repo) {
      draft.repo = component.repo
      push(draft.from, 'repo', component.at)
    }
    const probe = hookOf(component.jwkr[ANNOTATION.probe], 'GET')
    if (probe) {
      draft.probe = {url: probe.url, method: probe.method}
      push(draft.from, 'probe', component.at)
    }
    const bust = hookOf(component.jwkr[ANNOTATION.cacheBust], 'POST')
    if (bust && (bust.method === 'POST' || bust.method === 'PUT' || bust.method === 'GET')) {
      draft.cacheBust = {url: bust.url, method: bust.method}
      push(draft.from, 'cacheBust', component.at)
    }
  }
}

/** `URL` or `METHOD URL`. */
function hookOf(text: string | undefined, method: string): {url: string; method: string} | null {
  if (text === undefined) return null
  const match = /^\s*(?:([A-Z]+)\s+)?(https?:\/\/\S+)\s*$/.exec(text)
  return match ? {url: match[2] as string, method: match[1] ?? method} : null
}

function keySourceAnnotation(entity: CatalogEntity): IssuerKeyStoreConfig | null {
  const text = entity.jwkr[ANNOTATION.keySource]
  if (text === undefined) return null
  try {
    const value: unknown = parseYaml(text)
    return value !== null && typeof value === 'object' && typeof (value as {type?: unknown}).type === 'string'
      ? (value as IssuerKeyStoreConfig)
      : null
  } catch {
    return null
  }
}

function finishService(draft: ServiceDraft): DiscoveredService {
  const toConfirm: string[] = []
  if (!draft.team)
    toConfirm.push(`team, contacts: no catalog entity owns ${draft.id}: set its owner (a Backstage catalog-info.yaml, or here)`)
  // Of several verifiers in one service, the one whose documented cache is longest sets the clock.
  const verifier = [...draft.verifiers].sort((a, b) => VERIFIER_PROFILES[b].cacheSeconds - VERIFIER_PROFILES[a].cacheSeconds)[0]
  if (draft.verifiers.length > 1) {
    toConfirm.push(
      `verifier: ${draft.verifiers.join(', ')} all verify its tokens; ${verifier as string} keeps a removed key longest`,
    )
  }
  if (!draft.probe) toConfirm.push('probe: no URL is known that answers 401 to a rejected token: add one to prove containment')
  const service: InventoryService = {
    id: draft.id,
    team: draft.team?.name ?? UNKNOWN_TEAM,
    contacts: draft.contacts,
    trusts: [...draft.trusts].sort(),
    ...(draft.probe ? {probe: draft.probe} : {}),
    ...(draft.cacheSeconds !== undefined ? {jwksCacheSeconds: Math.ceil(draft.cacheSeconds)} : {}),
    ...(verifier ? {verifier} : {}),
    ...(draft.cacheBust ? {cacheBust: draft.cacheBust} : {}),
    ...(draft.repo ? {repo: draft.repo} : {}),
  }
  return {service, from: draft.from, toConfirm}
}
