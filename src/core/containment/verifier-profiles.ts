// What each common JWKS verifier does with a key the issuer has removed (jwk-facts.md §5): how long
// its cache may keep it, whether an unknown kid makes it refetch, whether it keeps serving the old
// key when a refetch fails, and the lever that really drops it. The containment clock takes the
// cache lifetime from here when the inventory gives no jwksCacheSeconds; the probes take their spacing.
import type {VerifierProfileId} from '../inventory/types.js'

export interface VerifierProfile {
  id: VerifierProfileId
  /** The library or proxy, as its users name it. */
  name: string
  /** The documented default lifetime of a removed key in its cache, in seconds. */
  cacheSeconds: number
  /** A token with a kid it does not hold makes it fetch the JWKS again (within its own rate limit). */
  refreshOnUnknownKid: boolean
  /** When a refetch fails it keeps (and serves) the cached key instead of failing closed. */
  staleOnError: boolean
  /**
   * A request renews the cached entry's lifetime, so probes spaced under the lifetime keep a removed
   * key alive (get-jwks: its stale copy is re-stored each time the kid is looked up and missing).
   */
  renewsOnUse: boolean
  /** How it picks the verification key: by kid only, or by kid and else by alg when the token has none. */
  selectsBy: 'kid' | 'kid-or-alg'
  /** The real cache-bust lever. */
  advice: string
  /** Where the values come from. */
  source: string
}

