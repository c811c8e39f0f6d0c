// One round of canary probes for `jwkr verify`: for each service with a probe, one fresh canary per
// issuer it trusts that served the key (iss of that issuer, aud the service id), sent as a bearer
// token. Each answer becomes evidence that names the canary by its jti, never by its token.
import pLimit from 'p-limit'

import {mintCanary} from '../../core/containment/canary.js'
import {probeOutcome, type ProbeEvidence} from '../../core/containment/verdict.js'
import type {InventoryIssuer, InventoryService} from '../../core/inventory/types.js'
import type {LoadedKey} from '../../core/key/types.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {sendProbe} from '../http/probe.js'

export interface ProbeTarget {
  service: InventoryService
  /** The issuers whose iss the canaries carry: those the service trusts that served the key. */
  issuers: InventoryIssuer[]
}

export interface ProbeServicesOptions {
  secrets: SecretRegistry
  incident?: string
  timeoutMs?: number
  signal?: AbortSignal
  concurrency?: number
}

/**
 * Probes every target that has a probe; the map holds each probed service's evidence.
 *
 * @example const evidence = await probeServices(targets, leakedKey, {secrets, timeoutMs: 5000})
 */
export async function probeServices(
  targets: ProbeTarget[],
  key: LoadedKey,
  options: ProbeServicesOptions,
): Promise<Map<string, ProbeEvidence[]>> {
  const limit = pLimit(options.concurrency ?? 16)
  const jobs = targets.flatMap(({service, issuers}) =>
    service.probe === undefined ? [] : issuers.map((issuer) => limit(() => probeOnce(service, issuer, key, options))),
  )
  const byService = new Map<string, ProbeEvidence[]>()
  for (const evidence of await Promise.all(jobs))
    byService.set(evidence.service, [...(byService.get(evidence.service) ?? []), evidence])
  return byService
}

async function probeOnce(
  service: InventoryService,
  issuer: InventoryIssuer,
  key: LoadedKey,
  options: ProbeServicesOptions,
): Promise<ProbeEvidence> {
  const probe = service.probe as NonNullable<InventoryService['probe']>
  // A fresh canary per probe: a relying party that remembers jtis would refuse a second use and look contained.
  const canary = await mintCanary(
    key,
    {issuer: issuer.issuer, audience: service.id},
    {secrets: options.secrets, incident: options.incident},
  )
  const response = await sendProbe({
    url: probe.url,
    method: probe.method,
    headers: probe.headers,
    token: canary.token,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  })
  return {
    kind: 'probe',
    service: service.id,
    url: probe.url,
    method: probe.method,
    checkedAt: response.sentAt.toISOString(),
    httpStatus: response.httpStatus,
    bodySha256: response.bodySha256,
    jti: canary.jti,
    issuer: canary.issuer,
    audience: canary.audience,
    ...probeOutcome(response.httpStatus, response.error),
    durationMs: response.durationMs,
  }
}
