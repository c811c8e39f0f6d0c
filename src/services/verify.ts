// The proof of containment behind `jwkr verify` and the containment.verify step: every JWKS fetched
// again, every dependent service probed with a canary, the containment clock, and a verdict per
// service and endpoint — once, or again every interval until all are contained or the deadline passes.
import {setTimeout as sleep} from 'node:timers/promises'

import {canarySigner, type CanarySigner} from '../core/containment/canary.js'
import {mergePublished, publishedFrom, type PublishedKey} from '../core/containment/published-key.js'
import {probeSpacingMs, verifierProfile, type VerifierProfile} from '../core/containment/verifier-profiles.js'
import {
  containmentClock,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  issuerRemoval,
  nextCheckDelayMs,
  serviceCacheSeconds,
  type ContainmentClock,
} from '../core/containment/clock.js'
import {
  endpointVerdict,
  serviceVerdict,
  type ContainmentStatus,
  type Evidence,
  type JwksEvidence,
  type ProbeEvidence,
  type VerdictBasis,
} from '../core/containment/verdict.js'
import {JwkrError} from '../core/errors.js'
import {leakedKeyRef} from '../core/inventory/leaked-key.js'
import type {EndpointOwner, LeakedKeyRef} from '../core/inventory/locate.js'
import type {Inventory, InventoryService, ServiceContacts} from '../core/inventory/types.js'
import type {LoadedKey} from '../core/key/types.js'
import type {SecretRegistry} from '../core/secrets.js'
import {DEFAULT_TIMEOUT_MS} from '../adapters/http/fetch-json.js'
import {checkJwks} from '../adapters/verify/check-jwks.js'
import {probeServices} from '../adapters/verify/probe-services.js'
import type {CanaryDefaults} from '../core/containment/canary-shape.js'

export const DEFAULT_DEADLINE_MS = 30 * 60_000
export const DEFAULT_INTERVAL_MS = 15_000

export interface VerifyOptions {
  inventory: Inventory
  key: LoadedKey
  secrets: SecretRegistry
  /** Check again every interval until everything is contained or the deadline passes. */
  untilContained?: boolean
  /** With untilContained: give up this long after the start (default 30 minutes). */
  deadlineMs?: number
  /**
   * With untilContained: count the deadline from when the clock says every declared cache has dropped
   * the key, when that is later than the start. The checks still run meanwhile, each as a cache comes
   * due, so a verifier whose stale copy only dies after a quiet spell (get-jwks) is probed while the
   * others wait, and the proof is seen as soon as the slowest cache expires.
   */
  deadlineAfterCaches?: boolean
  /** With untilContained: time between the starts of two checks (default 15 s). */
  intervalMs?: number
  /** The longest lifetime of a token signed with the key (default 1 hour). */
  tokenLifetimeSeconds?: number
  /** When the key left the issuers' JWKS, as the responder knows it (`--removed-at`). */
  removedAt?: Date
  /** When the key left each issuer, from the incident journal (issuer id → time). */
  recordedRemovals?: Record<string, Date>
  /**
   * A check before any containment step: every canary is expected to be accepted, and a service that
   * refuses it is undiscriminating. One check; never with untilContained.
   */
  baseline?: boolean
  /** Where the key was seen published before this run (locate, the journal): the canaries carry those kids. */
  published?: PublishedKey[]
  /**
   * Issuers the responder says published the key, though they may not serve it now (`--published-by`:
   * a rotation done there before this run): their services are checked as well.
   */
  publishedBy?: string[]
  /** Service id → when it was seen accepting a canary earlier in the incident (so its refusals now prove something). */
  acceptedBefore?: Record<string, string>
  /** The replacement private key: a control token signed with it must be accepted while the canary is refused. */
  controlKey?: LoadedKey | null
  /** What the run learned of real tokens (triage) and issuers (discovery): canaries copy it where the inventory is silent. */
  canaryDefaults?: CanaryDefaults
  /** Goes into the canaries' jti. */
  incident?: string
  /**
   * The clock the canaries are dated by (default: the system's). The secret registry forgets each one
   * by its own clock once it has expired: give both the same one (the memory bench moves it 15 s a check).
   */
  now?: () => Date
  /** Per request (JWKS fetch or probe). */
  timeoutMs?: number
  signal?: AbortSignal
  /** Called after every check, with what it saw (to journal evidence or show progress). */
  onCheck?: (check: VerifyCheck) => void | Promise<void>
}

