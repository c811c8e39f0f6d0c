// The live status of a containment proof between its checks, shared by `jwkr verify
// --until-contained` and the containment.verify step: how many services are contained, who is still
// waited for, the slowest cache (the one whose clock ends last) and when the next check happens.
import {formatDuration} from '../duration.js'

/** What a check must tell (verify-containment's VerifyCheck has it all). */
export interface CheckSeen {
  round: number
  result: {
    baseline: boolean
    contained: boolean
    /** When the proof gives up (ISO 8601), null without --until-contained. */
    gaveUpAt: string | null
    services: Array<{id: string; status: string; containedBy: string | null; cacheSeconds: number}>
    /** The key sets checked (absent in older callers): one still serving the key is waited for too. */
    endpoints?: Array<{url: string; status: string}>
  }
}

export interface ContainmentProgress {
  /** e.g. `check 3: 3/5 contained · waiting for billing-api, reports-api · slowest cache reports-api (until 10:02:07)`. */
  message: string
  fraction?: number
  /** When the next check starts (ISO 8601), when there will be one. */
  nextAt?: string
}

/** @example context.progress(containmentProgress(check, intervalMs, new Date())) */
export function containmentProgress({round, result}: CheckSeen, intervalMs: number, now: Date): ContainmentProgress {
  const total = result.services.length
  if (result.baseline) {
    const accepting = result.services.filter((service) => service.status === 'exposed').length
    return {message: `baseline: ${accepting}/${total} accept the canary`, ...(total > 0 ? {fraction: accepting / total} : {})}
  }
  const contained = result.services.filter((service) => service.status === 'contained').length
  const waiting = result.services.filter((service) => service.status !== 'contained')
  const parts = [`check ${round}: ${contained}/${total} contained`]
  // Every service may refuse the key while a JWKS still serves it: the check is not done, and says why.
  const serving = (result.endpoints ?? []).filter((endpoint) => endpoint.status === 'exposed')
  if (serving.length > 0) parts.push(`${serving.map((endpoint) => endpoint.url).join(', ')} still serves the key`)
  if (waiting.length > 0) parts.push(`waiting for ${waiting.map((service) => service.id).join(', ')}`)
  const slowest = waiting
    .filter((service) => service.containedBy !== null)
    .sort((a, b) => Date.parse(b.containedBy ?? '') - Date.parse(a.containedBy ?? ''))[0]
  if (slowest?.containedBy) {
    const left = Date.parse(slowest.containedBy) - now.getTime()
    parts.push(
      `slowest cache ${slowest.id} (${slowest.cacheSeconds}s, ${left > 0 ? `expires in ${formatDuration(left)}` : 'should have expired'})`,
    )
  }
  const gaveUpAt = result.gaveUpAt === null ? null : Date.parse(result.gaveUpAt)
  const next =
    result.contained || gaveUpAt === null || gaveUpAt <= now.getTime()
      ? undefined
      : new Date(now.getTime() + Math.min(intervalMs, gaveUpAt - now.getTime())).toISOString()
  return {
    message: parts.join(' · '),
    ...(total > 0 ? {fraction: contained / total} : {}),
    ...(next ? {nextAt: next} : {}),
  }
}
