// The containment clock (ARCHITECTURE.md, Containment; jwk-facts.md §5): removing a key from a JWKS stops
// nothing until every relying party's cached key set has expired. For each service: the time the
// key left the issuers it trusts + its JWKS cache lifetime; overall, the slowest of those, and the
// deadline that adds the longest token lifetime (a token accepted just before is good until it expires).
import {formatDuration} from '../duration.js'
import {ExitCode, JwkrError} from '../errors.js'
import type {VerifierProfileId} from '../inventory/types.js'
import {verifierProfile, type VerifierProfile} from './verifier-profiles.js'

/** jose's `createRemoteJWKSet` default `cacheMaxAge` (10 minutes), for services that do not say. */
export const DEFAULT_JWKS_CACHE_SECONDS = 600
/** The longest token lifetime assumed when none is given (a common access-token lifetime). */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600

/** Where a removal time came from: `--removed-at`, the incident journal, or a check that saw the key gone. */
export type RemovalSource = 'flag' | 'journal' | 'observed'

/** What is known about when the key left one issuer's JWKS. */
export interface RemovalEvidence {
  /** Given by the responder (`--removed-at`). */
  explicit?: Date
  /** From the incident journal (the rotation or revocation that removed it). */
  recorded?: Date
  /** The first check of this run that saw the key gone (after any check that still saw it). */
  firstSeenGone?: Date
  /** What the latest check saw: true while the JWKS still serves the key, null when it could not be read. */
  serving: boolean | null
}

export interface IssuerRemoval {
  issuer: string
  /** ISO 8601; null while the key is still served or nothing says when it left. */
  removedAt: string | null
  source: RemovalSource | null
  /** True when the latest check still saw the key in this issuer's JWKS. */
  stillServing: boolean
}

export interface ClockService {
  id: string
  /** The issuers it trusts that served the leaked key (those whose removal starts its clock). */
  trusts: string[]
  jwksCacheSeconds?: number
  /** Its verifier: the profile's documented cache lifetime applies when jwksCacheSeconds is absent. */
  verifier?: VerifierProfileId
}

/** Where a service's cache lifetime came from: its jwksCacheSeconds, its verifier's profile, or jose's default. */
export type CacheSource = 'inventory' | 'profile' | 'assumed'

export interface ClockInput {
  services: ClockService[]
  removals: IssuerRemoval[]
  tokenLifetimeSeconds: number
  now: Date
  /** Services already proven contained (their probe was rejected): nothing to wait for there. */
  contained?: ReadonlySet<string>
}

export interface ServiceClock {
  id: string
  cacheSeconds: number
  /** 'inventory' (jwksCacheSeconds), 'profile' (the verifier's documented default) or 'assumed' (jose's default). */
  cacheSource: CacheSource
  /** The verifier the inventory names, if any (even when jwksCacheSeconds overrides its cache lifetime). */
  verifier: VerifierProfileId | null
  /** When the key left the last of its trusted issuers; null while one still serves it (or nobody knows). */
  keyRemovedAt: string | null
  /** When its cached key set must have expired: keyRemovedAt + cacheSeconds. */
  containedBy: string | null
  /** containedBy + the longest token lifetime: the end of the worst-case exposure. */
  exposureEndsBy: string | null
  /** Trusted issuers whose removal is not known yet (the clock has not started for them). */
  waitingFor: string[]
}

export interface ContainmentClock {
  now: string
  tokenLifetimeSeconds: number
  issuers: IssuerRemoval[]
  services: ServiceClock[]
  /** The latest containedBy: every cache must have dropped the key by then. Null when one is unknown. */
  containedBy: string | null
  /** containedBy + the longest token lifetime: when the proof must be complete. */
  deadline: string | null
  /** Milliseconds from now until the services not yet proven contained must be (0 once passed); null when unknown. */
  remainingMs: number | null
  /** The same as a duration a playbook's core.wait takes (`9m30s`); null when unknown. */
  waitFor: string | null
}