export interface StatusChange {
  status: ContainmentStatus
  at: string
}

export interface ServiceResult {
  id: string
  team: string
  contacts: ServiceContacts
  status: ContainmentStatus
  basis: VerdictBasis
  reason: string
  /** What to do, while it is not contained. */
  advice: string | null
  /** When it was last seen accepting a canary (what makes its refusals count); null never. */
  acceptedBefore: string | null
  checkedAt: string
  /** Since when it has had this status (the first check of the current streak). */
  since: string
  containedSince: string | null
  cacheSeconds: number
  /** When its cache must have dropped the key (the clock); null when unknown. */
  containedBy: string | null
  /** Every change of status during this run, oldest first. */
  history: StatusChange[]
  evidence: Evidence[]
}

export interface EndpointResult {
  url: string
  owners: EndpointOwner[]
  status: ContainmentStatus
  reason: string
  checkedAt: string
  since: string
  containedSince: string | null
  history: StatusChange[]
  evidence: JwksEvidence
}

export interface ProbeAbility {
  possible: boolean
  alg: string | null
  /** Why canaries cannot be sent (then only the JWKS checks and the clock decide). */
  reason: string | null
}

/**
 * proven: every dependent service was probed and refuses the key after accepting it (or beside an
 * accepted control), and no JWKS serves it. not-attempted: no service could be probed (nothing
 * located, no probe, no private key). not-proven: anything else.
 */
export type ContainmentOutcome = 'proven' | 'not-proven' | 'not-attempted'

/** The `--json` document of `jwkr verify`. Public values only: canaries appear by jti. */
export interface VerifyResult {
  /** True only when the outcome is proven. */
  contained: boolean
  outcome: ContainmentOutcome
  /** What is missing for a proof (not-attempted and not-proven), in words. */
  missing: string[]
  /** A check before containment, where acceptance was expected. */
  baseline: boolean
  thumbprint: string
  kid: string | null
  startedAt: string
  checkedAt: string
  checks: number
  untilContained: boolean
  /** With untilContained: when the checks give up. */
  gaveUpAt: string | null
  probes: ProbeAbility
  services: ServiceResult[]
  endpoints: EndpointResult[]
  clock: ContainmentClock
  /** Where the key is or was published: the kids and algs the canaries carried. */
  published: PublishedKey[]
  /** Service ids by status. */
  exposed: string[]
  unknown: string[]
  undiscriminating: string[]
  /** Service ids seen accepting a canary (before this run or in it): those whose refusals can prove containment. */
  accepting: string[]
  /**
   * Services with nothing checked, and why: with no record of where the key was published, a service
   * that trusts only issuers not serving it now may have trusted it before (a rotation done elsewhere).
   */
  notChecked: NotChecked[]
  /** What to do next, one line per service or endpoint that is not contained. */
  advice: string[]
}

export interface NotChecked {
  id: string
  reason: string
}

export interface VerifyCheck {
  round: number
  result: VerifyResult
  /** Everything this check saw: the probes and the JWKS fetches. */
  evidence: Evidence[]
}

interface IssuerState {
  everServed: boolean
  serving: boolean | null
  firstSeenGone?: Date
}

interface Streak {
  status: ContainmentStatus
  since: string
  history: StatusChange[]
}

/**
 * The replacement private key that signs control tokens: it must be able to sign, and must not be the
 * leaked key itself (a "control" signed with the leaked key would prove nothing).
 *
 * @throws JwkrError ERR_KEY_INVALID for a public key, a JWT, or the leaked key.
 */
export function checkControlKey(control: LoadedKey, leaked: LoadedKey): LoadedKey {
  const signer = canarySigner(control)
  if (!signer.possible) {
    throw new JwkrError('ERR_KEY_INVALID', `The control key cannot sign: ${signer.reason}`, {
      hint: 'Pass the replacement PRIVATE key jwkr generated (its 0600 file), or leave the control key out.',
    })
  }
  if (control.report.thumbprint === leaked.report.thumbprint) {
    throw new JwkrError('ERR_KEY_INVALID', 'The control key is the leaked key itself: a control signed with it proves nothing.', {
      hint: 'Pass the replacement private key, not the leaked one.',
    })
  }
  return control
}

