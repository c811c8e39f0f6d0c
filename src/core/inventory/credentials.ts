// Which credentials an inventory will need during a response, and whether the environment holds
// them: each issuer's key store (the variables its adapter in src/adapters/idp reads) and the Slack
// and GitHub notifications. `jwkr inventory validate` reports them, so a missing token shows up
// before the incident, not in the middle of a rotation. Values are never read out, only "set or not".
import type {DocumentPath} from '../yaml/load-yaml-document.js'
import type {Inventory, IssuerKeyStoreType} from './types.js'

/**
 * The environment variables each key store type reads, as alternatives: one full set must be there.
 * Keycloak takes a fixed admin token, or a client whose tokens jwkr fetches itself.
 */
export const KEY_STORE_CREDENTIALS: Record<IssuerKeyStoreType, readonly (readonly string[])[]> = {
  'jwks-file': [],
  'github-file': [['GITHUB_TOKEN']],
  auth0: [['AUTH0_TOKEN']],
  keycloak: [['KEYCLOAK_TOKEN'], ['KEYCLOAK_CLIENT_ID', 'KEYCLOAK_CLIENT_SECRET']],
  okta: [['OKTA_TOKEN']],
  vault: [['VAULT_TOKEN']],
  webhook: [['JWKR_WEBHOOK_SECRET']],
  manual: [],
}

export interface CredentialCheck {
  /** What needs them: `issuer 'auth0-tenant' (keySource auth0)`, `notify.slack (the Slack channel)`. */
  subject: string
  /** Where in the inventory the need comes from. */
  path: DocumentPath
  /** The alternatives, each a set of variables, with whether each is set (never its value). */
  anyOf: Array<Array<{name: string; set: boolean}>>
  /** One alternative is wholly set. */
  satisfied: boolean
}

/**
 * The credentials the inventory will need, and whether `env` has them.
 *
 * @example credentialChecks(inventory, process.env).filter((check) => !check.satisfied)
 */
export function credentialChecks(inventory: Inventory, env: Record<string, string | undefined>): CredentialCheck[] {
  const isSet = (name: string): boolean => (env[name]?.trim() ?? '') !== ''
  const check = (subject: string, path: DocumentPath, sets: readonly (readonly string[])[]): CredentialCheck => {
    const anyOf = sets.map((names) => names.map((name) => ({name, set: isSet(name)})))
    return {subject, path, anyOf, satisfied: anyOf.some((names) => names.every((variable) => variable.set))}
  }
  const checks = inventory.issuers.flatMap((issuer, index) => {
    const sets = KEY_STORE_CREDENTIALS[issuer.keySource.type] ?? []
    if (sets.length === 0) return []
    return [check(`issuer '${issuer.id}' (keySource ${issuer.keySource.type})`, ['issuers', index, 'keySource', 'type'], sets)]
  })
  if (inventory.notify?.slack) checks.push(check('notify.slack (the Slack channel)', ['notify', 'slack'], [['SLACK_TOKEN']]))
  if (inventory.notify?.github) checks.push(check('notify.github (the tracking issue)', ['notify', 'github'], [['GITHUB_TOKEN']]))
  return checks
}

/** `AUTH0_TOKEN`, `KEYCLOAK_TOKEN, or KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET`. */
export function describeCredentials(check: CredentialCheck): string {
  return check.anyOf.map((names) => names.map((variable) => variable.name).join(' and ')).join(', or ')
}