/**
 * When the key left one issuer's JWKS: the earliest of what the responder, the journal and this
 * run's checks say — each is an upper bound, so the earliest is the tightest. Null while the latest
 * check still sees the key (a removal that did not happen), or when nothing says. The responder's
 * word also counts for a JWKS that cannot be read.
 *
 * @example keyRemovalTime({firstSeenGone: new Date('2024-05-01T10:00:00Z'), serving: false})
 *   // → {at: 2024-05-01T10:00:00Z, source: 'observed'}
 */
export function keyRemovalTime(evidence: RemovalEvidence): {at: Date; source: RemovalSource} | null {
  if (evidence.serving === true) return null
  const candidates: {at: Date; source: RemovalSource}[] = []
  if (evidence.explicit) candidates.push({at: evidence.explicit, source: 'flag'})
  // The journal and this run's checks count only while the key is seen gone: an interrupted rotation
  // journals stages too, and an unreadable JWKS says nothing.
  if (evidence.serving === false) {
    if (evidence.recorded) candidates.push({at: evidence.recorded, source: 'journal'})
    if (evidence.firstSeenGone) candidates.push({at: evidence.firstSeenGone, source: 'observed'})
  }
  return candidates.reduce<{at: Date; source: RemovalSource} | null>(
    (earliest, candidate) => (earliest === null || candidate.at.getTime() < earliest.at.getTime() ? candidate : earliest),
    null,
  )
}

/** The JSON Schema pattern of a removal time (an ISO 8601 date and time). */
export const REMOVAL_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}'

/**
 * A removal time as the responder writes it (ISO 8601, not in the future).
 *
 * @example parseRemovalTime('2024-05-01T10:02:00Z', '--removed-at') // → Date
 * @throws JwkrError ERR_USAGE for anything else.
 */
export function parseRemovalTime(text: string, label: string, now: Date = new Date()): Date {
  const at = Date.parse(text)
  if (!new RegExp(REMOVAL_TIME_PATTERN).test(text) || Number.isNaN(at)) {
    throw new JwkrError('ERR_USAGE', `${label} '${text}' is not an ISO 8601 time.`, {
      hint: 'Write it like 2024-05-01T10:02:00Z: the time the key left the issuers’ JWKS.',
      exitCode: ExitCode.usage,
    })
  }
  if (at > now.getTime()) {
    throw new JwkrError('ERR_USAGE', `${label} ${text} is in the future.`, {
      hint: 'Give the time the key was removed; leave it out to use the first check that sees it gone.',
      exitCode: ExitCode.usage,
    })
  }
  return new Date(at)
}

/** IssuerRemoval for the report, from the evidence about one issuer. */
export function issuerRemoval(issuer: string, evidence: RemovalEvidence): IssuerRemoval {
  const removal = keyRemovalTime(evidence)
  return {
    issuer,
    removedAt: removal === null ? null : removal.at.toISOString(),
    source: removal?.source ?? null,
    stillServing: evidence.serving === true,
  }
}

/**
 * Computes the clock for every service and overall.
 *
 * @example containmentClock({services: [{id: 'billing', trusts: ['auth'], jwksCacheSeconds: 300}],
 *   removals: [{issuer: 'auth', removedAt: '2024-05-01T10:00:00.000Z', source: 'flag', stillServing: false}],
 *   tokenLifetimeSeconds: 3600, now: new Date('2024-05-01T10:01:00Z')})
 *   // → containedBy '2024-05-01T10:05:00.000Z', deadline '2024-05-01T11:05:00.000Z', waitFor '4m'
 */
