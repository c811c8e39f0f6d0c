// Decides, from evidence alone, whether each relying party and each JWKS endpoint is contained,
// exposed, undiscriminating or unknown, and what to tell the responder. Pure: the probes and fetches
// happen in src/adapters/verify; this module only reads what they saw. A refusal proves containment
// only from a probe that was seen to accept a token (README, "What proven rests on"); unknown and
// undiscriminating are never counted as contained.
import type {EndpointOwner} from '../inventory/locate.js'

/**
 * `undiscriminating`: the service refuses the canary but was never seen to accept one, so its refusal
 * may have another cause (kid, typ, aud, scope, route) and proves nothing about the key.
 */
export type ContainmentStatus = 'contained' | 'exposed' | 'unknown' | 'undiscriminating'

/**
 * What one probe said: the service refused the token (401), took it (2xx, or 403: the signature was
 * accepted and only authorization failed), or answered nothing conclusive.
 */
export type ProbeOutcome = 'rejected' | 'accepted' | 'inconclusive'

/**
 * canary: signed with the leaked key. control: the same shape signed with the replacement key, which
 * the service must accept. negative-control: the canary with a broken signature, which it must refuse.
 */
export type ProbeRole = 'canary' | 'control' | 'negative-control'

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
  role: ProbeRole
  /** The token's header kid (null: it had none) and typ. */
  kid: string | null
  typ: string
  /** The canary's iss and aud. */
  issuer: string
  audience: string | string[]
  /** The service's `WWW-Authenticate` answer, which often says why a token was refused. */
  wwwAuthenticate: string | null
  /** Where the parts of the canary the inventory did not give came from (token triage, discovery). */
  shapedBy?: string[]
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
  /** The kid, alg and use the leaked key is served under, when it is. */
  kid: string | null
  alg: string | null
  use: string | null
  error: string | null
  durationMs: number
}

export type Evidence = ProbeEvidence | JwksEvidence

/**
 * How a service's status was decided: a canary's answer (a refusal counts only after the service was
 * seen to accept one), a control signed with the replacement key, its issuers' JWKS, or the clock.
 */
export type VerdictBasis = 'probe' | 'control' | 'jwks' | 'clock' | 'none'

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
  /** The canaries and controls sent this check; empty when none could be (see noProbe). */
  probes: ProbeEvidence[]
  /** When the service was last seen accepting a canary (before containment, or an earlier check); null never. */
  acceptedBefore: string | null
  /** A check before containment: the canary is expected to be accepted, and a refusal marks the probe as undiscriminating. */
  baseline: boolean
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
 * The verdict on one answer to a probe token: 401 is a refusal; 2xx an acceptance, and so is 403 (RFC
 * 6750 `insufficient_scope`: the signature was accepted, only authorization failed); anything else
 * (5xx, redirects, timeouts) proves nothing either way.
 *
 * @example probeOutcome(401, null) // → {outcome: 'rejected', reason: 'HTTP 401: the token was refused'}
 */
