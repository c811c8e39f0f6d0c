// An issuer only a person can change. Each stage is a set of exact instructions (what to publish,
// where, what to remove, identified by thumbprint) that the responder carries out and confirms;
// without someone to confirm (an unattended run) it fails at once instead of waiting for nobody.
import {JwkrError} from '../../core/errors.js'
import type {InventoryIssuer} from '../../core/inventory/types.js'
import {publicReplacement, withoutPrivateMembers} from './key-material.js'
import type {
  ChangeResult,
  EffectRunner,
  KeyRef,
  IssuerKeyStore,
  IssuerKeyStoreDeps,
  ManualInstructions,
  PlannedCall,
  RotateRequest,
} from './issuer-key-store.js'

type ManualStage = 'add' | 'switch-signing' | 'remove'

export function createManualKeyStore(issuer: InventoryIssuer, deps: IssuerKeyStoreDeps): IssuerKeyStore {
  const now = deps.now ?? (() => new Date())
  const jwks = issuer.jwksUri ?? issuer.discovery ?? `the JWKS of ${issuer.issuer}`

  function instructions(stage: ManualStage, request: RotateRequest): ManualInstructions {
    const leaked = `the key with RFC 7638 thumbprint ${request.leaked.thumbprint}${request.leaked.kid ? ` (kid "${request.leaked.kid}")` : ''}`
    const replacement = request.replacement
    switch (stage) {
      case 'add':
        return {
          title: `Publish the new public key for issuer ${issuer.id}`,
          steps: [
            `Add this public JWK to the key set served at ${jwks}, keeping the other keys:`,
            // A plan (dry run) is drawn before the key exists: it names what will be shown then.
            replacement && Object.keys(replacement.publicJwk).length > 0
              ? JSON.stringify(withoutPrivateMembers(replacement.publicJwk))
              : '(the new key’s public JWK, generated when the rotation runs and shown here then)',
            'Deploy it, and check that the published JWKS now lists it.',
          ],
        }
      case 'switch-signing':
        return {
          title: `Make issuer ${issuer.id} sign with the new key`,
          steps: [
            `Configure ${issuer.issuer} to sign with the new private key (kid "${replacement?.kid ?? '?'}")${replacement?.privateKeyFile ? `, from ${replacement.privateKeyFile}` : ''}.`,
            'Restart or reload the signer, and check that a fresh token names the new kid in its header.',
          ],
        }
      case 'remove':
        return {
          title: `Remove the leaked key from issuer ${issuer.id}`,
          steps: [
            `Remove ${leaked} from the key set served at ${jwks}; match it by its key material, not only its kid.`,
            'Delete the leaked private key from the signer and its secret stores.',
            'Deploy, and check that the published JWKS no longer lists it.',
          ],
        }
    }
  }

  async function runStages(
    stages: ManualStage[],
    request: RotateRequest,
    run: EffectRunner,
    added: KeyRef[],
  ): Promise<ChangeResult> {
    const confirm = deps.confirm
    if (!confirm) {
      throw new JwkrError(
        'ERR_APPROVAL_REQUIRED',
        `Issuer ${issuer.id} is changed by hand, and nobody is there to confirm it (unattended run).`,
        {
          hint: 'Run on a terminal, or carry out the steps of --dry-run by hand and record them in the incident.',
        },
      )
    }
    for (const stage of stages) {
      const steps = instructions(stage, request)
      await run(stage, steps.title, async () => {
        if (!(await confirm(steps))) {
          throw new JwkrError('ERR_ABORTED', `The responder did not confirm: "${steps.title}".`, {
            hint: 'Resume the incident when it is done.',
          })
        }
        return {confirmedAt: now().toISOString()}
      })
    }
    return {
      issuerId: issuer.id,
      source: 'manual',
      outcome: 'changed',
      added,
      removed: [{kid: request.leaked.kid, thumbprint: request.leaked.thumbprint}],
      signingSwitched: stages.includes('switch-signing') ? true : null,
      leakedStillListed: false,
      stages,
      warnings: ['Done by hand and confirmed by the responder: prove containment (probe the JWKS and relying parties).'],
    }
  }

  const plan = (stages: ManualStage[], request: RotateRequest): PlannedCall[] =>
    stages.map((stage) => {
      const {title, steps} = instructions(stage, request)
      return {kind: 'manual', target: issuer.issuer, description: `${title}: ${steps.join(' ')}`}
    })

  return {
    type: 'manual',
    capabilities: {takesGeneratedKey: true, switchesSigning: true, removesKey: true, revokesSessions: false},
    async listKeys() {
      throw new JwkrError('ERR_IDP_UNSUPPORTED', `A manual key source cannot list keys (issuer ${issuer.id}).`, {
        hint: "Read the issuer's published JWKS instead (jwksUri or discovery).",
      })
    },
    planRotate: (request) => plan(['add', 'switch-signing', 'remove'], request),
    async rotate(request, run) {
      if (!request.replacement) {
        throw new JwkrError('ERR_USAGE', 'A manual rotation publishes a key that jwkr generated, and none was given.', {
          hint: 'Use jwkr key rotate, which generates the replacement, or jwkr key revoke to remove the leaked key only.',
        })
      }
      const {thumbprint} = await publicReplacement(request.replacement.publicJwk, request.replacement.kid, deps.secrets)
      return runStages(['add', 'switch-signing', 'remove'], request, run, [{kid: request.replacement.kid, thumbprint}])
    },
    planRevoke: (request) => plan(['remove'], request),
    revoke: (request, run) => runStages(['remove'], request, run, []),
  }
}
