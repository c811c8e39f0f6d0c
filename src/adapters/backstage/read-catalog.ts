// A Backstage catalog through its REST API: GET {base}/api/catalog/entities/by-query, one filter per
// kind jwkr reads (Component, API, Group, User; separate filters are OR-ed), following
// pageInfo.nextCursor. BACKSTAGE_TOKEN, when set, is sent as a bearer token. Each entity's provenance
// is its reference and the location it was registered from (backstage.io/managed-by-location).
import {catalogEntity} from '../../core/discover/parse-catalog.js'
import type {CatalogEntity} from '../../core/discover/types.js'
import {JwkrError} from '../../core/errors.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {fetchJson} from '../http/fetch-json.js'

export interface ReadCatalogOptions {
  baseUrl: string
  token?: string
  secrets: SecretRegistry
  timeoutMs?: number
  signal?: AbortSignal
}

const KINDS = ['component', 'api', 'group', 'user']
const PAGE = 500
/** A catalog of 100,000 entities is 200 pages: more is a loop. */
const MAX_PAGES = 200

/**
 * @example const entities = await readCatalog({baseUrl: 'https://backstage.example.com', secrets})
 */
export async function readCatalog(options: ReadCatalogOptions): Promise<CatalogEntity[]> {
  if (options.token) options.secrets.add(options.token)
  const base = options.baseUrl.replace(/\/+$/, '')
  const entities: CatalogEntity[] = []
  let cursor: string | undefined
  for (let page = 0; page < MAX_PAGES; page++) {
    const url = new URL(`${base}/api/catalog/entities/by-query`)
    if (cursor) url.searchParams.set('cursor', cursor)
    else for (const kind of KINDS) url.searchParams.append('filter', `kind=${kind}`)
    url.searchParams.set('limit', String(PAGE))
    const answer = await fetchJson(url.toString(), {
      timeoutMs: options.timeoutMs ?? 15_000,
      maxBytes: 64 * 1024 * 1024,
      signal: options.signal,
      headers: options.token ? {authorization: `Bearer ${options.token}`} : {},
    })
    if (!answer.ok) {
      const status = answer.httpStatus
      throw new JwkrError(
        'ERR_BACKSTAGE_FAILED',
        `The Backstage catalog at ${base} did not answer: ${answer.error?.message ?? 'failed'}.`,
        {
          hint:
            status === 401 || status === 403
              ? 'Set BACKSTAGE_TOKEN to a token the catalog accepts (a static external access token).'
              : 'Check --backstage (the base URL of Backstage, e.g. https://backstage.example.com), or pass a catalog-info.yaml file instead.',
        },
      )
    }
    const body = answer.body as {items?: unknown; pageInfo?: {nextCursor?: unknown}} | null
    if (!Array.isArray(body?.items)) {
      throw new JwkrError('ERR_BACKSTAGE_FAILED', `${url.origin}${url.pathname} did not answer with a catalog page (no items).`, {
        hint: 'Check that --backstage is the base URL of Backstage (its backend), not a page of its frontend.',
      })
    }
    for (const item of body.items as unknown[]) {
      const entity = catalogEntity(item, {file: locationOf(item, base)})
      if (entity) entities.push(entity)
    }
    cursor = typeof body.pageInfo?.nextCursor === 'string' ? body.pageInfo.nextCursor : undefined
    if (!cursor) return entities
  }
  throw new JwkrError('ERR_BACKSTAGE_FAILED', `The Backstage catalog at ${base} kept paging past ${MAX_PAGES * PAGE} entities.`, {
    hint: 'Export the catalog to a file and pass it with --backstage FILE.',
  })
}

/** Where the entity was registered from, else its page in the catalog. */
function locationOf(item: unknown, base: string): string {
  const {kind, metadata} = (item ?? {}) as {
    kind?: unknown
    metadata?: {annotations?: Record<string, unknown>; namespace?: unknown; name?: unknown}
  }
  const location = metadata?.annotations?.['backstage.io/managed-by-location']
  if (typeof location === 'string') return location.replace(/^url:/, '')
  return `${base}/catalog/${String(metadata?.namespace ?? 'default')}/${String(kind ?? '').toLowerCase()}/${String(metadata?.name ?? '')}`
}
