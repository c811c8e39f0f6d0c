// The inventory draft as YAML: the same format as a hand-written jwkr.inventory.yaml, each issuer and
// service preceded by where it was read (file:line or catalog entity) and what a person must confirm,
// each discovered field followed by its source, and the unresolved values listed at the end.
import {Document, isMap, isScalar, isSeq, type YAMLMap} from 'yaml'

import type {DiscoveredInventory, DiscoveredIssuer, DiscoveredService, ServiceField} from './build-inventory.js'
import {inventoryOf} from './build-inventory.js'
import {describeSource} from './stated-values.js'
import {formatProvenance, type Provenance, type UnresolvedFinding} from './types.js'

export const DRAFT_HEADER = [
  ' Drafted by `jwkr inventory discover` from the configuration listed beside each entry.',
  ' Check every "to confirm" line; `jwkr inventory validate` checks the file.',
].join('\n')

/**
 * @example renderDiscovered(buildInventory(findings))
 */
export function renderDiscovered(discovered: DiscoveredInventory): string {
  const document = new Document(inventoryOf(discovered))
  document.commentBefore = DRAFT_HEADER
  discovered.issuers.forEach((issuer, index) => annotateIssuer(document, index, issuer))
  discovered.services.forEach((service, index) => annotateService(document, index, service))
  if (discovered.unresolved.length > 0) document.comment = unresolvedComment(discovered.unresolved)
  return document.toString({lineWidth: 0})
}

/** Comments on a newly added issuer node (also used by --merge). */
export function issuerComment(issuer: DiscoveredIssuer): string {
  return [` from: ${list(issuer.from)}`, ...issuer.toConfirm.map((line) => ` to confirm: ${line}`)].join('\n')
}

/** Comments before a newly added service node (also used by --merge). */
export function serviceComment(service: DiscoveredService): string {
  return service.toConfirm.map((line) => ` to confirm: ${line}`).join('\n')
}

/** The inline comment of one discovered field: where it was read. */
export function fieldComment(from: readonly Provenance[]): string {
  return ` ${list(from)}`
}

export function annotateIssuer(document: Document, index: number, issuer: DiscoveredIssuer): void {
  const node = document.getIn(['issuers', index], true)
  if (isMap(node)) node.commentBefore = issuerComment(issuer)
}

export function annotateService(document: Document, index: number, service: DiscoveredService): void {
  const node = document.getIn(['services', index], true)
  if (!isMap(node)) return
  const before = serviceComment(service)
  if (before !== '') node.commentBefore = before
  for (const [field, from] of Object.entries(service.from) as Array<[ServiceField, Provenance[]]>) {
    annotateField(node, field, from)
  }
}

/** Puts `# file:line` after a scalar or list value, or before the key of a block value. */
export function annotateField(node: YAMLMap, field: string, from: readonly Provenance[]): void {
  const value: unknown = node.get(field, true)
  if (isScalar(value)) value.comment = fieldComment(from)
  else if (isSeq(value)) {
    value.flow = value.items.every((item) => isScalar(item))
    value.comment = fieldComment(from)
  } else if (isMap(value)) {
    const pair = node.items.find((item) => isScalar(item.key) && item.key.value === field)
    if (pair && isScalar(pair.key)) pair.key.commentBefore = fieldComment(from)
  }
}

function list(from: readonly Provenance[]): string {
  const shown = from.slice(0, 4).map(formatProvenance)
  return from.length > 4 ? `${shown.join(', ')} and ${from.length - 4} more` : shown.join(', ')
}

/** The closing comment: every value that names an issuer or JWKS but could not be read. */
export function unresolvedComment(unresolved: readonly UnresolvedFinding[]): string {
  return [
    ' To resolve (not guessed: find the value where the service runs, then add it above):',
    ...unresolved.map(
      (finding) =>
        ` - ${formatProvenance(finding.at)}: ${finding.service} ${finding.field} = ${finding.value} (${describeSource(finding.source)}: ${finding.reason})`,
    ),
  ].join('\n')
}