/** One profile per VerifierProfileId, in the order of VERIFIER_PROFILE_IDS. */
export const VERIFIER_PROFILES: Readonly<Record<VerifierProfileId, Readonly<VerifierProfile>>> = Object.freeze({
  'jwks-rsa': {
    id: 'jwks-rsa',
    name: 'jwks-rsa',
    cacheSeconds: 600,
    refreshOnUnknownKid: true,
    // Only with cacheMaxAgeFallback, which is off by default (a stopped issuer then gives 500s, not a stale key).
    staleOnError: false,
    renewsOnUse: false,
    selectsBy: 'kid',
    advice:
      'Restart the service or create a new JwksClient: there is no public invalidate. If it sets cacheMaxAgeFallback, ' +
      'it serves the stale key while the JWKS endpoint is unreachable, so keep the endpoint up.',
    source:
      'node-jwks-rsa 4.x src/JwksClient.js and src/wrappers/cache.js: cacheMaxAge 600000 ms per kid (lru-memoizer), ' +
      'cacheMaxAgeFallback (4.1.0) serves stale while unreachable; jwk-facts.md §5',
  },
  jose: {
    id: 'jose',
    name: 'jose createRemoteJWKSet',
    cacheSeconds: 600,
    refreshOnUnknownKid: true,
    staleOnError: false,
    renewsOnUse: false,
    selectsBy: 'kid-or-alg',
    advice: 'Call JWKS.reload() (it bypasses the 30 s cooldown), or construct a new resolver; lower cacheMaxAge.',
    source:
      'panva/jose src/jwks/remote.ts: cacheMaxAge 600000 ms, cooldownDuration 30000 ms, refetch on an unknown kid, ' +
      'fails closed when a refetch after staleness fails; picks by alg when the token has no kid; jwk-facts.md §5',
  },
  'get-jwks': {
    id: 'get-jwks',
    name: 'get-jwks',
    cacheSeconds: 60,
    refreshOnUnknownKid: true,
    staleOnError: true,
    renewsOnUse: true,
    selectsBy: 'kid',
    advice:
      'Restart the service, or clear both caches (getJwks.cache.clear(); getJwks.staleCache.clear()): an expired entry ' +
      'stays until it is read, the first late lookup of a removed kid is still accepted, and each such lookup re-stores it ' +
      'for another ttl, so its ttl is no upper bound.',
    source:
      'nearform/get-jwks 11.x README and src/get-jwks.js: ttl 60000 ms (lru-cache), key alg:kid:domain, a failed or ' +
      'kid-less refetch returns the staleCache entry and disposes it back into staleCache with a fresh ttl',
  },
  'spring-security': {
    id: 'spring-security',
    name: 'Spring Security NimbusJwtDecoder',
    cacheSeconds: 300,
    refreshOnUnknownKid: true,
    staleOnError: false,
    renewsOnUse: false,
    selectsBy: 'kid-or-alg',
    advice: 'Evict the Spring Cache entry keyed by the jwk-set URI, or restart the service.',
    source:
      'Spring Security 6.x/7.x NimbusJwtDecoder.withJwkSetUri over Nimbus JWKSourceBuilder: ' +
      'DEFAULT_CACHE_TIME_TO_LIVE 5 min, refetch on an unknown kid; a user-supplied Cache uses its own TTL; jwk-facts.md §5',
  },
  envoy: {
    id: 'envoy',
    name: 'Envoy jwt_authn (remote_jwks)',
    cacheSeconds: 600,
    refreshOnUnknownKid: false,
    staleOnError: false,
    renewsOnUse: false,
    selectsBy: 'kid-or-alg',
    advice: 'Drain and restart the proxy (or push a config with a new remote_jwks); lower cache_duration.',
    source:
      'Envoy api v3 extensions.filters.http.jwt_authn.v3.RemoteJwks: cache_duration defaults to 10 minutes; ' +
      'no refetch on an unknown kid',
  },
  istio: {
    id: 'istio',
    name: 'Istio RequestAuthentication (istiod JWKS resolver)',
    cacheSeconds: 1200,
    refreshOnUnknownKid: false,
    staleOnError: true,
    renewsOnUse: false,
    selectsBy: 'kid-or-alg',
    advice:
      'Restart istiod so it fetches the JWKS at once, then roll the proxies (it inlines the keys into their config); ' +
      'lower PILOT_JWT_PUB_KEY_REFRESH_INTERVAL.',
    source:
      'istio pilot/pkg/model/jwks_resolver.go and release note 30014: istiod refetches every 20 min ' +
      '(PILOT_JWT_PUB_KEY_REFRESH_INTERVAL) and keeps the cached key when a fetch fails (istio#14638)',
  },
  'go-jwx': {
    id: 'go-jwx',
    name: 'lestrrat-go/jwx jwk.Cache',
    cacheSeconds: 900,
    refreshOnUnknownKid: false,
    staleOnError: true,
    renewsOnUse: false,
    selectsBy: 'kid',
    advice:
      'Restart the service, or call Refresh on the cache for the JWKS URL; lower the minimum refresh interval ' +
      '(jwk.WithMinRefreshInterval / httprc.WithMinInterval). A Cache-Control max-age above 15 min lengthens it.',
    source:
      'lestrrat-go/httprc (behind jwk.Cache): DefaultMinInterval 15 min, used when the JWKS sends no ' +
      'Cache-Control/Expires; a failed Sync keeps the stored set; jwt.Parse requires a kid by default',
  },
  'microsoft-identitymodel': {
    id: 'microsoft-identitymodel',
    name: 'Microsoft.IdentityModel / ASP.NET Core JwtBearer',
    // 12 h plus the random jitter ConfigurationManager adds (up to an hour).
    cacheSeconds: 46_800,
    refreshOnUnknownKid: true,
    staleOnError: true,
    renewsOnUse: false,
    selectsBy: 'kid-or-alg',
    advice:
      'Restart the service: ConfigurationManager.RequestRefresh() is throttled to one per 5 min, and the automatic ' +
      'refresh comes every 12 h; lower AutomaticRefreshInterval.',
    source:
      'Microsoft.IdentityModel.Protocols ConfigurationManager: DefaultAutomaticRefreshInterval 12 h, ' +
      'DefaultRefreshInterval 5 min, RefreshOnIssuerKeyNotFound true, keeps the last configuration when a refresh ' +
      'fails; jwk-facts.md §5',
  },
})

/**
 * The profile of a verifier.
 *
 * @example verifierProfile('get-jwks').cacheSeconds // → 60
 */
export function verifierProfile(id: VerifierProfileId): Readonly<VerifierProfile> {
  return VERIFIER_PROFILES[id]
}

/**
 * The least time between two canaries sent to the same service, so the probes themselves never keep a
 * removed key alive: for a verifier that renews a cached entry on use, one full cache lifetime plus a
 * margin for timers and latency (a tenth of it, at least 100 ms and at most a second); null when
 * probes cannot renew it (any spacing will do). Too short a spacing can only delay a proof, never
 * fake one: a renewed key keeps being accepted.
 *
 * @example probeSpacingMs(verifierProfile('get-jwks'), 60) // → 61000
 */
export function probeSpacingMs(profile: Pick<VerifierProfile, 'renewsOnUse'>, cacheSeconds: number): number | null {
  if (!profile.renewsOnUse) return null
  const lifetimeMs = cacheSeconds * 1000
  return lifetimeMs + Math.min(1000, Math.max(100, Math.round(lifetimeMs / 10)))
}
