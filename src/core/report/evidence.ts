// Containment evidence from the journal: the canary probes and JWKS re-fetches a verify step records
// (`evidence.probe`, `evidence.jwks`), and the locate answers that found the key served
// (`locate.endpoint`). From them: which targets are contained, since when, and the time to contain.
import type {JournalEvent} from '../journal/types.js'
import {between, firstOf, instant, num, rec, str} from './read-data.js'
import type {CheckSpan, Containment, ContainmentTarget, EvidenceItem, Outcome} from './report-model.js'

const CONTAINED = new Set(['contained', 'rejected'])
const EXPOSED = new Set(['exposed', 'accepted'])
const UNKNOWN = new Set(['unknown', 'inconclusive'])

/** The evidence events of a journal, in journal order. Events of other types are ignored. */
export function evidenceOf(events: readonly JournalEvent[]): EvidenceItem[] {
  return events.flatMap((event) => {
    const item = evidenceItem(event)
    return item ? [item] : []
  })
}

function evidenceItem({seq, ts, type, data}: JournalEvent): EvidenceItem | undefined {
  const base = {
    seq,
    at: instant(data.checkedAt) ?? ts,
    step: str(data.step),
    url: str(data.url),
    method: str(data.method),
    httpStatus: firstOf(data, ['httpStatus', 'status'], num),
    jti: str(data.jti),
    bodySha256: firstOf(data, ['bodySha256', 'bodyHash', 'responseSha256'], str),
    verdict: false,
  }
  const error = str(data.error) ?? str(rec(data.error)?.message)
  if (type === 'containment.service') {
    // The verdict of one check on one service (recorded since probes carry a role): it decides.
    const service = str(data.service)
    return {
      ...base,
      verdict: true,
      kind: 'probe',
      target: service ?? '?',
      service,
      outcome: verdictOutcome(str(data.status)),
      detail: str(data.reason) ?? `${str(data.status) ?? 'unknown'}`,
    }
  }
  if (type === 'evidence.probe') {
    const role = str(data.role)
    // Controls test the route, not the key; a canary's refusal proves nothing alone (containment.service does).
    if (role !== null && role !== 'canary') return undefined
    const service = str(data.service)
    const answered = named(data) ?? probeOutcome(base.httpStatus)
    const outcome = role !== null && answered === 'contained' ? 'unknown' : answered
    return {
      ...base,
      kind: 'probe',
      target: service ?? base.url ?? '?',
      service,
      outcome,
      detail: str(data.reason) ?? withStatus(base.httpStatus, error ?? probeDetail(outcome)),
    }
  }
  if (type === 'evidence.jwks') {
    const owner = ownersOf(data.owners)
    const outcome = named(data) ?? servedOutcome(data.servesLeakedKey, data.ok)
    return {
      ...base,
      kind: 'jwks',
      target: base.url ?? owner ?? '?',
      service: owner,
      outcome,
      detail: withStatus(base.httpStatus, error ?? jwksDetail(outcome, owner)),
    }
  }
  if (type === 'locate.endpoint' && data.servesLeakedKey === true) {
    const owners = ownersOf(data.owners)
    return {
      ...base,
      kind: 'endpoint',
      target: base.url ?? '?',
      service: owners,
      outcome: 'exposed',
      detail: withStatus(base.httpStatus, `served the leaked key when located${owners ? ` (${owners})` : ''}`),
    }
  }
  return undefined
}

/** Who an endpoint belongs to: `[{type: 'issuer', id: 'auth-main'}]` (or plain ids) → `auth-main`. */
function ownersOf(value: unknown): string | null {
  const ids = (Array.isArray(value) ? value : [])
    .map((owner) => str(owner) ?? str(rec(owner)?.id))
    .filter((id): id is string => id !== null)
  return ids.length > 0 ? ids.join(', ') : null
}

function named(data: Record<string, unknown>): Outcome | null {
  const value = firstOf(data, ['outcome', 'result', 'verdict'], str)?.toLowerCase()
  if (!value) return null
  if (CONTAINED.has(value)) return 'contained'
  if (EXPOSED.has(value)) return 'exposed'
  return UNKNOWN.has(value) ? 'unknown' : null
}

/**
 * A journal without the probe's outcome: a relying party that refuses the canary (401) is contained;
 * one that accepts it (2xx, or 403: the signature accepted, only authorization failed) is exposed, as
 * the verdict says (core/containment/verdict.ts probeOutcome).
 */
function probeOutcome(status: number | null): Outcome {
  if (status === 401) return 'contained'
  if (status === 403 || (status !== null && status >= 200 && status < 300)) return 'exposed'
  return 'unknown'
}

/** A service verdict as a report outcome: undiscriminating and unknown are both not contained, not exposed. */
function verdictOutcome(status: string | null): Outcome {
  if (status === 'contained') return 'contained'
  return status === 'exposed' ? 'exposed' : 'unknown'
}

