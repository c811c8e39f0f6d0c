// An issuer that jwkr cannot change directly: each stage of the change is POSTed to a URL as a JSON
// change request, signed with HMAC-SHA256 over the exact body (X-Jwkr-Signature: sha256=<hex>) with
// JWKR_WEBHOOK_SECRET, and carrying the effect key as its Idempotency-Key, so a receiver that sees
// a request again after a resume recognises it. Any 2xx is an acceptance.
import {createHmac} from 'node:crypto'

import type {InventoryIssuer} from '../../core/inventory/types.js'
import {JwkrError} from '../../core/errors.js'
import {createIdpClient, firstString, requireCredential} from './idp-client.js'
import {publicReplacement} from './key-material.js'
import {
  effectKey,
  type ChangeResult,
  type EffectRunner,
  type KeyRef,
  type KeySource,
  type KeySourceDeps,
  type KeySourceOperation,
  type PlannedCall,
  type RotateRequest,
} from './key-source.js'

export const WEBHOOK_SIGNATURE_HEADER = 'x-jwkr-signature'

export type WebhookStage = 'add' | 'switch-signing' | 'remove'

const STAGE_WORDS: Record<WebhookStage, string> = {
  add: 'publish the replacement key',
  'switch-signing': 'sign with the replacement key',
  remove: 'remove the leaked key',
}

/** The `X-Jwkr-Signature` value for a body: what receivers compute to verify it. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

export function createWebhookKeySource(issuer: InventoryIssuer, config: {url: string}, deps: KeySourceDeps): KeySource {
  const {secrets} = deps
  secrets.add(deps.env.JWKR_WEBHOOK_SECRET)
  const now = deps.now ?? (() => new Date())
  let target: URL
  try {
    target = new URL(config.url)
  } catch {
    throw new JwkrError('ERR_KEY_SOURCE_INVALID', `The webhook key source of issuer ${issuer.id} has no valid url.`, {
      hint: 'Set keySource.url to the https URL of the receiver.',
    })
  }
  const client = createIdpClient({
    service: 'The key-change webhook',
    baseUrl: target.origin,
    auth: () => ({}),
    authHint: 'The receiver refused the signature: check that it verifies X-Jwkr-Signature with the same JWKR_WEBHOOK_SECRET.',
    forbiddenHint: 'The receiver refused the change: check its policy for this issuer.',
    errorMessage: (body) => firstString(body, ['message'], ['error']),
    secrets,
    fetch: deps.fetch,
    http: deps.http,
  })
  const path = `${target.pathname}${target.search}`

  async function send(
    operation: KeySourceOperation,
    stage: WebhookStage,
    request: RotateRequest,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const secret = requireCredential(deps.env, 'JWKR_WEBHOOK_SECRET', 'signing key-change webhooks', secrets)
    const replacement = request.replacement
      ? await publicReplacement(request.replacement.publicJwk, request.replacement.kid, secrets)
      : null
    const body = JSON.stringify({
      version: 1,
      type: 'jwkr.key-change',
      operation,
      stage,
      incident: request.incidentId,
      issuer: {id: issuer.id, iss: issuer.issuer},
      leaked: request.leaked,
      replacement: replacement
        ? {kid: request.replacement?.kid, thumbprint: replacement.thumbprint, publicJwk: replacement.jwk}
        : null,
      reason: request.reason,
      sentAt: now().toISOString(),
    })
    const idempotencyKey = effectKey(request, operation, stage)
    // Nothing secret is in the body; redacting anyway means a bug cannot send one.
    const sent = secrets.redact(body)
    const response = await client.request('POST', path, {
      body: sent,
      contentType: 'application/json',
      headers: {[WEBHOOK_SIGNATURE_HEADER]: webhookSignature(secret, sent), 'idempotency-key': idempotencyKey},
      signal,
    })
    const reference = firstString(response.body, ['id'], ['reference'])
    return {status: response.status, idempotencyKey, ...(reference ? {reference} : {})}
  }

  const call = (stage: WebhookStage): PlannedCall => ({
    kind: 'http',
    target: `POST ${config.url}`,
    description: `Ask the receiver to ${STAGE_WORDS[stage]} (signed change request, stage "${stage}").`,
  })

  async function runStages(
    operation: KeySourceOperation,
    stages: WebhookStage[],
    request: RotateRequest,
    run: EffectRunner,
    added: KeyRef[],
    signal?: AbortSignal,
  ): Promise<ChangeResult> {
    for (const stage of stages) {
      // The receiver deduplicates by Idempotency-Key, so sending again is how an interrupted stage is checked.
      await run(
        stage,
        `POST ${config.url} (${stage})`,
        () => send(operation, stage, request, signal),
        async () => undefined,
      )
    }
    return {
      issuerId: issuer.id,
      source: 'webhook',
      outcome: 'changed',
      added,
      removed: [{kid: request.leaked.kid, thumbprint: request.leaked.thumbprint}],
      signingSwitched: null,
      leakedStillListed: false,
      stages,
      warnings: [
        'The receiver accepted the change requests; jwkr cannot see whether it applied them: prove containment (probe the JWKS and relying parties) afterwards.',
      ],
    }
  }

  return {
    type: 'webhook',
    capabilities: {takesGeneratedKey: true, switchesSigning: true, removesKey: true, revokesSessions: false},
    async listKeys() {
      throw new JwkrError('ERR_IDP_UNSUPPORTED', `A webhook key source cannot list keys (issuer ${issuer.id}).`, {
        hint: "Read the issuer's published JWKS instead (jwksUri or discovery).",
      })
    },
    planRotate: () => [call('add'), call('switch-signing'), call('remove')],
    async rotate(request, run, signal) {
      if (!request.replacement) {
        throw new JwkrError('ERR_USAGE', 'The webhook key source publishes a key that jwkr generated, and none was given.', {
          hint: 'Use jwkr key rotate, which generates the replacement, or jwkr key revoke to remove the leaked key only.',
        })
      }
      const {thumbprint} = await publicReplacement(request.replacement.publicJwk, request.replacement.kid, secrets)
      return runStages(
        'rotate',
        ['add', 'switch-signing', 'remove'],
        request,
        run,
        [{kid: request.replacement.kid, thumbprint}],
        signal,
      )
    },
    planRevoke: () => [call('remove')],
    revoke: (request, run, signal) => runStages('revoke', ['remove'], {...request, replacement: undefined}, run, [], signal),
  }
}
