// A Mermaid `graph LR` of a locate result for the incident report: the leaked key, the issuers (who
// publishes it, who could not be checked) and the dependent services with their owners. Every label
// comes from the inventory or a remote server, so every label is escaped.
import type {LocateIssuer, LocateResult, LocateService} from './locate.js'

const CLASSES = [
  'classDef leaked fill:#fee2e2,stroke:#b91c1c,stroke-width:2px',
  'classDef publishes fill:#fecaca,stroke:#b91c1c',
  'classDef clean fill:#f3f4f6,stroke:#9ca3af',
  'classDef unknown fill:#fef3c7,stroke:#d97706,stroke-dasharray:4 3',
  'classDef dependent fill:#dbeafe,stroke:#1d4ed8',
]

/**
 * Renders the locate result as Mermaid source.
 *
 * @example renderLocateMermaid(result) // → 'graph LR\n  K(("leaked key<br/>…"))\n  …'
 */
export function renderLocateMermaid(result: LocateResult): string {
  const issuerIds = new Map(result.issuers.map((issuer, index) => [issuer.id, `I${index}`]))
  const lines = [
    'graph LR',
    `  K((${label(['leaked key', result.kid === null ? null : `kid ${result.kid}`, result.thumbprint])})):::leaked`,
  ]
  for (const issuer of result.issuers) {
    lines.push(`  ${issuerIds.get(issuer.id)}[${label([issuer.id, issuerState(issuer)])}]:::${issuerClass(issuer)}`)
  }
  result.services.forEach((service, index) => lines.push(`  S${index}[${label(serviceLines(service))}]:::dependent`))
  for (const issuer of result.issuers) {
    if (issuer.publishes) lines.push(`  ${issuerIds.get(issuer.id)} ==>|${label(['publishes'])}| K`)
  }
  result.services.forEach((service, index) => {
    for (const reason of service.reasons) {
      const from = reason.issuer === undefined ? undefined : issuerIds.get(reason.issuer)
      if (reason.kind === 'trusts-publishing-issuer' && from) lines.push(`  ${from} -->|${label(['trusted by'])}| S${index}`)
      if (reason.kind === 'serves-leaked-key') lines.push(`  S${index} ==>|${label(['serves it'])}| K`)
    }
  })
  lines.push(...CLASSES.map((line) => `  ${line}`))
  return `${lines.join('\n')}\n`
}

/**
 * A quoted Mermaid label. Anything but plain letters, digits and a few safe marks becomes an entity
 * code (`#35;`), so a name cannot close the label, start a link or inject HTML.
 */
export function escapeMermaidLabel(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[^A-Za-z0-9 _.,:/@()+=?-]/gu, (char) => `#${char.codePointAt(0)};`)
}

function label(parts: (string | null)[]): string {
  return `"${parts
    .filter((part): part is string => part !== null && part !== '')
    .map(escapeMermaidLabel)
    .join('<br/>')}"`
}

function issuerState(issuer: LocateIssuer): string {
  if (issuer.publishes) return issuer.kid === null ? 'publishes it' : `publishes it as kid ${issuer.kid}`
  if (issuer.publishes === false) return 'does not publish it'
  return `unknown: ${issuer.error?.code ?? 'not checked'}`
}

function issuerClass(issuer: LocateIssuer): string {
  if (issuer.publishes) return 'publishes'
  return issuer.publishes === false ? 'clean' : 'unknown'
}

function serviceLines(service: LocateService): string[] {
  const contact = service.contacts.slack ?? service.contacts.email ?? null
  return [service.id, `team ${service.team}`, contact ?? '']
}
