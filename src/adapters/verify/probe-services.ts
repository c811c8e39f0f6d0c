// One round of probes for `jwkr verify`. For each service with a probe and each issuer it trusts that
// served the key: one canary per kid the issuer publishes the key under (the token an attacker would
// send: that kid, iss, and the service's token shape), and, when asked, a negative control (the canary
// with a broken signature) and a control signed with the replacement key. Each answer becomes evidence
// that names the token by its jti, never by the token itself.
import pLimit from 'p-limit'

import {breakSignature, canaryLiveUntil, mintCanary, type Canary, type CanaryClaims} from '../../core/containment/canary.js'
import {canaryShape, type CanaryDefaults} from '../../core/containment/canary-shape.js'
import {identitiesFor, type PublishedIdentity, type PublishedKey} from '../../core/containment/published-key.js'
import {probeOutcome, type ProbeEvidence, type ProbeRole} from '../../core/containment/verdict.js'
import type {InventoryIssuer, InventoryService} from '../../core/inventory/types.js'
import type {LoadedKey} from '../../core/key/types.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {sendProbe} from '../http/probe.js'

export interface ProbeTarget {
  service: InventoryService
  /** The issuers whose iss the canaries carry: those the service trusts that served the key. */
  issuers: InventoryIssuer[]
  /** Also send the canary with a broken signature, which it must refuse (once per run is enough). */
  negativeControl?: boolean
}

export interface ProbeServicesOptions {
  secrets: SecretRegistry
  /** Where the issuers publish the key: each canary carries a kid it is published under. */
  published: readonly PublishedKey[]
  /** The replacement private key: a control token signed with it must be accepted. */
  controlKey?: LoadedKey | null
  /** Shapes of real tokens seen in the logs and the issuers' discovery algs: canaries copy them where the inventory is silent. */
  defaults?: CanaryDefaults
  incident?: string
  /** The clock the canaries are dated by (default: the system's). */
  now?: () => Date
  timeoutMs?: number
  signal?: AbortSignal
  concurrency?: number
}

interface Send {
  service: InventoryService
  role: ProbeRole
  canary: Canary
  /** What is sent: the canary's token, or a broken copy of it. */
  token: string
  shapedBy: string[]
}

/**
 * Probes every target that has a probe; the map holds each probed service's evidence.
 *
 * @example const evidence = await probeServices(targets, leakedKey, {secrets, published, timeoutMs: 5000})
 */
export async function probeServices(
  targets: ProbeTarget[],
  key: LoadedKey,
  options: ProbeServicesOptions,
): Promise<Map<string, ProbeEvidence[]>> {
  const limit = pLimit(options.concurrency ?? 16)
  const sends = (await Promise.all(targets.map((target) => tokensFor(target, key, options)))).flat()
  const byService = new Map<string, ProbeEvidence[]>()
  for (const evidence of await Promise.all(sends.map((send) => limit(() => probeOnce(send, options))))) {
    byService.set(evidence.service, [...(byService.get(evidence.service) ?? []), evidence])
  }
  return byService
}

/**
 * The kids a canary for this issuer carries: every kid the issuer publishes the key under; when it was
 * never seen published, the key file's own kid (or none).
 */
export function canaryIdentities(published: readonly PublishedKey[], issuer: string, key: LoadedKey): PublishedIdentity[] {
  const seen = identitiesFor(published, issuer)
  return seen.length > 0 ? seen : [{kid: key.report.kid, alg: key.report.alg}]
}

async function tokensFor(target: ProbeTarget, key: LoadedKey, options: ProbeServicesOptions): Promise<Send[]> {
  const {service} = target
  if (service.probe === undefined) return []
  const sends: Send[] = []
  // A fresh canary per probe: a relying party that remembers jtis would refuse a second use and look contained.
  const mint = (signer: LoadedKey, claims: CanaryClaims, control: boolean) =>
    mintCanary(signer, claims, {secrets: options.secrets, incident: options.incident, control, now: options.now?.()})
  for (const issuer of target.issuers) {
    const identities = canaryIdentities(options.published, issuer.id, key)
    const shapeOf = (alg: string | null) => canaryShape(service, issuer, alg, options.defaults)
    // The issuer's own tokens carry no kid: an attacker's need not either (verifiers that pick by alg accept it).
    const kidless = shapeOf(null).kidless && !identities.some((identity) => identity.kid === null)
    for (const identity of kidless ? [...identities, {kid: null, alg: identities[0]?.alg ?? null}] : identities) {
      const shape = shapeOf(identity.alg)
      const canary = await mint(key, {...shape.claims, kid: identity.kid}, false)
      sends.push({service, role: 'canary', canary, token: canary.token, shapedBy: shape.shapedBy})
    }
    const control = options.controlKey
    if (control) {
      const shape = shapeOf(control.report.alg)
      const canary = await mint(control, {...shape.claims, kid: control.report.kid}, true)
      sends.push({service, role: 'control', canary, token: canary.token, shapedBy: shape.shapedBy})
    }
  }
  const first = sends.find((send) => send.role === 'canary')
  if (target.negativeControl && first) {
    // One bit away from a valid canary: as secret as the canary itself.
    const broken = breakSignature(first.token)
    options.secrets.add(broken, {until: canaryLiveUntil(first.canary)})
    sends.push({service, role: 'negative-control', canary: first.canary, token: broken, shapedBy: first.shapedBy})
  }
  return sends
}

async function probeOnce(send: Send, options: ProbeServicesOptions): Promise<ProbeEvidence> {
  const probe = send.service.probe as NonNullable<InventoryService['probe']>
  const response = await sendProbe({
    url: probe.url,
    method: probe.method,
    headers: probe.headers,
    token: send.token,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  })
  const {canary} = send
  return {
    kind: 'probe',
    service: send.service.id,
    url: probe.url,
    method: probe.method,
    checkedAt: response.sentAt.toISOString(),
    httpStatus: response.httpStatus,
    bodySha256: response.bodySha256,
    jti: canary.jti,
    role: send.role,
    kid: canary.kid,
    typ: canary.typ,
    issuer: canary.issuer,
    audience: canary.audience,
    wwwAuthenticate: response.wwwAuthenticate,
    ...(send.shapedBy.length > 0 ? {shapedBy: send.shapedBy} : {}),
    ...probeOutcome(response.httpStatus, response.error),
    durationMs: response.durationMs,
  }
}
