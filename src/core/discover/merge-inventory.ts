// `jwkr inventory discover --merge`: folds a discovered draft into an existing inventory without
// losing what a person wrote. Entries are matched by their URLs (issuers) and ids (services); a field
// is added only where the file has none, a differing hand-written value is kept and reported, and
// new entries are appended with their provenance. The yaml Document API keeps every comment and the
// order and style of the file.
import {isMap, isScalar, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq} from 'yaml'

import {JwkrError} from '../errors.js'
import type {InventoryIssuer, InventoryService} from '../inventory/types.js'
import {
  UNKNOWN_TEAM,
  type DiscoveredInventory,
  type DiscoveredIssuer,
  type DiscoveredService,
  type ServiceField,
} from './build-inventory.js'
import {annotateField, fieldComment, issuerComment, serviceComment, unresolvedComment} from './render-discovered.js'
import {formatProvenance, type Provenance} from './types.js'

export interface InventoryChange {
  /** added: new in the file; updated: a field filled in; kept: the file says otherwise and keeps its value. */
  action: 'added' | 'updated' | 'kept'
  /** e.g. `services.billing-api.trusts`, `issuers.auth-main`. */
  path: string
  /** What discovery found. */
  value: unknown
  /** What the file says, for `kept`. */
  current?: unknown
  from: string[]
}

export interface MergeResult {
  text: string
  changes: InventoryChange[]
}

const UNRESOLVED_MARK = ' To resolve'

/**
 * @example const {text, changes} = mergeInventory(readFileSync('jwkr.inventory.yaml', 'utf8'), draft, 'jwkr.inventory.yaml')
 * @throws JwkrError ERR_INVENTORY_INVALID when the file is not YAML with issuers and services lists.
 */
export function mergeInventory(text: string, discovered: DiscoveredInventory, file: string): MergeResult {
  const document = parseDocument(text, {prettyErrors: false})
  if (document.errors.length > 0 || !isMap(document.contents)) {
    throw new JwkrError(
      'ERR_INVENTORY_INVALID',
      `${file} is not an inventory jwkr can merge into: ${document.errors[0]?.message ?? 'not a YAML map'}.`,
      {
        hint: 'Fix it (`jwkr inventory validate FILE` shows every problem), or write a new draft with --out.',
      },
    )
  }
  const changes: InventoryChange[] = []
  const issuers = listAt(document, 'issuers')
  const services = listAt(document, 'services')
  const idMap = mergeIssuers(document, issuers, discovered.issuers, changes)
  mergeServices(document, services, discovered.services, idMap, changes)
  if (discovered.unresolved.length > 0) {
    const kept = (document.comment ?? '').split(`\n${UNRESOLVED_MARK}`)[0] ?? ''
    const own = kept.startsWith(UNRESOLVED_MARK) ? '' : kept
    document.comment = [own, unresolvedComment(discovered.unresolved)].filter((part) => part !== '').join('\n')
  }
  return {text: document.toString({lineWidth: 0}), changes}
}

function listAt(document: Document, key: string): YAMLSeq {
  const node = document.get(key, true)
  if (isSeq(node)) return node
  const created = document.createNode([]) as YAMLSeq
  document.set(key, created)
  return created
}

/** Adds new issuers and fills missing URLs; returns discovered id → id in the file. */
function mergeIssuers(
  document: Document,
  nodes: YAMLSeq,
  discovered: DiscoveredIssuer[],
  changes: InventoryChange[],
): Map<string, string> {
  const idMap = new Map<string, string>()
  const taken = new Set(nodes.items.flatMap((node) => (isMap(node) ? [String(node.get('id'))] : [])))
  for (const found of discovered) {
    const {issuer} = found
    const from = found.from.map(formatProvenance)
    const node = nodes.items.find(
      (item): item is YAMLMap =>
        isMap(item) &&
        (item.get('issuer') === issuer.issuer || (issuer.jwksUri !== undefined && item.get('jwksUri') === issuer.jwksUri)),
    )
    if (!node) {
      const id = uniqueId(issuer.id, taken)
      idMap.set(issuer.id, id)
      const added = document.createNode({...issuer, id}) as YAMLMap
      added.commentBefore = issuerComment(found)
      nodes.add(added)
      changes.push({action: 'added', path: `issuers.${id}`, value: {...issuer, id}, from})
      continue
    }
    const id = String(node.get('id'))
    idMap.set(issuer.id, id)
    for (const field of ['jwksUri', 'discovery'] as const satisfies ReadonlyArray<keyof InventoryIssuer>) {
      fill(document, node, `issuers.${id}`, field, issuer[field], found.from, changes)
    }
    if (issuer.keySource.type !== 'manual') {
      const current = (node.toJSON() as {keySource?: unknown}).keySource
      if (JSON.stringify(current) !== JSON.stringify(issuer.keySource)) {
        changes.push({action: 'kept', path: `issuers.${id}.keySource`, value: issuer.keySource, current, from})
      }
    }
  }
  return idMap
}

