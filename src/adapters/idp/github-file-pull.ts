// What a github-file key store tells reviewers and the responder: the pull request's title and
// body (the incident by thumbprint and kid, never key material) and the change's result with its
// warnings (nothing is contained until the pull request is merged and deployed).
import type {InventoryIssuer} from '../../core/inventory/types.js'
import type {ChangeResult, KeyRef, RotateRequest} from './issuer-key-store.js'

/** A type, not an interface: effect results must be plain records. */
export type PullRef = {
  number: number | null
  url: string | null
}

export function pullTitle(request: RotateRequest): string {
  const what = request.replacement ? 'Rotate' : 'Remove'
  return `${what} leaked signing key ${request.leaked.kid ?? request.leaked.thumbprint.slice(0, 12)} (jwkr incident ${request.incidentId})`
}

export function pullBody(issuer: InventoryIssuer, path: string, request: RotateRequest, added: KeyRef | null): string {
  const rows = [
    ['Incident', request.incidentId],
    ['Issuer', `${issuer.id} (${issuer.issuer})`],
    ['Leaked key thumbprint (RFC 7638, SHA-256)', request.leaked.thumbprint],
    ['Leaked key kid', request.leaked.kid ?? '(none)'],
    ...(added
      ? [
          ['New key kid', added.kid ?? '(none)'],
          ['New key thumbprint', added.thumbprint ?? ''],
        ]
      : []),
    ['File', path],
  ]
  return [
    `## A signing key of \`${issuer.id}\` was exposed`,
    '',
    `jwkr opened this pull request while responding to incident ${request.incidentId}. Reason: ${request.reason}`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([name, value]) => `| ${name} | \`${value}\` |`),
    '',
    '### What changed',
    ...(added ? [`- Added the new public key \`${added.kid ?? ''}\` (thumbprint \`${added.thumbprint ?? ''}\`).`] : []),
    `- Removed every key with thumbprint \`${request.leaked.thumbprint}\`, whatever its kid.`,
    '- Every other key and member is unchanged, in order.',
    '',
    '### After merging',
    '1. Deploy the file so that the issuer serves the new key set.',
    ...(added
      ? ['2. Make the issuer sign with the new key (its private key is held by the responder, not in this repository).']
      : []),
    `${added ? 3 : 2}. Prove containment: \`jwkr verify --key <leaked key>\`.`,
    '',
    'This description names keys by thumbprint and kid only: it holds no key material.',
  ].join('\n')
}

/** The result of a rotation or revocation that ends in a pull request (or in nothing left to propose). */
export function pullRequestResult(
  target: {issuerId: string; repo: string; where: string},
  request: RotateRequest,
  added: KeyRef[],
  stages: string[],
  pull: PullRef,
  leakedHadPrivate: boolean,
): ChangeResult {
  const warnings = [
    pull.number === null
      ? `Nothing left to propose in ${target.repo}: its base branch already holds the change.`
      : `The change waits for review in pull request #${pull.number} (${pull.url}): merge it and deploy the file; until then the leaked key is still published.`,
  ]
  if (added.length > 0) {
    warnings.push(
      `A JWKS file cannot switch signing: make the issuer sign with the new key (kid ${added[0]?.kid ?? '?'})${request.replacement?.privateKeyFile ? `, written to ${request.replacement.privateKeyFile}` : ''}, as soon as the pull request is deployed.`,
    )
  }
  if (leakedHadPrivate) {
    warnings.push(
      `${target.where} published the leaked key's private members: they stay in the repository's history; treat every copy of the repository as holding the key.`,
    )
  }
  return {
    issuerId: target.issuerId,
    source: 'github-file',
    outcome: 'changed',
    added,
    removed: [{kid: request.leaked.kid, thumbprint: request.leaked.thumbprint}],
    signingSwitched: null,
    leakedStillListed: pull.number !== null,
    stages,
    warnings,
  }
}
