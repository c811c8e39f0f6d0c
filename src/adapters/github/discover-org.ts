// Discovery in a GitHub organisation: code search (GET /search/code, legacy syntax) for the words
// that mark each kind of configuration discovery reads, then each file's contents (GET
// /repos/{owner}/{repo}/contents/{path}) and each repository's tree once (GET .../git/trees/HEAD,
// recursive) to know which folders are projects. The files go through the same parsers as a local
// tree; provenance is owner/repo:path:line.
import {posix} from 'node:path'

import {discoverFile, fileKind} from '../../core/discover/discover-file.js'
import {isProjectListing, projectName} from '../../core/discover/project-name.js'
import type {Finding} from '../../core/discover/types.js'
import type {GitHubClient} from './client.js'

/** One query per kind of configuration (qualifiers narrow where the words alone match too much). */
export const DISCOVERY_QUERIES: readonly string[] = [
  'RequestAuthentication jwtRules',
  'jwt_authn remote_jwks',
  'jwksURI keyCache',
  'auth_jwt_key_request',
  'jwk-set-uri',
  'issuer-uri',
  'Authority filename:appsettings.json',
  'JWKS_URI',
  'ISSUER',
  'AUTH0_DOMAIN',
  'createRemoteJWKSet',
  'jwksUri',
  'issuerBaseURL',
  'filename:catalog-info.yaml',
]

export interface DiscoverOrgOptions {
  client: GitHubClient
  org: string
  /** Results read per query at most (GitHub returns at most 1,000). */
  maxResults?: number
  onProgress?: (message: string) => void
}

export interface DiscoverOrgResult {
  findings: Finding[]
  /** Files read. */
  read: number
  queries: number
}

const PER_PAGE = 100

/**
 * @example const {findings} = await discoverOrg({client, org: 'acme'})
 */
export async function discoverOrg(options: DiscoverOrgOptions): Promise<DiscoverOrgResult> {
  const {client, org} = options
  const maxResults = options.maxResults ?? 1000
  const files = new Map<string, {owner: string; repo: string; path: string}>()
  for (const [index, words] of DISCOVERY_QUERIES.entries()) {
    options.onProgress?.(`GitHub code search ${index + 1}/${DISCOVERY_QUERIES.length}: ${words}`)
    let fetched = 0
    for await (const response of client.paginate.iterator(client.rest.search.code, {
      q: `${words} org:${org}`,
      per_page: PER_PAGE,
    })) {
      const items = response.data
      for (const item of items) {
        if (fileKind(posix.basename(item.path)) === null) continue
        files.set(`${item.repository.full_name}:${item.path}`, {
          owner: item.repository.owner.login,
          repo: item.repository.name,
          path: item.path,
        })
      }
      fetched += items.length
      if (items.length === 0 || fetched >= maxResults) break
    }
  }
  const trees = new Map<string, Set<string>>()
  const findings: Finding[] = []
  for (const [name, file] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const kind = fileKind(posix.basename(file.path))
    if (kind === null) continue
    const {data} = await client.rest.repos.getContent({owner: file.owner, repo: file.repo, path: file.path})
    if (Array.isArray(data) || data.type !== 'file' || typeof (data as {content?: unknown}).content !== 'string') continue
    const text = Buffer.from((data as {content: string}).content, 'base64').toString('utf8')
    const projects = await projectFolders(client, file.owner, file.repo, trees)
    const folders = posix.dirname(file.path) === '.' ? [] : posix.dirname(file.path).split('/')
    const service = projectName(folders, file.repo, (depth) => projects.has(folders.slice(0, depth).join('/')))
    findings.push(...discoverFile(kind, text, {file: name, service}))
  }
  return {findings, read: files.size, queries: DISCOVERY_QUERIES.length}
}

/** The folders of a repository that are projects ('' for its root), from its tree, read once. */
async function projectFolders(
  client: GitHubClient,
  owner: string,
  repo: string,
  cache: Map<string, Set<string>>,
): Promise<Set<string>> {
  const key = `${owner}/${repo}`
  const known = cache.get(key)
  if (known) return known
  const {data} = await client.rest.git.getTree({owner, repo, tree_sha: 'HEAD', recursive: 'true'})
  const listing = new Map<string, string[]>()
  for (const entry of data.tree) {
    if (entry.type !== 'blob' || entry.path === undefined) continue
    const folder = posix.dirname(entry.path) === '.' ? '' : posix.dirname(entry.path)
    listing.set(folder, [...(listing.get(folder) ?? []), posix.basename(entry.path)])
  }
  const projects = new Set([...listing].filter(([, names]) => isProjectListing(names)).map(([folder]) => folder))
  cache.set(key, projects)
  return projects
}
