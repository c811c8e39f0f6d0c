// `jwkr inventory discover` and `services locate --discover` without the command: reads every
// source given (local trees, a Backstage catalog file or API, a GitHub organisation), assembles the
// inventory draft with its provenance, and renders it (or merges it into an existing inventory).
import {readFile} from 'node:fs/promises'

import {buildInventory, inventoryOf, type DiscoveredIssuer, type DiscoveredService} from '../../core/discover/build-inventory.js'
import {parseCatalogFile} from '../../core/discover/parse-catalog.js'
import {renderDiscovered} from '../../core/discover/render-discovered.js'
import type {Finding, UnresolvedFinding} from '../../core/discover/types.js'
import {JwkrError} from '../../core/errors.js'
import type {Inventory} from '../../core/inventory/types.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {discoverPaths} from '../../adapters/discover/discover-paths.js'
import {createDiscoveryReaders} from './discovery-readers.js'
import {writeFileAtomic} from '../../adapters/fs/atomic-file.js'
import {mergeInventory, type InventoryChange} from '../../core/discover/merge-inventory.js'
import {checkInventory, invalidInventory} from '../../core/inventory/load-inventory.js'
import {readInventoryText} from '../inventory.js'
import type {Problem} from '../../core/yaml/load-yaml-document.js'

export interface DiscoverySourceReport {
  kind: 'paths' | 'backstage-file' | 'backstage-api' | 'github'
  /** The paths, file, URL or organisation read. */
  target: string
  /** Files (or catalog entities) read, and what they yielded. */
  read: number
  findings: number
}

export interface DiscoverInventoryOptions {
  paths: readonly string[]
  /** Honour .gitignore files in the paths (default true). */
  gitignore?: boolean
  /** A catalog-info file, or the base URL of a Backstage instance (its catalog API). */
  backstage?: string
  githubOrg?: string
  secrets: SecretRegistry
  env?: NodeJS.ProcessEnv
  cwd?: string
  signal?: AbortSignal
  /** Reads a GitHub organisation (injected so the command, the step and tests share one client). */
  readGitHub?: (org: string) => Promise<{findings: Finding[]; read: number}>
  /** Reads a Backstage catalog API. */
  readBackstage?: (baseUrl: string) => Promise<{findings: Finding[]; read: number}>
  onProgress?: (message: string) => void
}

export interface DiscoverInventoryResult {
  sources: DiscoverySourceReport[]
  inventory: Inventory
  issuers: DiscoveredIssuer[]
  services: DiscoveredService[]
  unresolved: UnresolvedFinding[]
  /** The draft as YAML with provenance comments. */
  yaml: string
}

/**
 * @example const draft = await discoverInventory({paths: ['.'], secrets})
 */
export async function discoverInventory(options: DiscoverInventoryOptions): Promise<DiscoverInventoryResult> {
  if (options.paths.length === 0 && !options.backstage && !options.githubOrg) {
    throw new JwkrError('ERR_USAGE', 'Nothing to discover from: give folders, --backstage or --github-org.', {
      hint: 'e.g. jwkr inventory discover ~/src/platform ~/src/services --backstage catalog-info.yaml',
      exitCode: 2,
    })
  }
  const sources: DiscoverySourceReport[] = []
  const findings: Finding[] = []
  const add = (report: Omit<DiscoverySourceReport, 'findings'>, found: Finding[]): void => {
    sources.push({...report, findings: found.length})
    findings.push(...found)
  }
  if (options.paths.length > 0) {
    options.onProgress?.(`Reading ${options.paths.join(', ')}…`)
    const local = await discoverPaths(options.paths, {cwd: options.cwd, gitignore: options.gitignore ?? true})
    add({kind: 'paths', target: options.paths.join(', '), read: local.filesRead}, local.findings)
  }
  if (options.backstage !== undefined) {
    if (/^https?:\/\//i.test(options.backstage)) {
      if (!options.readBackstage) throw new JwkrError('ERR_USAGE', 'A Backstage catalog API cannot be read here.', {exitCode: 2})
      options.onProgress?.(`Reading the Backstage catalog at ${options.backstage}…`)
      const found = await options.readBackstage(options.backstage)
      add({kind: 'backstage-api', target: options.backstage, read: found.read}, found.findings)
    } else {
      const entities = parseCatalogFile(await readCatalogFile(options.backstage), options.backstage)
      add({kind: 'backstage-file', target: options.backstage, read: entities.length}, entities)
    }
  }
  if (options.githubOrg !== undefined) {
    if (!options.readGitHub) throw new JwkrError('ERR_USAGE', 'A GitHub organisation cannot be read here.', {exitCode: 2})
    options.onProgress?.(`Searching GitHub organisation ${options.githubOrg}…`)
    const found = await options.readGitHub(options.githubOrg)
    add({kind: 'github', target: options.githubOrg, read: found.read}, found.findings)
  }
  const discovered = buildInventory(findings)
  return {
    sources,
    inventory: inventoryOf(discovered),
    issuers: discovered.issuers,
    services: discovered.services,
    unresolved: discovered.unresolved,
    yaml: renderDiscovered(discovered),
  }
}

