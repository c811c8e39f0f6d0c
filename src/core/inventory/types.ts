// The organisation's inventory (ARCHITECTURE.md, Inventory) as plain TypeScript values: the issuers whose
// keys jwkr may have to rotate, the services that trust them, and where to notify. The YAML loader
// and its JSON Schema produce exactly these shapes; everything downstream takes an `Inventory`.

/** Where an issuer's signing keys are managed (the adapter in src/adapters/idp that rotates them). */
export type IssuerKeyStoreConfig =
  | {type: 'jwks-file'; path: string; private?: boolean}
  | {type: 'github-file'; repo: string; path: string; branch?: string}
  | {type: 'auth0'; domain: string}
  | {type: 'keycloak'; baseUrl: string; realm: string}
  | {type: 'okta'; domain: string; authServerId: string; clients?: string[]}
  | {type: 'vault'; address: string; key: string}
  | {type: 'webhook'; url: string}
  | {type: 'manual'}

export type IssuerKeyStoreType = IssuerKeyStoreConfig['type']

export const ISSUER_KEY_STORE_TYPES: readonly IssuerKeyStoreType[] = [
  'jwks-file',
  'github-file',
  'auth0',
  'keycloak',
  'okta',
  'vault',
  'webhook',
  'manual',
]

export interface InventoryIssuer {
  /** Stable id that services name in `trusts`. */
  id: string
  /** The `iss` claim, exactly as tokens carry it. */
  issuer: string
  /** Discovery document URL; when neither this nor `jwksUri` is given, the well-known paths are tried. */
  discovery?: string
  /** The JWKS URL, when the issuer has no discovery document. */
  jwksUri?: string
  keySource: IssuerKeyStoreConfig
}

export interface ServiceContacts {
  slack?: string
  email?: string
}

/** What a canary must look like for this service to accept it if it still trusted the key. */
export interface ProbeTokenShape {
  /** The audience: one string (any string, URLs included) or several. Default: the service id. */
  aud?: string | string[]
  /** The JOSE header `typ`, e.g. "at+jwt" (RFC 9068). Default "JWT". */
  typ?: string
  /** Space-separated scopes, sent as the `scope` claim. */
  scope?: string
  /** Scopes sent as the `scp` array claim (Okta, Microsoft). */
  scp?: string[]
  /** The JWS alg to sign with; must fit the key. */
  alg?: string
  /** Extra claims. Never `iss`, `sub`, `aud`, `jti`, `iat`, `exp`, `nbf`: jwkr sets those (they label the canary and bound its life). */
  claims?: Record<string, unknown>
}

export type VerifierProfileId =
  'jwks-rsa' | 'jose' | 'get-jwks' | 'spring-security' | 'envoy' | 'istio' | 'go-jwx' | 'microsoft-identitymodel'

/** Every VerifierProfileId, in the order the schema and messages list them. */
export const VERIFIER_PROFILE_IDS: readonly VerifierProfileId[] = [
  'jwks-rsa',
  'jose',
  'get-jwks',
  'spring-security',
  'envoy',
  'istio',
  'go-jwx',
  'microsoft-identitymodel',
]

/** A request that a relying party answers with 401 when given a token it rejects (403: it accepted the signature). */
export interface ServiceProbe {
  url: string
  method: string
  headers?: Record<string, string>
  /** The shape of the canary this service would accept (see ProbeTokenShape). */
  token?: ProbeTokenShape
}

export interface InventoryService {
  id: string
  team: string
  contacts: ServiceContacts
  /** Issuer ids whose tokens the service accepts. */
  trusts: string[]
  /** A JWKS the service serves itself (e.g. for client authentication or its own tokens). */
  jwksUri?: string
  probe?: ServiceProbe
  /** How long the service may keep a removed key (the containment clock). */
  jwksCacheSeconds?: number
  /** The JWKS library or proxy that verifies its tokens: its documented cache sets the clock when jwksCacheSeconds is absent. */
  verifier?: VerifierProfileId
  /** A hook that makes the service drop its cached key set at once. */
  cacheBust?: {url: string; method?: 'POST' | 'PUT' | 'GET'}
  /** `owner/name` of the service's code. */
  repo?: string
  /** Access logs to triage tokens in (absolute once loaded: relative paths are resolved against the inventory's folder). */
  logs?: string[]
}

export interface InventoryNotify {
  slack?: {channel: string}
  github?: {repo: string}
}

export interface Inventory {
  version: 1
  issuers: InventoryIssuer[]
  services: InventoryService[]
  notify?: InventoryNotify
  /** A folder of templates overriding the built-in ones (absolute once loaded). */
  templates?: string
}
