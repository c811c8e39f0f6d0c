// Decides, from evidence alone, whether each relying party and each JWKS endpoint is contained,
// exposed or unknown, and what to tell the responder. Pure: the probes and fetches happen in
// src/adapters/verify; this module only reads what they saw. Unknown is never counted as contained.
import type {EndpointOwner} from '../inventory/locate.js'

export type ContainmentStatus = 'contained' | 'exposed' | 'unknown'

/** What one probe said: the service refused the canary, took it, or answered nothing conclusive. */
export type ProbeOutcome = 'rejected' | 'accepted' | 'inconclusive'

/** One canary sent to one service. Holds the canary's jti, never the token. */
export interface ProbeEvidence {
  kind: 'probe'
  service: string
  url: string
  method: string
  /** When the request was sent (ISO 8601). */
  checkedAt: string
  httpStatus: number | null
  /** SHA-256 (hex) of the response body as received; null when none arrived. */
  bodySha256: string | null
  jti: string
  /** The canary's iss and aud. */
  issuer: string
  audience: string
  outcome: ProbeOutcome
  reason: string
  durationMs: number
}

/** One JWKS fetched again. */
export interface JwksEvidence {
  kind: 'jwks'
  url: string
  owners: EndpointOwner[]
  checkedAt: string
  httpStatus: number | null
  /** SHA-256 (hex) of the JSON document served (re-serialised); null when none was read. */
  bodySha256: string | null
  /** Null when the JWKS could not be read: unknown is not "no". */
  servesLeakedKey: boolean | null
  /** The kid the leaked key is served under, when it is. */
  kid: string | null
  error: string | null
  durationMs: number
}

export type Evidence = ProbeEvidence | JwksEvidence

/** How a service's status was decided: a probe answer, its issuers' JWKS, or the containment clock. */
export type VerdictBasis = 'probe' | 'jwks' | 'clock' | 'none'

export interface Verdict {
  status: ContainmentStatus
  reason: string
}

export interface ServiceVerdict extends Verdict {
  basis: VerdictBasis
  /** What to do about it, for a service that is not contained. */
  advice: string | null
}

export interface ServiceVerdictInput {
  id: string
  /** The canaries sent this check; empty when none could be (see noProbe). */
  probes: ProbeEvidence[]
  /** Why no canary was sent (no private key, no probe in the inventory); null when probes were sent. */
  noProbe: string | null
  /** The JWKS of the issuers it trusts that served the key. */
  issuers: JwksEvidence[]
  /** Its own JWKS, when the inventory names one. */
  own: JwksEvidence | null
  /** When its cached key set must have expired (the clock); null when unknown. */
  containedBy: string | null
  cacheSeconds: number
  now: Date
}

/**
 * The verdict on one answer to a canary: 401/403 is a rejection (contained), any 2xx an acceptance
 * (exposed); anything else proves nothing either way.
 *
 * @example probeOutcome(401, null) // → {outcome: 'rejected', reason: 'HTTP 401: the canary was rejected'}
 */
export function probeOutcome(httpStatus: number | null, error: string | null): {outcome: ProbeOutcome; reason: string} {
  if (httpStatus === null) return {outcome: 'inconclusive', reason: error ?? 'no answer'}
  if (httpStatus === 401 || httpStatus === 403)
    return {outcome: 'rejected', reason: `HTTP ${httpStatus}: the canary was rejected`}
  if (httpStatus >= 200 && httpStatus < 300) return {outcome: 'accepted', reason: `HTTP ${httpStatus}: the canary was ACCEPTED`}
  const why =
    httpStatus >= 500
      ? 'the service failed, which proves nothing'
      : httpStatus >= 300 && httpStatus < 400
        ? 'a redirect, not an answer about the token (check the probe URL)'
        : 'neither 2xx nor 401/403 (check the probe URL and method)'
  return {outcome: 'inconclusive', reason: `HTTP ${httpStatus}: ${why}`}
}

/** An endpoint is contained when its JWKS no longer serves the key's thumbprint. */
export function endpointVerdict(evidence: JwksEvidence): Verdict {
  if (evidence.servesLeakedKey === true) {
    return {status: 'exposed', reason: `still serves the leaked key${evidence.kid === null ? '' : ` (kid "${evidence.kid}")`}`}
  }
  if (evidence.servesLeakedKey === false) return {status: 'contained', reason: 'no longer serves the leaked key'}
  return {status: 'unknown', reason: `could not be read: ${evidence.error ?? 'unknown error'}`}
}

/**
 * The verdict on one service. A probe answer is proof and wins (a 401 while the issuer still
 * publishes the key means a denylist works); without one, the issuers' JWKS and the clock decide.
 */
