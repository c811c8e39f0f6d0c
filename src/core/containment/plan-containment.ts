// Which issuers a containment acts on, and in what order; the denylist entries it publishes; and what
// a responder must do by hand where a key store cannot revoke sessions. Pure: the commands and the
// playbook steps decide with it, the adapters in src/adapters/idp then make the changes.
import {JwkrError, ExitCode} from '../errors.js'
import type {LeakedKeyRef} from '../inventory/locate.js'
import type {Inventory, InventoryIssuer, IssuerKeyStoreType} from '../inventory/types.js'
import type {DenylistEntry} from './denylist.js'

export interface IssuerSelection {
  /** Issuer ids named by the responder (`--issuer`). */
  issuers?: readonly string[]
  /** Every issuer that locate found publishing the key (`--all`). */
  all?: boolean
}

/** What locate found, for `--all`. */
export interface LocatedIssuers {
  publishing: readonly string[]
  /** Issuers whose JWKS could not be read: they may publish the key. */
  unchecked: readonly string[]
}

export interface SkippedIssuer {
  issuerId: string
  reason: string
}

export interface ContainmentTargets {
  /** In the order to act on them (see `orderForContainment`). */
  targets: InventoryIssuer[]
  skipped: SkippedIssuer[]
}

/**
 * The issuers to act on. `issuers` are taken as named (unknown ids are a usage error listing the
 * known ones); `all` takes those locate found publishing the key and reports the unchecked ones.
 *
 * @example selectIssuers(inventory, {all: true}, {publishing: ['auth-main'], unchecked: []}).targets[0].id // → 'auth-main'
 */
export function selectIssuers(inventory: Inventory, selection: IssuerSelection, located?: LocatedIssuers): ContainmentTargets {
  const known = inventory.issuers.map((issuer) => issuer.id)
  if (selection.issuers && selection.issuers.length > 0) {
    const unknown = selection.issuers.filter((id) => !known.includes(id))
    if (unknown.length > 0) {
      throw usage(`The inventory has no issuer ${unknown.map((id) => JSON.stringify(id)).join(', ')}.`, known)
    }
    const named = new Set(selection.issuers)
    return {targets: orderForContainment(inventory.issuers.filter((issuer) => named.has(issuer.id))), skipped: []}
  }
  if (!selection.all) throw usage('Say which issuers to act on: --issuer ID (repeatable) or --all.', known)
  if (!located) throw new JwkrError('ERR_INTERNAL', 'selectIssuers({all: true}) needs the locate result.')
  const publishing = new Set(located.publishing)
  return {
    targets: orderForContainment(inventory.issuers.filter((issuer) => publishing.has(issuer.id))),
    skipped: located.unchecked.map((issuerId) => ({
      issuerId,
      reason: `its JWKS could not be read, so it may publish the key: act on it with --issuer ${issuerId} once checked.`,
    })),
  }
}

/**
 * Issuers whose API switches signing at once come first, then file sources, then those that wait
 * for a review (github-file) and last those that wait for a person (manual): nothing automatic is
 * held up by a human, and the issuers that shut the attacker out fastest go first. Stable otherwise.
 */
export function orderForContainment(issuers: readonly InventoryIssuer[]): InventoryIssuer[] {
  const rank: Record<IssuerKeyStoreType, number> = {
    auth0: 0,
    keycloak: 0,
    okta: 0,
    vault: 0,
    'jwks-file': 1,
    webhook: 1,
    'github-file': 2,
    manual: 3,
  }
  return issuers
    .map((issuer, index) => ({issuer, index}))
    .sort((a, b) => (rank[a.issuer.keySource.type] ?? 1) - (rank[b.issuer.keySource.type] ?? 1) || a.index - b.index)
    .map(({issuer}) => issuer)
}

export interface DenylistTarget {
  /** The `iss` its tokens carry. */
  iss: string
  /** The kid the issuer publishes the key under, when locate saw it (tokens carry that one). */
  kid?: string | null
}

/**
 * One entry per issuer (thumbprint + its iss and kid), or one by thumbprint alone when no issuer
 * is known. Same inputs, same entries: a repeated run merges nothing new.
 *
 * @example denylistEntries({thumbprint, kid: 'k1'}, [{iss: 'https://auth.example.com'}], notBefore, 'inc-1')
 */
export function denylistEntries(
  leaked: LeakedKeyRef,
  issuers: readonly DenylistTarget[],
  notBefore: Date,
  incident?: string,
): DenylistEntry[] {
  const entry = (kid: string | null | undefined, iss?: string): DenylistEntry => ({
    thumbprint: leaked.thumbprint,
    ...(kid ? {kid} : {}),
    ...(iss ? {iss} : {}),
    notBefore: notBefore.toISOString(),
    reason: 'key-compromise',
    ...(incident ? {incident} : {}),
  })
  if (issuers.length === 0) return [entry(leaked.kid)]
  return issuers.map((issuer) => entry(issuer.kid ?? leaked.kid, issuer.iss))
}

/** What to do by hand about sessions and refresh tokens where the key store cannot revoke them. */
export function sessionsByHand(type: IssuerKeyStoreType): string {
  switch (type) {
    case 'auth0':
      return 'Auth0 has no tenant-wide revocation: end the sessions and revoke the refresh tokens of the affected users (Dashboard → User Management, or the Management API users/{id}/sessions and refresh-tokens endpoints); access tokens stay valid until they expire, so rely on the denylist.'
    case 'okta':
      return 'End the sessions and OAuth tokens of the affected users: DELETE /api/v1/users/{id}/sessions?oauthTokens=true (or Admin Console → Directory → People → Clear user sessions); access tokens stay valid until they expire, so rely on the denylist.'
    case 'vault':
      return "Vault cannot revoke the identity tokens it signed: they expire with the role's ttl (24h by default). Shorten the role ttl and rely on the denylist until the last one expires."
    case 'jwks-file':
    case 'github-file':
    case 'webhook':
      return 'This source only holds the key set: revoke the sessions and refresh tokens in the service that signs the tokens (its admin console or API), then rely on the denylist for access tokens.'
    default:
      return 'Revoke the sessions and refresh tokens in the issuer by hand, then rely on the denylist for access tokens.'
  }
}

/**
 * The instant before which tokens are refused, as the responder writes it (ISO 8601).
 *
 * @example parseNotBefore('2026-11-29T03:00:00Z', '--not-before') // → Date
 */
export function parseNotBefore(text: string, label: string): Date {
  const at = Date.parse(text)
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) || Number.isNaN(at)) {
    throw new JwkrError('ERR_USAGE', `${label} '${text}' is not an ISO 8601 time.`, {
      hint: 'Write it like 2026-11-29T03:00:00Z: tokens issued before it are refused.',
      exitCode: ExitCode.usage,
    })
  }
  return new Date(at)
}

function usage(message: string, known: readonly string[]): JwkrError {
  return new JwkrError('ERR_USAGE', message, {
    hint: known.length > 0 ? `Issuers in the inventory: ${known.join(', ')}.` : 'The inventory lists no issuers: add them first.',
    exitCode: ExitCode.usage,
    details: {issuers: [...known]},
  })
}