/**
 * Proves (or fails to prove) that the leaked key is contained.
 *
 * @example const result = await verifyContainment({inventory, key, secrets, untilContained: true, intervalMs: 15_000})
 * @throws JwkrError ERR_KEY_INVALID for a key source that only names a key (a JWT), ERR_ABORTED when cancelled.
 */
export async function verifyContainment(options: VerifyOptions): Promise<VerifyResult> {
  const leaked = leakedKeyRef(options.key)
  const run = new VerifyRun(options, leaked)
  const started = Date.now()
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS
  const giveUpAt = (cachesDropKeyBy: string | null): number | null => {
    if (!options.untilContained || options.baseline) return null
    const cachesDue = options.deadlineAfterCaches && cachesDropKeyBy !== null ? Date.parse(cachesDropKeyBy) : started
    return Math.max(started, cachesDue) + deadlineMs
  }
  for (let round = 1; ; round++) {
    const check = await run.check(round, giveUpAt)
    await options.onCheck?.(check)
    const gaveUpAt = check.result.gaveUpAt === null ? null : Date.parse(check.result.gaveUpAt)
    const left = gaveUpAt === null ? 0 : gaveUpAt - Date.now()
    // With no service that can be probed, or nothing left but services it may not check (only
    // --published-by can change that), waiting cannot turn into a proof.
    const nothingToCheck = check.result.outcome === 'not-attempted' || onlyUnchecked(check.result)
    if (check.result.contained || left <= 0 || nothingToCheck) return check.result
    // The next check when the next cache is due to expire (counted from the removal) or a spaced-out
    // service may be probed again, at the latest after the interval.
    const pending = new Set(
      check.result.services.filter((service) => service.status !== 'contained').map((service) => service.id),
    )
    const now = new Date()
    const byClock = nextCheckDelayMs(check.result.clock, pending, now, options.intervalMs ?? DEFAULT_INTERVAL_MS)
    const spaced = run.nextProbeDueInMs(pending, now)
    const wait = spaced === null ? byClock : Math.min(byClock, spaced)
    try {
      await sleep(Math.min(wait, left), undefined, options.signal ? {signal: options.signal} : undefined)
    } catch {
      throw new JwkrError('ERR_ABORTED', 'Verifying containment was cancelled.', {
        hint: 'Run jwkr verify again; nothing was changed anywhere.',
      })
    }
  }
}

/** The state one run keeps between its checks: what each issuer served, and each status streak. */
class VerifyRun {
  readonly #o: VerifyOptions
  readonly #leaked: LeakedKeyRef
  readonly #signer: CanarySigner
  readonly #startedAt = new Date().toISOString()
  readonly #issuers = new Map<string, IssuerState>()
  readonly #ownServed = new Set<string>()
  readonly #streaks = new Map<string, Streak>()
  /** Where the key is or was published; grows as checks see it. */
  #published: PublishedKey[]
  /** Service id → the last time it accepted a canary (before this run or in it). */
  readonly #acceptedBefore: Map<string, string>
  /** Services already sent the negative control (once per run is enough). */
  readonly #negativeSent = new Set<string>()
  /** When each service was last probed (epoch ms), and its last result, for probes spaced out by its verifier. */
  readonly #lastProbed = new Map<string, number>()
  readonly #lastResults = new Map<string, ServiceResult>()

  constructor(options: VerifyOptions, leaked: LeakedKeyRef) {
    this.#o = options
    this.#leaked = leaked
    this.#signer = canarySigner(options.key)
    this.#published = [...(options.published ?? [])]
    this.#acceptedBefore = new Map(Object.entries(options.acceptedBefore ?? {}))
  }