function servedOutcome(serves: unknown, ok: unknown): Outcome {
  if (serves === true) return 'exposed'
  if (serves === false && ok !== false) return 'contained'
  return 'unknown'
}

function withStatus(status: number | null, text: string): string {
  return status === null ? text : `HTTP ${status}: ${text}`
}

function probeDetail(outcome: Outcome): string {
  if (outcome === 'contained') return 'rejected the canary token'
  if (outcome === 'exposed') return 'accepted the canary token'
  return 'gave no answer that tells'
}

function jwksDetail(outcome: Outcome, owner: string | null): string {
  const of = owner ? ` (${owner})` : ''
  if (outcome === 'contained') return `no longer serves the leaked key${of}`
  if (outcome === 'exposed') return `still serves the leaked key${of}`
  return `could not be read${of}`
}

/**
 * Where containment stands: per target (a relying party probed, or a JWKS URL), the latest outcome
 * and since when it has been contained without interruption. Proven when every target's latest check
 * says contained; containedAt is when the last of them became so.
 *
 * @param fallback  a verify step that reported containment without recording evidence events
 */
export function containmentOf(
  evidence: readonly EvidenceItem[],
  openedAt: string | null,
  fallback: {containedAt: string} | null = null,
): Containment {
  const targets = [...checksByTarget(evidence).values()].map(targetOf)
  const counts = {contained: 0, exposed: 0, unknown: 0}
  for (const target of targets) counts[target.outcome] += 1
  const proven = targets.length > 0 ? counts.contained === targets.length : fallback !== null
  const containedAt = !proven
    ? null
    : targets.length > 0
      ? targets.map((target) => target.since ?? '').reduce((a, b) => (a > b ? a : b))
      : (fallback?.containedAt ?? null)
  return {proven, containedAt, timeToContainMs: between(openedAt, containedAt), targets, counts}
}

/**
 * The checks of each target (a relying party probed, or a key set fetched), each list in time order.
 * Where a service has verdicts (containment.service), they decide and its raw canary answers do not
 * count: a refusal alone reads "unknown", so mixing both would flip the target every round.
 */
function checksByTarget(evidence: readonly EvidenceItem[]): Map<string, EvidenceItem[]> {
  const checks = new Map<string, EvidenceItem[]>()
  for (const item of evidence) {
    const key = item.kind === 'probe' ? `probe:${item.target}` : `jwks:${item.target}`
    checks.set(key, [...(checks.get(key) ?? []), item])
  }
  for (const [key, items] of checks) {
    const decided = items.some((item) => item.verdict) ? items.filter((item) => item.verdict) : items
    checks.set(
      key,
      decided.sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq),
    )
  }
  return checks
}

/**
 * Repeated checks of one target summarised: each run of consecutive checks with the same outcome is
 * one span (exposed from–to, contained from …), so a one-minute proof that probes every second
 * reads as a few state changes instead of hundreds of rows. Ordered by when each span began.
 *
 * @example checkSpans(evidence) // [{target: 'billing-api', outcome: 'exposed', from, to, checks: 60, …}]
 */
export function checkSpans(evidence: readonly EvidenceItem[]): CheckSpan[] {
  const spans: CheckSpan[] = []
  for (const items of checksByTarget(evidence).values()) {
    const own: CheckSpan[] = []
    for (const item of items) {
      const open = own[own.length - 1]
      if (open && open.outcome === item.outcome) {
        own[own.length - 1] = {...open, to: item.at, checks: open.checks + 1, detail: item.detail}
        continue
      }
      own.push({
        target: item.target,
        kind: item.kind === 'endpoint' ? 'jwks' : item.kind,
        outcome: item.outcome,
        from: item.at,
        to: item.at,
        checks: 1,
        detail: item.detail,
        seq: item.seq,
        latest: false,
      })
    }
    const last = own[own.length - 1]
    if (last) own[own.length - 1] = {...last, latest: true}
    spans.push(...own)
  }
  return spans.sort((a, b) => a.from.localeCompare(b.from) || a.seq - b.seq)
}

function targetOf(sorted: EvidenceItem[]): ContainmentTarget {
  const latest = sorted[sorted.length - 1] as EvidenceItem
  let since: string | null = null
  for (let i = sorted.length - 1; i >= 0 && sorted[i]?.outcome === 'contained'; i--) since = sorted[i]?.at ?? since
  const exposed = sorted.filter((item) => item.outcome === 'exposed')
  return {
    target: latest.target,
    kind: latest.kind === 'endpoint' ? 'jwks' : latest.kind,
    outcome: latest.outcome,
    since,
    firstExposedAt: exposed[0]?.at ?? null,
    lastExposedAt: exposed[exposed.length - 1]?.at ?? null,
    lastCheckedAt: latest.at,
    checks: sorted.length,
  }
}