function mergeServices(
  document: Document,
  nodes: YAMLSeq,
  discovered: DiscoveredService[],
  idMap: Map<string, string>,
  changes: InventoryChange[],
): void {
  for (const found of discovered) {
    const service: InventoryService = {...found.service, trusts: found.service.trusts.map((id) => idMap.get(id) ?? id)}
    const path = `services.${service.id}`
    const node = nodes.items.find((item): item is YAMLMap => isMap(item) && item.get('id') === service.id)
    const everywhere = Object.values(found.from).flat().map(formatProvenance)
    if (!node) {
      const added = document.createNode(service) as YAMLMap
      const before = serviceComment(found)
      if (before !== '') added.commentBefore = before
      for (const [field, from] of Object.entries(found.from)) annotateField(added, field, from)
      nodes.add(added)
      changes.push({action: 'added', path, value: service, from: [...new Set(everywhere)]})
      continue
    }
    mergeTrusts(document, node, path, service.trusts, found.from.trusts ?? [], changes)
    const team = node.get('team')
    if (team === UNKNOWN_TEAM && service.team !== UNKNOWN_TEAM) {
      node.set('team', service.team)
      annotateField(node, 'team', found.from.team ?? [])
      changes.push({
        action: 'updated',
        path: `${path}.team`,
        value: service.team,
        from: (found.from.team ?? []).map(formatProvenance),
      })
    } else {
      fill(document, node, path, 'team', service.team === UNKNOWN_TEAM ? undefined : service.team, found.from.team ?? [], changes)
    }
    const contacts: unknown = node.get('contacts', true)
    for (const channel of ['slack', 'email'] as const) {
      const value = service.contacts[channel]
      if (value === undefined) continue
      if (isMap(contacts)) fill(document, contacts, `${path}.contacts`, channel, value, found.from.contacts ?? [], changes)
      else fill(document, node, path, 'contacts', service.contacts, found.from.contacts ?? [], changes)
    }
    for (const field of [
      'jwksCacheSeconds',
      'verifier',
      'repo',
      'probe',
      'cacheBust',
    ] as const satisfies ReadonlyArray<ServiceField>) {
      fill(document, node, path, field, service[field], found.from[field] ?? [], changes)
    }
  }
}

function mergeTrusts(
  document: Document,
  node: YAMLMap,
  path: string,
  trusts: string[],
  from: Provenance[],
  changes: InventoryChange[],
): void {
  const list: unknown = node.get('trusts', true)
  const seq = isSeq(list) ? list : (document.createNode([]) as YAMLSeq)
  if (seq !== list) node.set('trusts', seq)
  const current = seq.items.map((item) => (isScalar(item) ? item.value : item))
  const missing = trusts.filter((id) => !current.includes(id))
  if (missing.length === 0) return
  for (const id of missing) seq.add(document.createNode(id))
  seq.comment = [seq.comment?.trim(), fieldComment(from).trim()].filter(Boolean).join('; ')
  changes.push({action: 'updated', path: `${path}.trusts`, value: missing, from: from.map(formatProvenance)})
}

/** Sets a field the node lacks; reports a differing value it has as kept. */
function fill(
  document: Document,
  node: YAMLMap,
  path: string,
  field: string,
  value: unknown,
  from: readonly Provenance[],
  changes: InventoryChange[],
): void {
  if (value === undefined) return
  const sources = from.map(formatProvenance)
  if (!node.has(field)) {
    node.set(field, document.createNode(value))
    annotateField(node, field, from)
    changes.push({action: 'updated', path: `${path}.${field}`, value, from: sources})
    return
  }
  const current: unknown = (node.toJSON() as Record<string, unknown>)[field]
  if (JSON.stringify(current) !== JSON.stringify(value)) {
    changes.push({action: 'kept', path: `${path}.${field}`, value, current, from: sources})
  }
}

function uniqueId(id: string, taken: Set<string>): string {
  let candidate = id
  for (let n = 2; taken.has(candidate); n++) candidate = `${id}-${n}`
  taken.add(candidate)
  return candidate
}
