// The human report of `jwkr verify`: the verdict first, then one row per service (status, since
// when, evidence), the JWKS endpoints, the containment clock, and what to do about what is left;
// plus the live progress shown on stderr between checks. Colour only through the given Style.
import {
  remainingSummary,
  type EndpointResult,
  type ServiceResult,
  type VerifyCheck,
  type VerifyResult,
} from '../services/verify.js'
import type {ServiceClock} from '../core/containment/clock.js'
import {containmentProgress} from '../core/containment/containment-progress.js'
import type {ContainmentStatus, Evidence} from '../core/containment/verdict.js'
import {formatDuration} from '../core/duration.js'
import type {SecretRegistry} from '../core/secrets.js'
import {createStatusLine, nextCheckIn} from './status-line.js'
import {forTerminal, redrawsInPlace, type Style} from './style.js'
import {renderTable} from './table.js'

/** @example this.log(renderVerify(result, this.style)) */
export function renderVerify(result: VerifyResult, style: Style): string {
  const blocks = [
    `${style.bold('Leaked key')} ${result.thumbprint}${result.kid === null ? '' : style.dim(` (kid ${result.kid})`)}`,
    verdict(result, style),
  ]
  if (result.services.length > 0) blocks.push(`${style.bold('Services')}\n${serviceTable(result.services, style)}`)
  if (result.endpoints.length > 0) blocks.push(`${style.bold('JWKS endpoints')}\n${endpointTable(result.endpoints, style)}`)
  blocks.push(`${style.bold('Containment clock')}\n${clockLines(result).join('\n')}`)
  if (result.advice.length > 0) blocks.push(`${style.bold('What to do')}\n${result.advice.map((line) => `- ${line}`).join('\n')}`)
  const checks = result.checks === 1 ? '1 check' : `${result.checks} checks`
  blocks.push(style.dim(`${checks}, the last at ${result.checkedAt}. Canaries are named by jti; the tokens are never recorded.`))
  return blocks.join('\n\n')
}

/**
 * The progress of `--until-contained` on stderr: on a terminal one status line updated in place (n/m
 * contained, who is waited for, the slowest cache, a countdown to the next check); without one, a line
 * per check and a heartbeat between them.
 *
 * @example const status = containmentStatusLine(this.secrets); … onCheck: (check) => status.checked(check, intervalMs)
 */
export function containmentStatusLine(
  secrets: SecretRegistry,
  stream: NodeJS.WritableStream & {isTTY?: boolean; columns?: number} = process.stderr,
): {checked(check: VerifyCheck, intervalMs: number): void; clear(): void} {
  const safe = (text: string): string => forTerminal(secrets.redact(text), stream)
  const line = createStatusLine({stream, format: safe})
  return {
    checked(check, intervalMs) {
      const progress = containmentProgress(check, intervalMs, new Date())
      // Without a live line (a pipe, a terminal without a width), one line per check.
      if (!redrawsInPlace(stream)) stream.write(`${safe(progress.message)}\n`)
      line.show(() => [progress.message, nextCheckIn(progress.nextAt, new Date())].filter(Boolean).join(' · '))
    },
    clear: () => line.clear(),
  }
}

function verdict(result: VerifyResult, style: Style): string {
  const lines = [headline(result, style)]
  const kids = [...new Set(result.published.map((entry) => (entry.kid === null ? 'none' : `"${entry.kid}"`)))]
  lines.push(
    result.probes.possible
      ? style.dim(
          `Probes: per service, a fresh canary signed ${result.probes.alg} with the leaked key, shaped like an attacker's token ` +
            `(${kids.length > 0 ? `published kid ${kids.join(', ')}` : 'kid of the key file: never seen published'}; sub jwkr-canary, 5-minute exp). ` +
            'A refusal (401) counts only from a service seen to accept one, or beside an accepted control.',
        )
      : style.yellow(`Probes impossible: ${result.probes.reason} No service can be proven contained without them.`),
  )
  return lines.join('\n')
}

