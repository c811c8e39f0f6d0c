// What the incident journal already knows that makes a probe count: where the key was published
// (its kid and alg, from locate and from earlier JWKS checks), and which services were seen to accept
// a canary (before containment, or in an earlier check). Every later check reads them, so a canary
// carries the published kid after the key is gone from the JWKS, and a refusal counts as proof.
import {str} from '../report/read-data.js'
import type {ObservedShape} from '../tokens/token-shape.js'
import {mergePublished, type PublishedKey} from './published-key.js'

/** The parts of a journal event read here. */
export interface RecordedEvent {
  ts: string
  type: string
  data: Record<string, unknown>
}

/**
 * Every place the journal saw the key served: `locate.endpoint` events (the keys of each JWKS, matched
 * on the thumbprint) and `evidence.jwks` events that saw it.
 *
 * @example recordedPublished(events, thumbprint) // → [{issuer: 'auth-main', url, kid: 'k1', alg: 'RS256', use: 'sig'}]
 */
export function recordedPublished(events: readonly RecordedEvent[], thumbprint: string): PublishedKey[] {
  let published: PublishedKey[] = []
  for (const {type, data} of events) {
    const url = typeof data.url === 'string' ? data.url : null
    if (url === null) continue
    const issuers = issuerIds(data.owners)
    let seen: Array<Record<string, unknown>> = []
    if (type === 'locate.endpoint' && Array.isArray(data.keys)) {
      seen = (data.keys as Array<Record<string, unknown>>).filter((key) => key?.thumbprint === thumbprint)
    } else if (type === 'evidence.jwks' && data.servesLeakedKey === true) {
      seen = [data]
    }
    published = mergePublished(
      published,
      seen.flatMap((key) => issuers.map((issuer) => ({issuer, url, kid: str(key.kid), alg: str(key.alg), use: str(key.use)}))),
    )
  }
  return published
}

/**
 * Service id → the last time it accepted a canary signed with the leaked key (a control token signed
 * with the replacement does not count).
 *
 * @example recordedAcceptances(events) // → {'billing-api': '2024-05-01T10:00:02.000Z'}
 */
export function recordedAcceptances(events: readonly RecordedEvent[]): Record<string, string> {
  const accepted: Record<string, string> = {}
  for (const {type, data} of events) {
    if (type !== 'evidence.probe' || data.outcome !== 'accepted') continue
    if (data.role !== undefined && data.role !== 'canary') continue
    if (typeof data.service === 'string' && typeof data.checkedAt === 'string') accepted[data.service] = data.checkedAt
  }
  return accepted
}

/**
 * The jtis of every token jwkr sent to a relying party in this incident (canaries and controls):
 * triage counts a token as jwkr's own only when its jti is one of these.
 *
 * @example recordedCanaryJtis(events) // → Set {'jwkr-canary-2024-05-01-ab12-x1'}
 */
export function recordedCanaryJtis(events: readonly RecordedEvent[]): Set<string> {
  const jtis = new Set<string>()
  for (const {type, data} of events) if (type === 'evidence.probe' && typeof data.jti === 'string') jtis.add(data.jti)
  return jtis
}

/**
 * Issuer id → the algorithms its discovery document says it signs with (locate's discovery endpoints).
 *
 * @example recordedIssuerAlgs(events) // → {'auth-main': ['PS256']}
 */
export function recordedIssuerAlgs(events: readonly RecordedEvent[]): Record<string, string[]> {
  const algs: Record<string, string[]> = {}
  for (const {type, data} of events) {
    if (type !== 'locate.endpoint' || data.kind !== 'discovery' || !Array.isArray(data.signingAlgs)) continue
    const listed = data.signingAlgs.filter((alg): alg is string => typeof alg === 'string')
    for (const issuer of issuerIds(data.owners)) algs[issuer] = listed
  }
  return algs
}

/**
 * The shapes of real tokens the last token triage of the incident saw (tokens.scan's `shapes` output).
 *
 * @example recordedShapes(events) // → [{iss: 'https://as', aud: 'api', typ: 'at+jwt', ..., tokens: 12}]
 */
export function recordedShapes(events: readonly RecordedEvent[]): ObservedShape[] {
  let shapes: ObservedShape[] = []
  for (const {type, data} of events) {
    const outputs = data.outputs as Record<string, unknown> | undefined
    if (type === 'step.succeeded' && Array.isArray(outputs?.shapes)) shapes = outputs.shapes.filter(isShape)
  }
  return shapes
}

function isShape(value: unknown): value is ObservedShape {
  if (value === null || typeof value !== 'object') return false
  const shape = value as Record<string, unknown>
  return typeof shape.tokens === 'number' && typeof shape.kid === 'boolean' && Array.isArray(shape.claimNames)
}

/** The issuer ids among an event's owners. */
export function issuerIds(owners: unknown): string[] {
  if (!Array.isArray(owners)) return []
  return owners.flatMap((owner) => {
    const record = owner as {type?: unknown; id?: unknown} | null
    return record?.type === 'issuer' && typeof record.id === 'string' ? [record.id] : []
  })
}
