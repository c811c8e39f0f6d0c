// Kubernetes manifests and proxy configurations (YAML or JSON, one or many documents): Istio
// RequestAuthentication, Envoy jwt_authn providers, NGINX Ingress Policy, Traefik middlewares, Kong
// plugins and declarative config, and container env lists that set JWKS_URI / ISSUER / AUTH0_DOMAIN.
// Pure: text in, findings out, each with the line it was read at.
import {configDurationSeconds} from './config-values.js'
import {envField, envFindings, type EnvField} from './env-names.js'
import {statedFindings, type Stated, type StatedField, type TrustBase} from './stated-values.js'
import type {Finding, ParseContext} from './types.js'
import {isRecord, scalarsOf, visitMaps, yamlSources, type NodePath, type YamlSource} from './yaml-source.js'

/**
 * Findings of every document of a manifest file.
 *
 * @example parseManifests(text, {file: 'k8s/billing.yaml', service: 'billing'})
 */
export function parseManifests(text: string, context: ParseContext): Finding[] {
  return yamlSources(text).flatMap((source) => (isRecord(source.data) ? manifestFindings(source, source.data, context) : []))
}

function manifestFindings(source: YamlSource, data: Record<string, unknown>, context: ParseContext): Finding[] {
  const kind = typeof data.kind === 'string' ? data.kind : ''
  const apiVersion = typeof data.apiVersion === 'string' ? data.apiVersion : ''
  if (kind === 'RequestAuthentication' && apiVersion.startsWith('security.istio.io/')) return istio(source, data, context)
  if (kind === 'Policy' && apiVersion.startsWith('k8s.nginx.org/')) return nginxPolicy(source, data, context)
  if (kind === 'Middleware' && /^traefik\./.test(apiVersion)) return named(source, data, context, 'traefik', ['spec'])
  if ((kind === 'KongPlugin' || kind === 'KongClusterPlugin') && apiVersion.startsWith('configuration.konghq.com/')) {
    return named(source, data, context, 'kong', ['config'])
  }
  if (typeof data._format_version === 'string' && Array.isArray(data.plugins)) return kongDeclarative(source, data, context)
  const envoy = envoyProviders(source, data, context)
  if (envoy.length > 0) return envoy
  return containerEnv(source, data, context)
}

/** security.istio.io RequestAuthentication: one trust per jwtRule, for the workload its selector picks. */
function istio(source: YamlSource, data: Record<string, unknown>, context: ParseContext): Finding[] {
  const spec = record(data.spec)
  const service = workloadOf(data, record(record(spec.selector).matchLabels)) ?? context.service
  const rules = Array.isArray(spec.jwtRules) ? spec.jwtRules : []
  return rules.flatMap((rule, index) => {
    if (!isRecord(rule)) return []
    const at = (field: string): NodePath => ['spec', 'jwtRules', index, field]
    const audiences = strings(rule.audiences)
    return statedFindings(
      // istiod fetches the JWKS and inlines it into the proxies' config: its refresh interval is the cache.
      {source: 'istio', service, file: context.file, verifier: 'istio', ...(audiences ? {audiences} : {})},
      {issuer: stated(source, rule.issuer, at('issuer')), jwksUri: stated(source, rule.jwksUri, at('jwksUri'))},
    )
  })
}

/** k8s.nginx.org Policy with spec.jwt: the JWKS URL and keyCache (required with jwksURI). */
function nginxPolicy(source: YamlSource, data: Record<string, unknown>, context: ParseContext): Finding[] {
  const jwt = record(record(data.spec).jwt)
  const cacheSeconds = configDurationSeconds(jwt.keyCache)
  return statedFindings(
    {source: 'nginx-ingress', service: context.service, file: context.file, ...(cacheSeconds === null ? {} : {cacheSeconds})},
    {jwksUri: stated(source, jwt.jwksURI, ['spec', 'jwt', 'jwksURI'])},
  )
}

/** Envoy: any `providers` map of a jwt_authn filter (bootstrap, typed_config, an EnvoyFilter patch). */
function envoyProviders(source: YamlSource, data: Record<string, unknown>, context: ParseContext): Finding[] {
  const findings: Finding[] = []
  visitMaps(data, (value, path) => {
    const providers = value.providers
    if (isRecord(providers) && Object.values(providers).some((provider) => isRecord(provider) && isProvider(provider))) {
      for (const [name, provider] of Object.entries(providers)) {
        if (!isRecord(provider) || !isProvider(provider)) continue
        const base = [...path, 'providers', name]
        const remote = record(provider.remote_jwks)
        const cacheSeconds = configDurationSeconds(remote.cache_duration)
        const audiences = strings(provider.audiences)
        findings.push(
          ...statedFindings(
            {
              source: 'envoy',
              service: context.service,
              file: context.file,
              verifier: 'envoy',
              ...(cacheSeconds === null ? {} : {cacheSeconds}),
              ...(audiences ? {audiences} : {}),
            },
            {
              issuer: stated(source, provider.issuer, [...base, 'issuer']),
              jwksUri: stated(source, record(remote.http_uri).uri, [...base, 'remote_jwks', 'http_uri', 'uri']),
            },
          ),
        )
      }
      return false
    }
    return true
  })
  return findings
}