  /** One check; `giveUpAt` turns the clock's time for every cache to drop the key into the run's deadline. */
  async check(round: number, giveUpAt: (cachesDropKeyBy: string | null) => number | null): Promise<VerifyCheck> {
    const {inventory, secrets} = this.#o
    const checkedAt = new Date()
    const timeoutMs = this.#o.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const jwks = await checkJwks(inventory, this.#leaked, {secrets, timeoutMs, signal: this.#o.signal})
    this.#observe(jwks)
    const involved = this.#involvedIssuers()
    const dependents = inventory.services.filter(
      (service) => service.trusts.some((id) => involved.has(id)) || this.#ownServed.has(service.id),
    )
    const trusted = (service: InventoryService) => service.trusts.filter((id) => involved.has(id))
    this.#published = mergePublished(this.#published, publishedFrom(jwks))
    const due = dependents.filter((service) => this.#due(service, checkedAt))
    const probes = this.#signer.possible
      ? await probeServices(
          due.map((service) => ({
            service,
            issuers: inventory.issuers.filter((issuer) => trusted(service).includes(issuer.id)),
            negativeControl: !this.#negativeSent.has(service.id),
          })),
          this.#o.key,
          {
            secrets,
            published: this.#published,
            controlKey: this.#o.baseline ? null : this.#o.controlKey,
            defaults: this.#o.canaryDefaults,
            incident: this.#o.incident,
            now: this.#o.now,
            timeoutMs,
            signal: this.#o.signal,
          },
        )
      : new Map<string, ProbeEvidence[]>()
    for (const id of probes.keys()) {
      this.#negativeSent.add(id)
      this.#lastProbed.set(id, checkedAt.getTime())
    }
    const now = new Date()
    const clockOf = (contained: ReadonlySet<string>) =>
      containmentClock({
        services: dependents.map((service) => ({
          id: service.id,
          trusts: trusted(service),
          jwksCacheSeconds: service.jwksCacheSeconds,
          verifier: service.verifier,
        })),
        removals: [...involved].map((id) => issuerRemoval(id, this.#removalEvidence(id))),
        tokenLifetimeSeconds: this.#o.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS,
        now,
        contained,
      })
    const stamp = checkedAt.toISOString()
    const services = dependents.map((service) => {
      const result = due.includes(service)
        ? this.#service(service, trusted(service), jwks, probes, clockOf(new Set()), now, stamp)
        : this.#spacedOut(service)
      this.#lastResults.set(service.id, result)
      return result
    })
    this.#rememberAcceptances(probes)
    // The wait is sized by the services not yet proven contained; the deadline by all of them.
    const clock = clockOf(new Set(services.filter((service) => service.status === 'contained').map((service) => service.id)))
    const gaveUpAt = giveUpAt(clockOf(new Set()).containedBy)
    const endpoints = jwks.map((evidence) => this.#endpoint(evidence, stamp))
    const notChecked = this.#notChecked(involved, dependents)
    const judged = containmentOutcome(services, endpoints, this.#signer)
    // A service left unchecked may still accept the key: nothing is proven while one is.
    const outcome = judged.outcome === 'proven' && notChecked.length > 0 ? 'not-proven' : judged.outcome
    const missing = [...judged.missing, ...notChecked.map((service) => `${service.id} not checked: ${service.reason}`)]
    const byStatus = (status: ContainmentStatus) =>
      services.filter((service) => service.status === status).map((service) => service.id)
    const result: VerifyResult = {
      contained: outcome === 'proven',
      outcome,
      missing,
      baseline: this.#o.baseline === true,
      thumbprint: this.#leaked.thumbprint,
      kid: this.#leaked.kid,
      startedAt: this.#startedAt,
      checkedAt: stamp,
      checks: round,
      untilContained: this.#o.untilContained === true && this.#o.baseline !== true,
      gaveUpAt: gaveUpAt === null ? null : new Date(gaveUpAt).toISOString(),
      probes: this.#signer.possible
        ? {possible: true, alg: this.#signer.alg, reason: null}
        : {possible: false, alg: null, reason: this.#signer.reason},
      services,
      endpoints,
      clock,
      published: this.#published.map((entry) => ({...entry})),
      exposed: byStatus('exposed'),
      unknown: byStatus('unknown'),
      undiscriminating: byStatus('undiscriminating'),
      // Remembered by #rememberAcceptances, this check's acceptances included.
      accepting: services.filter((service) => this.#acceptedBefore.has(service.id)).map((service) => service.id),
      notChecked,
      advice: [
        ...endpoints.filter((endpoint) => endpoint.status !== 'contained').map(endpointAdvice),
        ...services.flatMap((service) => (service.advice === null ? [] : [service.advice])),
      ],
    }
    if (outcome === 'not-attempted') result.advice.push(...judged.missing)
    result.advice.push(...notChecked.map((service) => `${service.id} was not checked: ${service.reason}`))
    return {round, result, evidence: [...[...probes.values()].flat(), ...jwks]}
  }

  /**
   * Whether a service is probed in this check. A verifier that renews a cached key each time it is
   * asked (get-jwks) would be kept trusting a removed key by the probes themselves: those are probed
   * no more often than its cache lifetime (verifier profiles).
   */
  #due(service: InventoryService, now: Date): boolean {
    return this.#probeDueAt(service) <= now.getTime()
  }

  /** When a service may be probed next (epoch ms): at once, unless its verifier spaces probes out. */
  #probeDueAt(service: InventoryService): number {
    const last = this.#lastProbed.get(service.id)
    // An id outside the table (an inventory that skipped validation) is probed as if it had no profile.
    const profile =
      service.verifier === undefined ? undefined : (verifierProfile(service.verifier) as VerifierProfile | undefined)
    if (last === undefined || profile === undefined || !this.#lastResults.has(service.id)) return 0
    const spacing = probeSpacingMs(profile, serviceCacheSeconds(service).cacheSeconds)
    return spacing === null ? 0 : last + spacing
  }

  /**
   * How long until one of these services, spaced out by its verifier, may be probed again (null when
   * none waits on spacing): the next check comes then, not up to an interval later, since such a
   * verifier needs two probes a cache lifetime apart after the removal (get-jwks).
   */
  nextProbeDueInMs(pending: ReadonlySet<string>, now: Date): number | null {
    const dueIn = this.#o.inventory.services
      .filter((service) => pending.has(service.id))
      .map((service) => this.#probeDueAt(service) - now.getTime())
      .filter((ms) => ms > 0)
    return dueIn.length === 0 ? null : Math.min(...dueIn)
  }

  /** The last result of a service not probed this check, saying why. */
  #spacedOut(service: InventoryService): ServiceResult {
    const last = this.#lastResults.get(service.id) as ServiceResult
    const note = `not probed again yet: its verifier (${service.verifier}) renews a cached key on use, so probes are spaced past its cache lifetime`
    return {...last, reason: last.reason.includes(note) ? last.reason : `${last.reason}; ${note}`}
  }

  /** A canary accepted now makes the service's later refusals count. */
  #rememberAcceptances(probes: Map<string, ProbeEvidence[]>): void {
    for (const [id, evidence] of probes) {
      const accepted = evidence.filter((probe) => probe.role === 'canary' && probe.outcome === 'accepted').at(-1)
      if (accepted) this.#acceptedBefore.set(id, accepted.checkedAt)
    }
  }

  #observe(jwks: JwksEvidence[]): void {
    for (const evidence of jwks) {
      for (const owner of evidence.owners) {
        if (owner.type === 'service') {
          if (evidence.servesLeakedKey) this.#ownServed.add(owner.id)
          continue
        }
        const state = this.#issuers.get(owner.id) ?? {everServed: false, serving: null}
        state.serving = evidence.servesLeakedKey
        if (evidence.servesLeakedKey === true) {
          state.everServed = true
          state.firstSeenGone = undefined
        } else if (evidence.servesLeakedKey === false && state.firstSeenGone === undefined) {
          state.firstSeenGone = new Date(evidence.checkedAt)
        }
        this.#issuers.set(owner.id, state)
      }
    }
  }

  /**
   * The issuers whose tokens the key could sign: those seen serving it (in this run, or before it by
   * locate), those the journal says it was removed from, and those the responder names. When none is
   * known (it was gone before the first check), every issuer.
   */
  #involvedIssuers(): Set<string> {
    const ids = this.#o.inventory.issuers.map((issuer) => issuer.id)
    const known = this.#knownPublishers()
    const involved = ids.filter((id) => this.#issuers.get(id)?.everServed === true || known.has(id))
    return new Set(involved.length > 0 ? involved : ids)
  }

  /** The issuers known, from before this run, to have published the key. */
  #knownPublishers(): Set<string> {
    return new Set([
      ...Object.keys(this.#o.recordedRemovals ?? {}),
      ...(this.#o.published ?? []).map((entry) => entry.issuer),
      ...(this.#o.publishedBy ?? []),
    ])
  }

  /**
   * The services left out of a check for trusting only issuers that do not serve the key now, when
   * nothing says where it was published before this run: such an issuer may have had it (a rotation
   * done there already) and its services may still accept it. Left out, they are named, never dropped.
   */
  #notChecked(involved: ReadonlySet<string>, dependents: readonly InventoryService[]): NotChecked[] {
    if (this.#knownPublishers().size > 0) return []
    return this.#o.inventory.services
      .filter((service) => !dependents.includes(service) && service.trusts.length > 0)
      .map((service) => {
        const others = service.trusts.filter((id) => !involved.has(id))
        const one = others.length === 1
        return {
          id: service.id,
          reason:
            `it trusts ${others.join(', ')}, which ${one ? 'does' : 'do'} not serve the key now; nothing says whether ` +
            `${one ? 'it' : 'they'} did before. Run again naming every issuer that published the key: ` +
            `${others.map((id) => `--published-by ${id}`).join(' ')} if the key was removed there already` +
            (involved.size > 0 ? `, or only ${[...involved].map((id) => `--published-by ${id}`).join(' ')} if it never was` : ''),
        }
      })
  }

  #removalEvidence(id: string) {
    const state = this.#issuers.get(id)
    return {
      explicit: this.#o.removedAt,
      recorded: this.#o.recordedRemovals?.[id],
      firstSeenGone: state?.firstSeenGone,
      serving: state?.serving ?? null,
    }
  }

  #service(
    service: InventoryService,
    trusts: string[],
    jwks: JwksEvidence[],
    probes: Map<string, ProbeEvidence[]>,
    clock: ContainmentClock,
    now: Date,
    checkedAt: string,
  ): ServiceResult {
    const issuers = jwks.filter((evidence) =>
      evidence.owners.some((owner) => owner.type === 'issuer' && trusts.includes(owner.id)),
    )
    const own = service.jwksUri === undefined ? null : (jwks.find((evidence) => evidence.url === service.jwksUri) ?? null)
    const sent = probes.get(service.id) ?? []
    const serviceClock = clock.services.find((entry) => entry.id === service.id)
    const cacheSeconds = serviceClock?.cacheSeconds ?? 0
    const containedBy = serviceClock?.containedBy ?? null
    const acceptedBefore = this.#acceptedBefore.get(service.id) ?? null
    const verdict = serviceVerdict({
      id: service.id,
      probes: sent,
      acceptedBefore,
      baseline: this.#o.baseline === true,
      noProbe: sent.length > 0 ? null : this.#noProbeReason(service, trusts),
      issuers,
      own,
      containedBy,
      cacheSeconds,
      now,
    })
    // The verdict holds from the last request it rests on, not from the start of the check: under load a
    // probe goes out well after the check began, and an attacker's token may be accepted in between.
    const observedAt = latest([...sent, ...issuers, ...(own === null ? [] : [own])], checkedAt)
    const streak = this.#streak(`service:${service.id}`, verdict.status, observedAt)
    return {
      id: service.id,
      team: service.team,
      contacts: {...service.contacts},
      status: verdict.status,
      basis: verdict.basis,
      reason: verdict.reason,
      advice: verdict.advice,
      acceptedBefore,
      checkedAt: observedAt,
      since: streak.since,
      containedSince: verdict.status === 'contained' ? streak.since : null,
      cacheSeconds,
      containedBy,
      history: streak.history.map((change) => ({...change})),
      evidence: [...sent, ...issuers, ...(own === null ? [] : [own])],
    }
  }

  #noProbeReason(service: InventoryService, trusts: string[]): string {
    if (!this.#signer.possible) return 'no probe possible without the private key'
    if (service.probe === undefined) return 'no probe in the inventory'
    if (trusts.length === 0) return 'it trusts no issuer that published the key, so no canary issuer'
    return 'no probe was sent'
  }

  #endpoint(evidence: JwksEvidence, checkedAt: string): EndpointResult {
    const verdict = endpointVerdict(evidence)
    const streak = this.#streak(`endpoint:${evidence.url}`, verdict.status, checkedAt)
    return {
      url: evidence.url,
      owners: evidence.owners,
      status: verdict.status,
      reason: verdict.reason,
      checkedAt,
      since: streak.since,
      containedSince: verdict.status === 'contained' ? streak.since : null,
      history: streak.history.map((change) => ({...change})),
      evidence,
    }
  }

  #streak(id: string, status: ContainmentStatus, at: string): Streak {
    const known = this.#streaks.get(id)
    if (known?.status === status) return known
    const streak: Streak = {status, since: at, history: [...(known?.history ?? []), {status, at}]}
    this.#streaks.set(id, streak)
    return streak
  }
}

/**
 * The outcome of one check and what a proof still lacks. Proven needs at least one probed service, every
 * service contained (a refusal seen after an acceptance or beside an accepted control) and no JWKS
 * serving the key; with no service probed at all, containment was not attempted.
 */
export function containmentOutcome(
  services: readonly ServiceResult[],
  endpoints: readonly EndpointResult[],
  signer: CanarySigner,
): {outcome: ContainmentOutcome; missing: string[]} {
  const probed = services.filter((service) => service.evidence.some((item) => item.kind === 'probe'))
  const serving = endpoints.filter((endpoint) => endpoint.status === 'exposed')
  // A key set seen serving the key is checked, and not contained, whether or not a service could be probed.
  if (probed.length === 0 && serving.length === 0) {
    const missing =
      services.length === 0
        ? [
            endpoints.length === 0
              ? 'nothing to check: the inventory names no JWKS and no service'
              : 'no service depends on an issuer that published the key',
          ]
        : !signer.possible
          ? [`no probe could be sent: ${signer.reason}`]
          : [
              `no service could be probed (${services.map((service) => service.id).join(', ')}): give them a probe in the inventory`,
            ]
    return {outcome: 'not-attempted', missing}
  }
  const missing = [
    ...services
      .filter((service) => service.status !== 'contained')
      .map((service) => `${service.id}: ${service.status} (${service.reason})`),
    ...endpoints.filter((endpoint) => endpoint.status !== 'contained').map((endpoint) => `${endpoint.url}: ${endpoint.reason}`),
  ]
  return {outcome: missing.length === 0 ? 'proven' : 'not-proven', missing}
}

/** Whether all that keeps a check from a proof is the services it was not to check. */
function onlyUnchecked(result: VerifyResult): boolean {
  return (
    result.notChecked.length > 0 &&
    result.services.every((service) => service.status === 'contained') &&
    result.endpoints.every((endpoint) => endpoint.status === 'contained')
  )
}

/** What is left to contain, in one line: "still exposed: a, b; not proven: c; JWKS …". */
export function remainingSummary(result: VerifyResult): string {
  const parts: string[] = []
  if (result.exposed.length > 0) parts.push(`still exposed: ${result.exposed.join(', ')}`)
  if (result.undiscriminating.length > 0)
    parts.push(`refusing for other reasons (never seen to accept a canary): ${result.undiscriminating.join(', ')}`)
  if (result.unknown.length > 0) parts.push(`not proven: ${result.unknown.join(', ')}`)
  if (result.notChecked.length > 0) parts.push(`not checked: ${result.notChecked.map((service) => service.id).join(', ')}`)
  const endpoints = result.endpoints.filter((endpoint) => endpoint.status !== 'contained')
  if (endpoints.length > 0) parts.push(`JWKS ${endpoints.map((endpoint) => `${endpoint.url} ${endpoint.reason}`).join('; ')}`)
  return parts.length > 0 ? parts.join('; ') : 'nothing could be checked'
}

/** The message of a failed proof: which services remain exposed, and why. */
export function notContainedMessage(result: VerifyResult): string {
  if (result.outcome === 'not-attempted') return `Containment was not attempted: ${result.missing.join('; ')}.`
  const when = result.untilContained ? ` by ${result.checkedAt} (checked ${result.checks} times until the deadline)` : ''
  return `Containment is not proven${when}: ${remainingSummary(result)}.`
}

function endpointAdvice(endpoint: EndpointResult): string {
  const owners = endpoint.owners.map((owner) => `${owner.type} ${owner.id}`).join(', ')
  return endpoint.status === 'exposed'
    ? `${endpoint.url} (${owners}) ${endpoint.reason}: remove it (jwkr key rotate / jwkr key revoke), then verify again`
    : `${endpoint.url} (${owners}) ${endpoint.reason}: unknown is not "no" — check that it answers`
}

/** The latest `checkedAt` of the evidence (ISO 8601 strings of one clock compare as text), else `fallback`. */
function latest(evidence: readonly Evidence[], fallback: string): string {
  return evidence.reduce((last, item) => (item.checkedAt > last ? item.checkedAt : last), evidence.length > 0 ? '' : fallback)
}
