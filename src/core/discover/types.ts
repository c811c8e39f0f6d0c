// What discovery reads out of an organisation's configuration (issue 13): who trusts which issuer
// (a trust finding), what a catalog says about owners (an entity), and what could not be read
// without guessing (an unresolved finding). Every finding carries where it was read, so the
// inventory draft can say it and a person can check it.
import type {IssuerKeyStoreConfig, VerifierProfileId} from '../inventory/types.js'

/** The kind of configuration a finding was read from. */
export type DiscoverySource =
  | 'istio'
  | 'envoy'
  | 'nginx'
  | 'nginx-ingress'
  | 'traefik'
  | 'kong'
  | 'spring-boot'
  | 'aspnet'
  | 'env'
  | 'helm'
  | 'kubernetes-env'
  | 'node'
  | 'backstage'

/** Where a finding was read: a file and line (a local path, or owner/repo:path), or a catalog entity. */
export interface Provenance {
  file: string
  line?: number
  /** A catalog entity reference, e.g. component:default/billing-api. */
  entity?: string
}

/** A service (workload or component) that accepts tokens from an issuer. */
export interface TrustFinding {
  kind: 'trust'
  source: DiscoverySource
  /** The workload, component or project that verifies the tokens. */
  service: string
  /** The `iss` it accepts, when the configuration states it. */
  issuer?: string
  /** The JWKS it fetches, when the configuration states it. */
  jwksUri?: string
  /** The discovery document it reads (ASP.NET MetadataAddress), when the configuration states it. */
  discovery?: string
  audiences?: string[]
  /** How long it keeps a key set, when the configuration states it (cache_duration, keyCache, cacheMaxAge). */
  cacheSeconds?: number
  /** The verifier whose documented cache applies, when the library or proxy is recognised. */
  verifier?: VerifierProfileId
  /** Where the issuer's keys are managed, when the configuration says (AUTH0_DOMAIN). */
  keySource?: IssuerKeyStoreConfig
  at: Provenance
}

/** A value that names an issuer or JWKS but cannot be read without running something (a template, an env reference). */
export interface UnresolvedFinding {
  kind: 'unresolved'
  source: DiscoverySource
  service: string
  /** What the value would have been: issuer, jwksUri, auth0Domain, cacheSeconds. */
  field: string
  /** The text as written, e.g. `{{ .Values.auth.jwks }}` or `${JWKS_URI}`. */
  value: string
  reason: string
  at: Provenance
}

export type CatalogEntityKind = 'Component' | 'API' | 'Group' | 'User' | 'System' | 'Resource'

/** A Backstage catalog entity, reduced to what an inventory needs. */
export interface CatalogEntity {
  kind: 'entity'
  entityKind: CatalogEntityKind
  /** kind:namespace/name, lower-case kind, as Backstage writes entity references. */
  ref: string
  name: string
  namespace: string
  /** The owner's entity reference (group:default/payments). */
  owner?: string
  lifecycle?: string
  /** owner/name, from github.com/project-slug. */
  repo?: string
  slack?: string
  email?: string
  /** Groups (refs) a User belongs to, or a Group's parent. */
  memberOf?: string[]
  /** APIs (refs) a Component consumes: consuming an API that describes an issuer is trusting it. */
  consumesApis?: string[]
  /** jwkr's own annotations (jwkr.dev/*), as written. */
  jwkr: Record<string, string>
  at: Provenance
}

export type Finding = TrustFinding | UnresolvedFinding | CatalogEntity

/** What a parser knows about the file besides its text. */
export interface ParseContext {
  /** How the file is named in provenance: a path, or owner/repo:path. */
  file: string
  /** The project the file belongs to (its package, chart or folder name): the service when the file names none. */
  service: string
}

/**
 * Formats a provenance for YAML comments and messages.
 *
 * @example formatProvenance({file: 'k8s/ra.yaml', line: 7}) // → 'k8s/ra.yaml:7'
 */
export function formatProvenance(at: Provenance): string {
  const place = at.line === undefined ? at.file : `${at.file}:${at.line}`
  return at.entity === undefined ? place : `${at.entity} (${place})`
}
