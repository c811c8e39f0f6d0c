// Turns the values a configuration states for one verifier (issuer, JWKS URL, discovery document)
// into findings: a trust with the values that can be read as written, and an unresolved finding for
// each that cannot (a template, an environment reference, something that is not a URL). Nothing is
// guessed: a value jwkr cannot read is reported, never filled in.
import type {DiscoverySource, Finding, TrustFinding} from './types.js'
import {httpUrl, unresolvedReason} from './config-values.js'

export interface Stated {
  value: unknown
  line: number
}

export type StatedField = 'issuer' | 'jwksUri' | 'discovery'

export type TrustBase = Omit<TrustFinding, 'kind' | 'at' | 'issuer' | 'jwksUri' | 'discovery'> & {file: string}

/**
 * @example statedFindings({source: 'istio', service: 'billing', file: 'ra.yaml'}, {issuer: {value: 'https://a', line: 7}})
 */
export function statedFindings(base: TrustBase, stated: Partial<Record<StatedField, Stated>>): Finding[] {
  const {file, ...rest} = base
  const trust: TrustFinding = {kind: 'trust', ...rest, at: {file}}
  const unresolved: Finding[] = []
  let line: number | undefined
  // The JWKS (or discovery) line first: it is where the verifier is set up; the iss may be stated elsewhere.
  for (const field of ['jwksUri', 'discovery', 'issuer'] as const) {
    const given = stated[field]
    if (given === undefined || given.value === undefined || given.value === null || given.value === '') continue
    const text = typeof given.value === 'string' ? given.value.trim() : JSON.stringify(given.value)
    const reason =
      unresolvedReason(text) ?? (field === 'issuer' ? issuerProblem(text) : httpUrl(text) ? null : 'not an http(s) URL')
    if (reason !== null) {
      unresolved.push({
        kind: 'unresolved',
        source: base.source,
        service: base.service,
        field,
        value: text,
        reason,
        at: {file, line: given.line},
      })
      continue
    }
    trust[field] = text
    line ??= given.line
  }
  if (line === undefined) return unresolved
  return [{...trust, at: {file, line}}, ...unresolved]
}

/** An `iss` may be any string (Istio's test issuer is an email address), but not blank or multi-word. */
function issuerProblem(text: string): string | null {
  return /\s/.test(text) ? 'not an issuer identifier (it holds spaces)' : null
}

/** The source a finding was read from, for messages. */
export function describeSource(source: DiscoverySource): string {
  return SOURCE_NAMES[source]
}

const SOURCE_NAMES: Record<DiscoverySource, string> = {
  istio: 'Istio RequestAuthentication',
  envoy: 'Envoy jwt_authn',
  nginx: 'NGINX auth_jwt',
  'nginx-ingress': 'NGINX Ingress Policy',
  traefik: 'Traefik middleware',
  kong: 'Kong plugin',
  'spring-boot': 'Spring Boot resource server',
  aspnet: 'ASP.NET JwtBearer',
  env: '.env file',
  helm: 'Helm values',
  'kubernetes-env': 'Kubernetes container env',
  node: 'Node.js code',
  backstage: 'Backstage catalog',
}