async function readCatalogFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new JwkrError(
      code === 'ENOENT' ? 'ERR_INPUT_NOT_FOUND' : 'ERR_INPUT_UNREADABLE',
      `Cannot read the catalog file ${path}${code ? ` (${code})` : ''}.`,
      {
        hint: 'Pass a catalog-info.yaml (or an exported catalog), or the base URL of Backstage: --backstage https://backstage.example.com',
      },
    )
  }
}

export interface WriteDraftOptions {
  /** An existing inventory to fold the draft into (written back in place unless `out` is given). */
  merge?: string
  out?: string
  secrets: SecretRegistry
}

export interface WrittenDraft {
  text: string
  /** The file written, or null when nothing was (the caller prints the text). */
  written: string | null
  changes: InventoryChange[] | null
  /** What `jwkr inventory validate` would say about the text. */
  problems: Problem[]
}

/**
 * Merges (with `merge`) and writes (atomically, to `out` or the merged file) a draft; checks the result.
 *
 * @example const {written, changes} = await writeDraft(draft, {merge: 'jwkr.inventory.yaml', secrets})
 */
export async function writeDraft(draft: DiscoverInventoryResult, options: WriteDraftOptions): Promise<WrittenDraft> {
  let text = draft.yaml
  let changes: InventoryChange[] | null = null
  if (options.merge !== undefined) {
    const merged = mergeInventory(await readInventoryText(options.merge), draft, options.merge)
    text = merged.text
    changes = merged.changes
  }
  const file = options.out ?? options.merge ?? null
  const {problems} = checkInventory(text, file ?? 'discovered.inventory.yaml', {secrets: options.secrets})
  if (file !== null) await writeFileAtomic(file, text)
  return {text, written: file, changes, problems}
}

/**
 * An inventory discovered on the spot (services locate --discover): the draft, checked like a file.
 *
 * @throws JwkrError ERR_INVENTORY_NOT_FOUND when nothing names an issuer, ERR_INVENTORY_INVALID when the draft does not check.
 */
export async function discoveredInventory(options: {
  paths: readonly string[]
  backstage?: string
  secrets: SecretRegistry
  env: NodeJS.ProcessEnv
}): Promise<Inventory> {
  const draft = await discoverInventory({...options, ...createDiscoveryReaders(options)})
  const {inventory, problems} = checkInventory(draft.yaml, 'discovered.inventory.yaml', {secrets: options.secrets})
  if (!inventory) throw invalidInventory('the discovered inventory', problems)
  if (inventory.issuers.length === 0) {
    throw noIssuerFound(draft)
  }
  return inventory
}

/** ERR_INVENTORY_NOT_FOUND for a discovery that found no issuer: there is nothing to locate. */
export function noIssuerFound(draft: Pick<DiscoverInventoryResult, 'sources'>): JwkrError {
  return new JwkrError(
    'ERR_INVENTORY_NOT_FOUND',
    `Discovery found no issuer in ${draft.sources.map((source) => source.target).join(', ')}.`,
    {
      hint: 'Point --discover at the folders holding the services’ configuration, or pass --inventory FILE.',
    },
  )
}
