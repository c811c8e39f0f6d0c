// .env files and Helm values files: the environment a service is given, where JWKS_URI, ISSUER and
// AUTH0_DOMAIN name the issuer it trusts. A Helm value that is itself a template ({{ }}) or a
// reference (${X}) is reported as unresolved: only the rendered chart or the running pod knows it.
import {envField, envFindings, type EnvField} from './env-names.js'
import {envList} from './parse-manifests.js'
import type {Stated} from './stated-values.js'
import type {Finding, ParseContext} from './types.js'
import {scalarsOf, visitMaps, yamlSources} from './yaml-source.js'

/**
 * `NAME=value` lines (with `export`, quotes and comments as dotenv reads them).
 *
 * @example parseDotenv('JWKS_URI=https://auth.example.com/jwks\n', {file: '.env', service: 'orders'})
 */
export function parseDotenv(text: string, context: ParseContext): Finding[] {
  const values: Partial<Record<EnvField, Stated>> = {}
  text.split(/\r?\n/).forEach((line, index) => {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$/.exec(line)
    if (!match) return
    const field = envField(match[1] as string)
    if (field === null) return
    values[field] = {value: dotenvValue(match[2] as string), line: index + 1}
  })
  return envFindings({source: 'env', service: context.service, file: context.file}, values)
}

function dotenvValue(raw: string): string {
  const quoted = /^(['"`])(.*)\1/.exec(raw)
  if (quoted) return quoted[2] as string
  return raw.replace(/\s+#.*$/, '')
}

/** A Helm values file: keys named like the variables above at any depth, and `env:` lists of containers. */
export function parseHelmValues(text: string, context: ParseContext): Finding[] {
  const base = {source: 'helm' as const, service: context.service, file: context.file}
  return yamlSources(text).flatMap((source) => {
    const values: Partial<Record<EnvField, Stated>> = {}
    const lists: Finding[] = []
    visitMaps(source.data, (value, path) => {
      if (Array.isArray(value.env)) lists.push(...envList(source, value.env, [...path, 'env'], base))
      return true
    })
    for (const {path, value} of scalarsOf(source.data)) {
      const key = path.at(-1)
      const field = typeof key === 'string' ? envField(key) : null
      if (field !== null && value !== null && value !== undefined && value !== '')
        values[field] ??= {value, line: source.lineOf(path)}
    }
    return [...envFindings(base, values), ...lists]
  })
}
