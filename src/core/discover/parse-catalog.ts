// Backstage catalog files (catalog-info.yaml, one or many entities) and catalog API answers:
// Components (owner, lifecycle, repository, Slack channel, APIs consumed), APIs, Groups and Users
// (e-mail, membership), and jwkr's own annotations (jwkr.dev/*) for what no catalog field says:
// an API that is a token issuer, its key source, a service's probe and cache-bust hook.
import type {CatalogEntity, CatalogEntityKind, Provenance} from './types.js'
import {isRecord, yamlSources} from './yaml-source.js'

const KINDS: readonly CatalogEntityKind[] = ['Component', 'API', 'Group', 'User', 'System', 'Resource']
/** Annotations that name a team's or service's Slack channel. */
const SLACK_ANNOTATIONS = ['jwkr.dev/slack', 'slack.com/channel', 'slack.com/channel-name']

/** Finds the entities of one catalog file; each at the line of its metadata.name. */
export function parseCatalogFile(text: string, file: string): CatalogEntity[] {
  return yamlSources(text).flatMap((source) => {
    const entity = catalogEntity(source.data, {file, line: source.lineOf(['metadata', 'name'])})
    return entity ? [entity] : []
  })
}

/**
 * One entity (from a file or the catalog API), or null when it is not one jwkr reads.
 *
 * @example catalogEntity({apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: {name: 'payments'}}, {file: 'catalog'})
 */
export function catalogEntity(data: unknown, at: Provenance): CatalogEntity | null {
  if (!isRecord(data) || typeof data.apiVersion !== 'string' || !data.apiVersion.startsWith('backstage.io/')) return null
  const kind = KINDS.find((candidate) => candidate.toLowerCase() === String(data.kind).toLowerCase())
  const metadata = isRecord(data.metadata) ? data.metadata : {}
  if (kind === undefined || typeof metadata.name !== 'string') return null
  const spec = isRecord(data.spec) ? data.spec : {}
  const annotations = stringRecord(metadata.annotations)
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default'
  const ref = `${kind.toLowerCase()}:${namespace}/${metadata.name}`
  const profile = isRecord(spec.profile) ? spec.profile : {}
  const slug = annotations['github.com/project-slug']
  const slack = SLACK_ANNOTATIONS.map((name) => annotations[name]).find((value) => value !== undefined)
  const email = annotations['jwkr.dev/email'] ?? (typeof profile.email === 'string' ? profile.email : undefined)
  const memberOf = refs(kind === 'User' ? spec.memberOf : spec.parent, 'group', namespace)
  const consumesApis = refs(spec.consumesApis, 'api', namespace)
  const jwkr = Object.fromEntries(Object.entries(annotations).filter(([name]) => name.startsWith('jwkr.dev/')))
  return {
    kind: 'entity',
    entityKind: kind,
    ref,
    name: metadata.name,
    namespace,
    ...(typeof spec.owner === 'string' ? {owner: entityRef(spec.owner, 'group', namespace)} : {}),
    ...(typeof spec.lifecycle === 'string' ? {lifecycle: spec.lifecycle} : {}),
    ...(slug && /^[^/\s]+\/[^/\s]+$/.test(slug) ? {repo: slug} : {}),
    ...(slack ? {slack: slack.startsWith('#') ? slack : `#${slack}`} : {}),
    ...(email ? {email} : {}),
    ...(memberOf.length > 0 ? {memberOf} : {}),
    ...(consumesApis.length > 0 ? {consumesApis} : {}),
    jwkr,
    at: {...at, entity: ref},
  }
}

/**
 * A full entity reference from the short forms Backstage allows (`payments`, `group:payments`).
 *
 * @example entityRef('payments', 'group', 'default') // → 'group:default/payments'
 */
export function entityRef(text: string, defaultKind: string, defaultNamespace: string): string {
  const match = /^(?:([^:/]+):)?(?:([^/]+)\/)?(.+)$/.exec(text.trim())
  const [, kind, namespace, name] = match ?? []
  return `${(kind ?? defaultKind).toLowerCase()}:${namespace ?? defaultNamespace}/${name ?? text}`
}

function refs(value: unknown, defaultKind: string, namespace: string): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : []
  return list.filter((item): item is string => typeof item === 'string').map((item) => entityRef(item, defaultKind, namespace))
}

function stringRecord(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {}
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
}