export function serviceVerdict(input: ServiceVerdictInput): ServiceVerdict {
  const own = input.own === null ? null : endpointVerdict(input.own)
  if (own?.status === 'exposed') {
    return withAdvice(
      input,
      'exposed',
      'jwks',
      `its own JWKS ${input.own?.url} ${own.reason}`,
      'remove the key from the JWKS it serves',
    )
  }
  const base = input.probes.length > 0 ? fromProbes(input) : fromJwksAndClock(input)
  if (base.status === 'contained' && own?.status === 'unknown') {
    return withAdvice(input, 'unknown', 'jwks', `its own JWKS ${input.own?.url} ${own.reason}`, 'check that its JWKS URL answers')
  }
  return base
}

/** True when every service and every endpoint is contained (an empty list proves nothing about its part). */
export function allContained(statuses: readonly ContainmentStatus[]): boolean {
  return statuses.every((status) => status === 'contained')
}

function fromProbes(input: ServiceVerdictInput): ServiceVerdict {
  const accepted = input.probes.filter((probe) => probe.outcome === 'accepted')
  if (accepted.length > 0) {
    const first = accepted[0] as ProbeEvidence
    const still = input.issuers.filter((issuer) => issuer.servesLeakedKey === true)
    const why =
      still.length > 0
        ? `accepted the canary (HTTP ${first.httpStatus} from ${first.url}); ${issuerList(still)} still publish${still.length === 1 ? 'es' : ''} the key`
        : `accepted the canary (HTTP ${first.httpStatus} from ${first.url}) although no issuer publishes the key any more: it trusts a cached copy`
    return withAdvice(input, 'exposed', 'probe', why, cacheAdvice(input, still))
  }
  const inconclusive = input.probes.filter((probe) => probe.outcome === 'inconclusive')
  if (inconclusive.length > 0) {
    const first = inconclusive[0] as ProbeEvidence
    return withAdvice(
      input,
      'unknown',
      'probe',
      `the probe ${first.method} ${first.url} proved nothing: ${first.reason}`,
      'check its probe (URL, method, headers) in the inventory so that a bad token gets 401/403',
    )
  }
  const statuses = [...new Set(input.probes.map((probe) => probe.httpStatus))].join('/')
  return {status: 'contained', basis: 'probe', reason: `rejected the canary (HTTP ${statuses})`, advice: null}
}

function fromJwksAndClock(input: ServiceVerdictInput): ServiceVerdict {
  const noProbe = input.noProbe ?? 'no probe'
  const still = input.issuers.filter((issuer) => issuer.servesLeakedKey === true)
  if (still.length > 0) {
    return withAdvice(
      input,
      'exposed',
      'jwks',
      `${issuerList(still)} still publish${still.length === 1 ? 'es' : ''} the key (${noProbe})`,
      removeAdvice(still),
    )
  }
  const unread = input.issuers.filter((issuer) => issuer.servesLeakedKey === null)
  if (unread.length > 0) {
    return withAdvice(
      input,
      'unknown',
      'jwks',
      `${issuerList(unread)} could not be read (${noProbe})`,
      'check that the JWKS answers',
    )
  }
  if (input.containedBy === null) {
    return withAdvice(
      input,
      'unknown',
      'none',
      `nothing says when its cache drops the key (${noProbe})`,
      'add a probe for it to the inventory',
    )
  }
  if (Date.parse(input.containedBy) <= input.now.getTime()) {
    return {
      status: 'contained',
      basis: 'clock',
      reason: `its cache (${input.cacheSeconds} s) must have dropped the key by ${input.containedBy} (${noProbe}: inferred, not probed)`,
      advice: null,
    }
  }
  return withAdvice(
    input,
    'exposed',
    'clock',
    `may accept the key from its cache (${input.cacheSeconds} s) until ${input.containedBy} (${noProbe})`,
    'wait for its cache to expire, or bust its cache / restart it now; add a probe to prove it',
  )
}

function withAdvice(
  input: ServiceVerdictInput,
  status: ContainmentStatus,
  basis: VerdictBasis,
  reason: string,
  advice: string,
): ServiceVerdict {
  return {status, basis, reason, advice: `${input.id}: ${advice}`}
}

function cacheAdvice(input: ServiceVerdictInput, still: JwksEvidence[]): string {
  if (still.length > 0) return removeAdvice(still)
  const overdue = input.containedBy !== null && Date.parse(input.containedBy) < input.now.getTime()
  const when = overdue
    ? `its cache should have dropped the key by ${input.containedBy} (jwksCacheSeconds ${input.cacheSeconds}), so it keeps keys longer than the inventory says — `
    : input.containedBy === null
      ? ''
      : `its cache should drop the key by ${input.containedBy}; to end it sooner, `
  return `${when}bust its JWKS cache (reload the key set), restart it, or push the denylist to it (jwkr tokens invalidate)`
}

function removeAdvice(still: JwksEvidence[]): string {
  return `remove the key from ${issuerList(still)} (jwkr key rotate / jwkr key revoke), then verify again`
}

function issuerList(endpoints: JwksEvidence[]): string {
  const names = endpoints.map((endpoint) => {
    const issuers = endpoint.owners.filter((owner) => owner.type === 'issuer').map((owner) => owner.id)
    return issuers.length > 0 ? issuers.join(', ') : endpoint.url
  })
  return [...new Set(names)].join(', ')
}
