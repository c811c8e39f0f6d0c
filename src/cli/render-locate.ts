// The human report of `jwkr services locate`: the verdict first, then issuer → publishes? →
// dependent services with their owners, the dependents and why, the endpoints that failed, and the
// findings (critical first). Plain text; colour only through the given Style.
import type {LocateFinding, LocateIssuer, LocateResult, LocateService} from '../core/inventory/locate.js'
import type {Style} from './style.js'
import {renderTable} from './table.js'

/**
 * @example this.log(renderLocate(result, this.style))
 */
export function renderLocate(result: LocateResult, style: Style): string {
  const blocks = [
    `${style.bold('Leaked key')} ${result.thumbprint}${result.kid === null ? '' : style.dim(` (kid ${result.kid})`)}`,
    verdict(result, style),
    `${style.bold('Issuers')}\n${issuerTable(result, style)}`,
  ]
  if (result.services.length > 0) blocks.push(`${style.bold('Dependent services')}\n${serviceTable(result.services)}`)
  const failed = result.endpoints.filter((endpoint) => !endpoint.ok)
  if (failed.length > 0) {
    const table = renderTable(failed, [
      {name: 'endpoint', value: (endpoint) => endpoint.url},
      {name: 'for', value: (endpoint) => endpoint.owners.map((owner) => `${owner.type} ${owner.id}`).join(', ')},
      {name: 'error', value: (endpoint) => endpoint.error?.message ?? 'failed'},
      {name: 'tries', value: (endpoint) => String(endpoint.attempts)},
    ])
    blocks.push(`${style.bold('Endpoints that failed')}\n${table}`)
  }
  if (result.findings.length > 0) {
    const findings = renderTable(
      result.findings,
      [
        {name: 'severity', value: (finding) => severity(finding, style)},
        {name: 'finding', value: (finding) => finding.message},
      ],
      {view: {header: false}},
    )
    blocks.push(`${style.bold('Findings')}\n${findings}`)
  }
  const slowest = Math.max(0, ...result.endpoints.map((endpoint) => endpoint.durationMs))
  blocks.push(
    style.dim(
      `${plural(result.endpoints.length, 'endpoint')} checked (${failed.length} failed, slowest ${slowest} ms). ` +
        'Keys are matched by RFC 7638 thumbprint, whatever their kid.',
    ),
  )
  return blocks.join('\n\n')
}

function verdict(result: LocateResult, style: Style): string {
  const publishing = result.issuers.filter((issuer) => issuer.publishes)
  const unknown = result.issuers.filter((issuer) => issuer.publishes === null)
  const lines: string[] = []
  if (publishing.length > 0) {
    lines.push(
      style.red(
        style.bold(
          `Published by ${plural(publishing.length, 'issuer')} (${publishing.map((issuer) => issuer.id).join(', ')}); ` +
            `${plural(result.services.length, 'service')} depend${result.services.length === 1 ? 's' : ''} on it.`,
        ),
      ),
    )
  } else if (result.services.length > 0) {
    lines.push(style.red(style.bold(`No issuer publishes it, but ${plural(result.services.length, 'service')} serve it.`)))
  } else {
    lines.push(style.green(`No issuer in the inventory publishes it${unknown.length > 0 ? ' among those that answered' : ''}.`))
  }
  if (unknown.length > 0) {
    lines.push(
      style.yellow(
        `! ${plural(unknown.length, 'issuer')} could not be checked (${unknown.map((issuer) => issuer.id).join(', ')}): ` +
          'unknown is not "no".',
      ),
    )
  }
  return lines.join('\n')
}

function issuerTable(result: LocateResult, style: Style): string {
  return renderTable(result.issuers, [
    {name: 'issuer', value: (issuer) => issuer.id},
    {name: 'publishes the key?', value: (issuer) => publishes(issuer, style)},
    {name: 'JWKS', value: (issuer) => issuer.jwksUri ?? issuer.discovery ?? ''},
    {name: 'dependent services (owner)', value: (issuer) => dependentsOf(issuer, result)},
  ])
}

function publishes(issuer: LocateIssuer, style: Style): string {
  if (issuer.publishes) return style.red(style.bold(issuer.kid === null ? 'YES' : `YES, as kid ${issuer.kid}`))
  if (issuer.publishes === false) return style.green('no')
  return style.yellow(`unknown: ${issuer.error?.message ?? 'not checked'}`)
}

/** Who is exposed through this issuer; for one that could not be checked, who would be. */
function dependentsOf(issuer: LocateIssuer, result: LocateResult): string {
  if (issuer.publishes) {
    return result.services
      .filter((service) => service.reasons.some((reason) => reason.issuer === issuer.id))
      .map((service) => `${service.id} (${owner(service)})`)
      .join('\n')
  }
  if (issuer.publishes === null) {
    const unchecked = result.findings.find((finding) => finding.kind === 'issuer-unchecked' && finding.issuer === issuer.id)
    const services = unchecked?.services ?? []
    return services.length > 0 ? `if it does: ${services.join(', ')}` : ''
  }
  return ''
}

function serviceTable(services: LocateService[]): string {
  return renderTable(services, [
    {name: 'service', value: (service) => service.id},
    {name: 'team', value: (service) => service.team},
    {
      name: 'contacts',
      value: (service) => [service.contacts.slack, service.contacts.email].filter((contact) => contact !== undefined).join('\n'),
    },
    {name: 'why', value: (service) => service.reasons.map((reason) => reason.message).join('\n')},
  ])
}

function severity(finding: LocateFinding, style: Style): string {
  if (finding.severity === 'critical') return style.red(style.bold('CRITICAL'))
  return finding.severity === 'warning' ? style.yellow('warning') : style.dim('info')
}

function owner(service: LocateService): string {
  return [service.team, service.contacts.slack ?? service.contacts.email].filter((part) => part !== undefined).join(', ')
}

function plural(count: number, one: string): string {
  return `${count} ${count === 1 ? one : `${one}s`}`
}