export function probeOutcome(httpStatus: number | null, error: string | null): {outcome: ProbeOutcome; reason: string} {
  if (httpStatus === null) return {outcome: 'inconclusive', reason: error ?? 'no answer'}
  if (httpStatus === 401) return {outcome: 'rejected', reason: 'HTTP 401: the token was refused'}
  if (httpStatus === 403)
    return {outcome: 'accepted', reason: 'HTTP 403: the signature was ACCEPTED (only authorization failed, e.g. a missing scope)'}
  if (httpStatus >= 200 && httpStatus < 300) return {outcome: 'accepted', reason: `HTTP ${httpStatus}: the token was ACCEPTED`}
  const why =
    httpStatus >= 500
      ? 'the service itself failed, which says nothing about the token'
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

function fromProbes(input: ServiceVerdictInput): ServiceVerdict {
  const of = (role: ProbeRole) => input.probes.filter((probe) => probe.role === role)
  const canaries = of('canary')
  const broken = of('negative-control').find((probe) => probe.outcome === 'accepted')
  if (broken) {
    return withAdvice(
      input,
      'exposed',
      'probe',
      `accepted a token with a broken signature (HTTP ${broken.httpStatus} from ${broken.url}): it does not verify signatures`,
      'fix its token verification: removing a key cannot contain a service that checks no signature',
    )
  }
  const accepted = canaries.find((probe) => probe.outcome === 'accepted')
  if (accepted) {
    const still = input.issuers.filter((issuer) => issuer.servesLeakedKey === true)
    const how = `HTTP ${accepted.httpStatus} from ${accepted.url}`
    if (input.baseline) {
      return {
        status: 'exposed',
        basis: 'probe',
        reason: `accepted the canary before containment (${how}): its probe tells a trusted key from a refused one`,
        advice: null,
      }
    }
    const why =
      still.length > 0
        ? `accepted the canary (${how}); ${issuerList(still)} still publish${still.length === 1 ? 'es' : ''} the key`
        : `accepted the canary (${how}) although no issuer publishes the key any more: it trusts a cached copy`
    return withAdvice(input, 'exposed', 'probe', why, cacheAdvice(input, still))
  }
  const failed = canaries.find((probe) => probe.outcome === 'inconclusive')
  if (failed)
    return withAdvice(
      input,
      'unknown',
      'probe',
      `the probe ${failed.method} ${failed.url} proved nothing: ${failed.reason}`,
      failureAdvice(failed),
    )
  const statuses = [...new Set(canaries.map((probe) => probe.httpStatus))].join('/')
  const control = of('control').find((probe) => probe.outcome === 'accepted')
  if (control && !input.baseline) {
    return {
      status: 'contained',
      basis: 'control',
      reason: `refused the canary (HTTP ${statuses}) while accepting a control token signed with the replacement key (HTTP ${control.httpStatus})`,
      advice: null,
    }
  }
  if (input.acceptedBefore !== null && !input.baseline) {
    return {
      status: 'contained',
      basis: 'probe',
      reason: `refused the canary (HTTP ${statuses}) after accepting one at ${input.acceptedBefore}`,
      advice: null,
    }
  }
  return withAdvice(
    input,
    'undiscriminating',
    'probe',
    `refused the canary (HTTP ${statuses}) but was never seen to accept one: the refusal may have a cause other than the key`,
    likelyCause(canaries[0]),
  )
}

/** What to do about a probe that proved nothing, without blaming the probe when the service failed. */
function failureAdvice(probe: ProbeEvidence): string {
  if (probe.httpStatus !== null && probe.httpStatus >= 500)
    return 'the service answers with errors: check the service itself, then verify again (the probe is not at fault)'
  if (probe.httpStatus === null)
    return 'the service did not answer: check that it is up and reachable from here, then verify again'
  return 'check its probe (URL, method, headers) in the inventory so that a token reaches the token check'
}

/**
 * Why a service may refuse a canary for a reason other than the key, from its WWW-Authenticate answer
 * and the canary's shape: the kid, typ, aud, scope or the route.
 */
export function likelyCause(probe: ProbeEvidence | undefined): string {
  const said = (probe?.wwwAuthenticate ?? '').toLowerCase()
  const quoted = probe?.wwwAuthenticate ? ` (it said: ${probe.wwwAuthenticate})` : ''
  if (/\btyp\b|token type/.test(said))
    return `it refuses the token type${quoted}: set probe.token.typ to what its tokens carry (e.g. at+jwt)`
  if (/aud/.test(said)) return `it refuses the audience${quoted}: set probe.token.aud to the audience its tokens carry`
  if (/scope/.test(said)) return `it asks for a scope${quoted}: set probe.token.scope (or scp) to one its tokens carry`
  if (/\biss|issuer/.test(said)) return `it refuses the issuer${quoted}: check the issuer's iss in the inventory`
  if (/kid|signing key|no matching key|key not found|jwk/.test(said) || probe?.kid === null)
    return `it found no key for the canary's kid${probe?.kid === null ? ' (the canary had none: verifiers such as jwks-rsa pick keys by kid)' : ` "${probe?.kid}"`}${quoted}: run services locate so the canary carries the kid the issuer publishes`
  return `check its probe route and probe.token (aud, typ, scope) so that a token signed with a trusted key is accepted${quoted}; until then its refusals prove nothing`
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
    // The clock infers; it proves nothing. Only a probe can say "contained".
    return withAdvice(
      input,
      'unknown',
      'clock',
      `its cache (${input.cacheSeconds} s) should have dropped the key by ${input.containedBy} (${noProbe}: inferred, not proven)`,
      'add a probe for it to the inventory to prove it',
    )
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