function headline(result: VerifyResult, style: Style): string {
  if (result.baseline) {
    // Only a service seen accepting the canary can later prove containment by refusing it.
    const accepting = new Set(result.accepting)
    const line = `BASELINE: ${accepting.size} of ${result.services.length} services accept the canary before containment, so their refusals will prove it.`
    const others = result.services.filter((service) => !accepting.has(service.id)).map((service) => service.id)
    return others.length === 0 ? style.green(style.bold(line)) : style.yellow(style.bold(`${line} Not so: ${others.join(', ')}.`))
  }
  if (result.outcome === 'proven')
    return style.green(
      style.bold(
        `CONTAINMENT PROVEN: every service refuses the key after accepting it (or beside an accepted control), and no JWKS serves it (checked ${result.checkedAt}).`,
      ),
    )
  if (result.outcome === 'not-attempted')
    return style.yellow(style.bold(`CONTAINMENT NOT ATTEMPTED: ${result.missing.join('; ')}.`))
  return style.red(style.bold(`NOT PROVEN: ${remainingSummary(result)}.`))
}

function serviceTable(services: ServiceResult[], style: Style): string {
  return renderTable(services, [
    {name: 'service', value: (service) => service.id},
    {name: 'status', value: (service) => status(service.status, style)},
    {name: 'since', value: (service) => service.since},
    {name: 'why', value: (service) => `${service.reason} [${service.basis}]`},
    {name: 'evidence', value: (service) => evidenceLines(service.evidence)},
  ])
}

function endpointTable(endpoints: EndpointResult[], style: Style): string {
  return renderTable(endpoints, [
    {name: 'endpoint', value: (endpoint) => endpoint.url},
    {name: 'for', value: (endpoint) => endpoint.owners.map((owner) => `${owner.type} ${owner.id}`).join('\n')},
    {name: 'status', value: (endpoint) => status(endpoint.status, style)},
    {name: 'since', value: (endpoint) => endpoint.since},
    {name: 'evidence', value: (endpoint) => evidenceLines([endpoint.evidence])},
  ])
}

function clockLines(result: VerifyResult): string[] {
  const {clock} = result
  const lines = clock.issuers.map((issuer) =>
    issuer.removedAt === null
      ? `- ${issuer.issuer}: ${issuer.stillServing ? 'still publishes the key: the clock has not started' : 'nothing says when the key left it'}`
      : `- ${issuer.issuer}: the key left its JWKS by ${issuer.removedAt} (${issuer.source === 'flag' ? '--removed-at' : issuer.source === 'journal' ? 'incident journal' : 'first check that saw it gone'})`,
  )
  for (const service of clock.services) {
    const cache = `${service.cacheSeconds} s${cacheNote(service)}`
    lines.push(
      `- ${service.id}: cache ${cache}, ${service.containedBy === null ? `waiting for ${service.waitingFor.join(', ') || 'a removal'}` : `must drop the key by ${service.containedBy}`}`,
    )
  }
  lines.push(
    clock.containedBy === null
      ? '- Every cache: not known yet (a key still served, or no removal time).'
      : `- Every cache must have dropped the key by ${clock.containedBy}${clock.remainingMs ? ` (in ${clock.waitFor})` : ''}; with tokens living ${formatDuration(clock.tokenLifetimeSeconds * 1000)}, exposure ends by ${clock.deadline}.`,
  )
  return lines
}

/** Where a service's cache lifetime came from, when the inventory does not give it. */
function cacheNote(service: ServiceClock): string {
  if (service.cacheSource === 'profile') return ` (from the ${service.verifier ?? 'verifier'} profile)`
  if (service.cacheSource === 'assumed') return ' (assumed: jose default)'
  return ''
}

function evidenceLines(evidence: Evidence[]): string {
  return evidence
    .map((item) => {
      const status = item.httpStatus === null ? 'no answer' : `HTTP ${item.httpStatus}`
      const hash = item.bodySha256 === null ? '' : `, sha256 ${item.bodySha256.slice(0, 12)}…`
      if (item.kind === 'probe') {
        const token = `${item.role} kid ${item.kid === null ? 'none' : item.kid}`
        return `${token}: ${item.method} ${item.url} → ${status}, jti ${item.jti}, at ${item.checkedAt}${hash}`
      }
      const served =
        item.servesLeakedKey === null ? (item.error ?? 'unreadable') : item.servesLeakedKey ? 'serves the key' : 'key gone'
      return `JWKS ${item.url} → ${status}, ${served}, at ${item.checkedAt}${hash}`
    })
    .join('\n')
}

function status(value: ContainmentStatus, style: Style): string {
  if (value === 'contained') return style.green('contained')
  if (value === 'exposed') return style.red(style.bold('EXPOSED'))
  if (value === 'undiscriminating') return style.yellow('undiscriminating')
  return style.yellow('unknown')
}
