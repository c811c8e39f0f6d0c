// Which parser reads which file, by its name alone, so the walk opens only files that can say
// something: catalog-info.yaml, application*.yml/.properties, appsettings*.json, .env files, Helm
// values*.yaml, nginx *.conf, other YAML/JSON manifests and Node.js sources.
import {parseAppsettings} from './parse-aspnet.js'
import {parseCatalogFile} from './parse-catalog.js'
import {parseDotenv, parseHelmValues} from './parse-env-files.js'
import {parseManifests} from './parse-manifests.js'
import {parseNginx} from './parse-nginx.js'
import {holdsHint, type FileKind} from './hint-words.js'
import {parseNodeCode} from './parse-node-code.js'
import {parseSpringProperties, parseSpringYaml} from './parse-spring.js'
import type {Finding, ParseContext} from './types.js'

export {hintWords, holdsHint, type FileKind} from './hint-words.js'

/** Files and folders discovery never reads: dependencies and build output hold other people's examples. */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set([
  'node_modules',
  'dist',
  'build',
  'target',
  'bin',
  'obj',
  'vendor',
])

/**
 * The parser for a file name (the last path segment), or null when discovery does not read it.
 *
 * @example fileKind('application-prod.yml') // → 'spring-yaml'
 */
export function fileKind(name: string): FileKind | null {
  const lower = name.toLowerCase()
  if (lower === 'catalog-info.yaml' || lower === 'catalog-info.yml') return 'catalog'
  if (/^(application|bootstrap)([-.][\w.-]+)?\.ya?ml$/.test(lower)) return 'spring-yaml'
  if (/^(application|bootstrap)([-.][\w.-]+)?\.properties$/.test(lower)) return 'spring-properties'
  if (/^appsettings(\.[\w-]+)?\.json$/.test(lower)) return 'appsettings'
  if (lower === '.env' || lower.startsWith('.env.') || lower.endsWith('.env')) return lower.endsWith('.example') ? null : 'dotenv'
  if (/^values([-.][\w.-]+)?\.ya?ml$/.test(lower)) return 'helm-values'
  if (lower.endsWith('.conf')) return 'nginx'
  if (/\.(ya?ml)$/.test(lower) || /^envoy.*\.json$/.test(lower)) return 'manifest'
  if (/\.(m|c)?[jt]sx?$/.test(lower) && !lower.endsWith('.d.ts') && !/\.(test|spec)\.[cm]?[jt]sx?$/.test(lower)) return 'node'
  return null
}

const PARSERS: Record<FileKind, (text: string, context: ParseContext) => Finding[]> = {
  catalog: (text, context) => parseCatalogFile(text, context.file),
  'spring-yaml': parseSpringYaml,
  'spring-properties': parseSpringProperties,
  appsettings: parseAppsettings,
  dotenv: parseDotenv,
  'helm-values': parseHelmValues,
  nginx: parseNginx,
  // A catalog may be named otherwise (all.yaml, org.yaml): its entities are read wherever they are.
  manifest: (text, context) => [
    ...parseManifests(text, context),
    ...(/backstage\.io\//.test(text) ? parseCatalogFile(text, context.file) : []),
  ],
  node: parseNodeCode,
}

/**
 * The findings of one file of a known kind (nothing when it holds none of its kind's hint words).
 *
 * @example discoverFile('manifest', text, {file: 'k8s/ra.yaml', service: 'billing'})
 */
export function discoverFile(kind: FileKind, text: string, context: ParseContext): Finding[] {
  return holdsHint(kind, text) ? PARSERS[kind](text, context) : []
}
