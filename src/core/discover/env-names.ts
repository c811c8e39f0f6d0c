// Environment variables that name an issuer, its JWKS or an Auth0 tenant (JWKS_URI, AUTH_ISSUER,
// AUTH0_DOMAIN, …), as .env files, Helm values and container env lists set them. One set of values
// (one file, one container) is one verifier: its issuer and JWKS go into one trust finding.
import type {Finding} from './types.js'
import {statedFindings, type Stated, type TrustBase} from './stated-values.js'
import {unresolvedReason} from './config-values.js'

export type EnvField = 'issuer' | 'jwksUri' | 'auth0Domain'

/** Upper case only (hint-words.ts pre-checks files for JWKS_UR, ISSUER, AUTH0_DOMAIN: keep them in step): a lower-case `issuer:` in Helm values is as often cert-manager's as a token issuer. */
const PATTERNS: Array<[RegExp, EnvField]> = [
  [/^(?:[A-Z][A-Z0-9]*_)*JWKS_UR[IL]$/, 'jwksUri'],
  [/^(?:[A-Z][A-Z0-9]*_)*ISSUER(?:_UR[IL]|_BASE_URL)?$/, 'issuer'],
  [/^AUTH0_DOMAIN$/, 'auth0Domain'],
]

/** What an environment variable's name says it holds, or null. */
export function envField(name: string): EnvField | null {
  for (const [pattern, field] of PATTERNS) if (pattern.test(name)) return field
  return null
}

/** The findings of one set of environment values (a .env file, a values file, a container's env). */
export function envFindings(base: TrustBase, values: Partial<Record<EnvField, Stated>>): Finding[] {
  const domain = values.auth0Domain
  if (domain === undefined || values.issuer !== undefined) return statedFindings(base, values)
  const text = String(domain.value ?? '').trim()
  const reason = unresolvedReason(text)
  if (reason !== null || !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(text.replace(/^https:\/\//, '').replace(/\/$/, ''))) {
    return [
      ...statedFindings(base, {jwksUri: values.jwksUri}),
      {
        kind: 'unresolved',
        source: base.source,
        service: base.service,
        field: 'auth0Domain',
        value: text,
        reason: reason ?? 'not a host name',
        at: {file: base.file, line: domain.line},
      },
    ]
  }
  const host = text.replace(/^https:\/\//, '').replace(/\/$/, '')
  // Auth0 issues tokens with iss https://<domain>/ (trailing slash included) and manages keys per tenant.
  return statedFindings(
    {...base, keySource: {type: 'auth0', domain: host}},
    {issuer: {value: `https://${host}/`, line: domain.line}, jwksUri: values.jwksUri},
  )
}