export function containmentClock(input: ClockInput): ContainmentClock {
  const removals = new Map(input.removals.map((removal) => [removal.issuer, removal]))
  const services = input.services.map((service) => serviceClock(service, removals, input.tokenLifetimeSeconds))
  const known = services.filter((service) => service.containedBy !== null).map((service) => Date.parse(service.containedBy ?? ''))
  const complete = services.length > 0 && known.length === services.length
  const containedBy = complete ? Math.max(...known) : null
  // A wait is sized by the services still to be proven contained: one busted early or behind the
  // denylist need not hold the run for its (perhaps hours-long) declared cache.
  const pending = services.filter((service) => !input.contained?.has(service.id))
  const pendingBy = pending.map((service) => (service.containedBy === null ? null : Date.parse(service.containedBy)))
  const remainingMs = pendingBy.includes(null) ? null : Math.max(0, ...pendingBy.map((at) => (at ?? 0) - input.now.getTime()))
  return {
    now: input.now.toISOString(),
    tokenLifetimeSeconds: input.tokenLifetimeSeconds,
    issuers: input.removals.map((removal) => ({...removal})),
    services,
    containedBy: iso(containedBy),
    deadline: iso(containedBy === null ? null : containedBy + input.tokenLifetimeSeconds * 1000),
    remainingMs,
    waitFor: remainingMs === null ? null : formatDuration(remainingMs),
  }
}

function serviceClock(service: ClockService, removals: Map<string, IssuerRemoval>, tokenLifetimeSeconds: number): ServiceClock {
  const {cacheSeconds, cacheSource} = serviceCacheSeconds(service)
  const waitingFor = service.trusts.filter((id) => (removals.get(id)?.removedAt ?? null) === null)
  const times = service.trusts.map((id) => Date.parse(removals.get(id)?.removedAt ?? ''))
  const removedAt = service.trusts.length > 0 && waitingFor.length === 0 ? Math.max(...times) : null
  const containedBy = removedAt === null ? null : removedAt + cacheSeconds * 1000
  return {
    id: service.id,
    cacheSeconds,
    cacheSource,
    verifier: service.verifier ?? null,
    keyRemovedAt: iso(removedAt),
    containedBy: iso(containedBy),
    exposureEndsBy: iso(containedBy === null ? null : containedBy + tokenLifetimeSeconds * 1000),
    waitingFor,
  }
}

/**
 * How long a service's cache may keep a removed key: its jwksCacheSeconds, else its verifier's
 * documented default, else jose's default (assumed).
 *
 * @example serviceCacheSeconds({verifier: 'spring-security'}) // → {cacheSeconds: 300, cacheSource: 'profile'}
 */
export function serviceCacheSeconds(service: Pick<ClockService, 'jwksCacheSeconds' | 'verifier'>): {
  cacheSeconds: number
  cacheSource: CacheSource
} {
  if (service.jwksCacheSeconds !== undefined) return {cacheSeconds: service.jwksCacheSeconds, cacheSource: 'inventory'}
  // An id outside the table (an inventory that skipped validation) falls back like no verifier at all.
  const profile = service.verifier === undefined ? undefined : (verifierProfile(service.verifier) as VerifierProfile | undefined)
  if (profile) return {cacheSeconds: profile.cacheSeconds, cacheSource: 'profile'}
  return {cacheSeconds: DEFAULT_JWKS_CACHE_SECONDS, cacheSource: 'assumed'}
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

/** After a cache is due to expire, the check waits this much more, so the probe finds it expired. */
export const EXPIRY_MARGIN_MS = 100

/**
 * How long to wait before the next check of a `--until-contained` run: the interval, or less when a
 * service not yet proven contained is due to drop the key sooner (its containedBy, counted from the
 * removal, not from when the checks began), so its probe lands when its cache expires rather than up to
 * an interval later. Never less than a quarter of the interval after the check that just ended, so
 * many services expiring apart do not turn into a check after every one.
 *
 * @example nextCheckDelayMs(clock, new Set(['billing-api']), now, 15_000) // → 3_100 when its cache expires in 3 s
 */
export function nextCheckDelayMs(clock: ContainmentClock, pending: ReadonlySet<string>, now: Date, intervalMs: number): number {
  const floor = Math.ceil(intervalMs / 4)
  const dueIn = clock.services
    .filter((service) => pending.has(service.id) && service.containedBy !== null)
    .map((service) => Date.parse(service.containedBy as string) + EXPIRY_MARGIN_MS - now.getTime())
    .filter((ms) => ms > 0)
  const soonest = dueIn.length === 0 ? intervalMs : Math.min(...dueIn)
  return Math.min(intervalMs, Math.max(floor, soonest))
}