function isProvider(provider: Record<string, unknown>): boolean {
  return 'remote_jwks' in provider || 'local_jwks' in provider || ('issuer' in provider && 'forward' in provider)
}

/**
 * Traefik middlewares and Kong plugins that verify JWTs against a JWKS: plugin configurations differ,
 * so any key named like a JWKS URL (jwksUrl, jwks_uri, JwksUri) or an issuer is read under `root`.
 */
function named(
  source: YamlSource,
  data: Record<string, unknown>,
  context: ParseContext,
  kind: 'traefik' | 'kong',
  root: string[],
): Finding[] {
  return keyedValues(source, data, root, {source: kind, service: context.service, file: context.file})
}

function kongDeclarative(source: YamlSource, data: Record<string, unknown>, context: ParseContext): Finding[] {
  const plugins = data.plugins as unknown[]
  return plugins.flatMap((plugin, index) => {
    if (!isRecord(plugin)) return []
    const service = typeof plugin.service === 'string' ? plugin.service : context.service
    return keyedValues(source, data, ['plugins', index, 'config'], {source: 'kong', service, file: context.file})
  })
}

const JWKS_KEY = /^jwks[_-]?ur[il]s?$/i
const ISSUER_KEY = /^(issuer|iss|issuers)$/i

function keyedValues(source: YamlSource, data: unknown, root: (string | number)[], base: TrustBase): Finding[] {
  let node: unknown = data
  for (const key of root) node = isRecord(node) || Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined
  const found: Partial<Record<StatedField, Stated>> = {}
  const jwks: Stated[] = []
  for (const {path, value} of scalarsOf(node, [...root])) {
    const key = [...path].reverse().find((part) => typeof part === 'string') ?? ''
    if (JWKS_KEY.test(key)) jwks.push({value, line: source.lineOf(path)})
    else if (ISSUER_KEY.test(key)) found.issuer ??= {value, line: source.lineOf(path)}
  }
  if (jwks.length === 0) return found.issuer ? statedFindings(base, found) : []
  return jwks.flatMap((uri, index) => statedFindings(base, index === 0 ? {...found, jwksUri: uri} : {jwksUri: uri}))
}

/** Container env lists of workloads (Deployment, StatefulSet, Pod, CronJob, …): one set per container. */
function containerEnv(source: YamlSource, data: Record<string, unknown>, context: ParseContext): Finding[] {
  const service = workloadOf(data, record(record(data.metadata).labels)) ?? context.service
  const findings: Finding[] = []
  visitMaps(data, (value, path) => {
    const container = typeof value.name === 'string' && (value.image !== undefined || value.command !== undefined)
    if (container && Array.isArray(value.env)) {
      findings.push(...envList(source, value.env, [...path, 'env'], {source: 'kubernetes-env', service, file: context.file}))
    }
    return true
  })
  return findings
}

/** `env: [{name, value}]` (or valueFrom, which only the cluster can resolve). */
export function envList(source: YamlSource, list: unknown[], path: NodePath, base: TrustBase): Finding[] {
  const values: Partial<Record<EnvField, Stated>> = {}
  const findings: Finding[] = []
  list.forEach((entry, index) => {
    if (!isRecord(entry) || typeof entry.name !== 'string') return
    const field = envField(entry.name)
    if (field === null) return
    const line = source.lineOf([...path, index, 'value'])
    if (entry.value !== undefined) {
      values[field] = {value: entry.value, line}
      return
    }
    if (entry.valueFrom !== undefined) {
      const from = record(entry.valueFrom)
      const ref = record(from.secretKeyRef ?? from.configMapKeyRef)
      findings.push({
        kind: 'unresolved',
        source: base.source,
        service: base.service,
        field: field === 'auth0Domain' ? 'auth0Domain' : field,
        value: `${entry.name} from ${from.secretKeyRef ? 'Secret' : 'ConfigMap'} ${String(ref.name ?? '?')}/${String(ref.key ?? '?')}`,
        reason: 'set from a Secret or ConfigMap: its value is only known in the cluster',
        at: {file: base.file, line: source.lineOf([...path, index])},
      })
    }
  })
  return [...envFindings(base, values), ...findings]
}

/** The workload a selector or label set names: app, app.kubernetes.io/name, or the only label. */
function workloadOf(data: Record<string, unknown>, labels: Record<string, unknown>): string | undefined {
  for (const key of ['app', 'app.kubernetes.io/name', 'k8s-app']) if (typeof labels[key] === 'string') return labels[key]
  const values = Object.values(labels).filter((value): value is string => typeof value === 'string')
  if (values.length === 1) return values[0]
  const metadata = record(data.metadata)
  if (Object.keys(labels).length === 0 && data.kind === 'RequestAuthentication') {
    // No selector: the policy applies to every workload of its namespace.
    return `namespace-${typeof metadata.namespace === 'string' ? metadata.namespace : 'default'}`
  }
  return typeof metadata.name === 'string' && data.kind !== 'RequestAuthentication' ? metadata.name : undefined
}

function stated(source: YamlSource, value: unknown, path: NodePath): Stated | undefined {
  return value === undefined ? undefined : {value, line: source.lineOf(path)}
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {}
}

function strings(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined
  const list = value.filter((item): item is string => typeof item === 'string')
  return list.length > 0 ? list : undefined
}
