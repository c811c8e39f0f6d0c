// An issuer that jwkr cannot change directly: each stage of the change is POSTed to a URL as a JSON
// change request (docs/webhook-protocol.md), signed with HMAC-SHA256 over the exact body
// (X-Jwkr-Signature: sha256=<hex>) with JWKR_WEBHOOK_SECRET. The receiver generates the replacement
// itself and answers "add" with its public JWK, so a private key never travels; jwkr checks that key
// and names it in the later stages. Each request carries its effect key as the Idempotency-Key, so a
// repeat (a retry after a timeout, a resume) gets the first answer back and never a second key.
import {createHmac} from 'node:crypto'

import type {InventoryIssuer} from '../../core/inventory/types.js'
import {JwkrError} from '../../core/errors.js'
import {replacementKindOf, type ReplacementKind} from '../../core/key/replacement-kind.js'
import {
  checkReportedReplacement,
  refusePrivateMembers,
  type ReportedReplacement,
  type ReportedReplacementExpectation,
} from '../../core/key/reported-replacement.js'
import {createIdpClient, firstString, requireCredential} from './idp-client.js'
import {
  effectKey,
  type ChangeResult,
  type EffectRunner,
  type IssuerKeyStore,
  type IssuerKeyStoreDeps,
  type PlannedCall,
  type RotateRequest,
} from './issuer-key-store.js'
import {
  answerProblems,
  createWebhookAnswerValidator,
  WEBHOOK_IDEMPOTENCY_HEADER,
  WEBHOOK_PROTOCOL_VERSION,
  WEBHOOK_REQUEST_TYPE,
  WEBHOOK_SIGNATURE_HEADER,
  type WebhookAnswerValidator,
  type WebhookChangeRequest,
  type WebhookStage,
} from './webhook-protocol.js'

export {WEBHOOK_SIGNATURE_HEADER, type WebhookStage}

const STAGE_WORDS: Record<WebhookStage, string> = {
  add: 'generate a replacement of the leaked key’s kind, publish it and answer with its public JWK',
  'switch-signing': 'sign with the replacement key',
  remove: 'remove the leaked key',
}

/** The `X-Jwkr-Signature` value for a body: what receivers compute to verify it. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

type Operation = WebhookChangeRequest['operation']

/** The ref of a stage as the effect journal keeps it (public values only). */
interface StageRef extends Record<string, unknown> {
  status: number
  idempotencyKey: string
  reference?: string
  /** Stage "add": the key the receiver generated, as checked. */
  replacement?: ReportedReplacement
}

export function createWebhookKeyStore(issuer: InventoryIssuer, config: {url: string}, deps: IssuerKeyStoreDeps): IssuerKeyStore {
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
    http: deps.http,
  })
  const path = `${target.pathname}${target.search}`
  let validator: WebhookAnswerValidator | undefined
  const answers = () => (validator ??= createWebhookAnswerValidator())

  async function send(
    body: Omit<WebhookChangeRequest, 'version' | 'type' | 'issuer' | 'incident' | 'leaked' | 'reason' | 'sentAt'>,
    request: RotateRequest,
    signal?: AbortSignal,
  ): Promise<{ref: StageRef; answer: unknown}> {
    const secret = requireCredential(deps.env, 'JWKR_WEBHOOK_SECRET', 'signing key-change webhooks', secrets)
    const change: WebhookChangeRequest = {
      version: WEBHOOK_PROTOCOL_VERSION,
      type: WEBHOOK_REQUEST_TYPE,
      operation: body.operation,
      stage: body.stage,
      incident: request.incidentId,
      issuer: {id: issuer.id, iss: issuer.issuer},
      leaked: {thumbprint: request.leaked.thumbprint, kid: request.leaked.kid},
      generate: body.generate,
      replacement: body.replacement,
      reason: request.reason,
      sentAt: now().toISOString(),
    }
    const idempotencyKey = effectKey(request, body.operation, body.stage)
    // Nothing secret is in the body; redacting anyway means a bug cannot send one.
    const sent = secrets.redact(JSON.stringify(change))
    const response = await client.request('POST', path, {
      body: sent,
      contentType: 'application/json',
      headers: {[WEBHOOK_SIGNATURE_HEADER]: webhookSignature(secret, sent), [WEBHOOK_IDEMPOTENCY_HEADER]: idempotencyKey},
      signal,
      idempotent: true,
    })
    // An answer is never printed whole; a private key in it (a broken receiver) is still registered at once.
    secrets.addJwk(response.body)
    const reference = firstString(response.body, ['id'], ['reference'])
    return {ref: {status: response.status, idempotencyKey, ...(reference ? {reference} : {})}, answer: response.body}
  }

  /** Stage "add": the receiver generates the key and reports it; the key is checked before anything is recorded. */
  async function add(request: RotateRequest, kind: ReplacementKind, signal?: AbortSignal): Promise<StageRef> {
    const {ref, answer} = await send({operation: 'rotate', stage: 'add', generate: kind, replacement: null}, request, signal)
    const publicJwk = isRecord(answer) ? answer.publicJwk : undefined
    const expected: ReportedReplacementExpectation = {
      kind,
      leaked: request.leaked,
      label: `The key the webhook receiver of issuer ${issuer.id} reported`,
      fix: 'Have the receiver discard that key and its stored answer, then resume (jwkr incident resume).',
      secrets,
    }
    refusePrivateMembers(answer, {...expected, label: `The webhook receiver’s answer for issuer ${issuer.id}`})
    refusePrivateMembers(publicJwk, expected)
    if (!answers().addAnswer(answer)) {
      throw new JwkrError(
        'ERR_IDP_BAD_RESPONSE',
        `The webhook receiver of issuer ${issuer.id} answered "add" without a valid replacement: ${answerProblems(answers().addAnswer.errors)}.`,
        {
          hint: 'The receiver must generate the key and answer {"publicJwk": {…}} with its public members, kid and alg (docs/webhook-protocol.md).',
          details: {status: ref.status},
        },
      )
    }
    return {...ref, replacement: await checkReportedReplacement(publicJwk, expected)}
  }

  const call = (stage: WebhookStage): PlannedCall => ({
    kind: 'http',
    target: `POST ${config.url}`,
    description: `Ask the receiver to ${STAGE_WORDS[stage]} (signed change request, stage "${stage}").`,
  })

  const description = (stage: WebhookStage) => `POST ${config.url} (${stage})`

  /**
   * The later stages. The receiver deduplicates by Idempotency-Key, so sending again is how an
   * interrupted stage is checked: its check says "not done", and the repeat gets the first answer.
   */
  async function runStages(
    operation: Operation,
    stages: WebhookStage[],
    request: RotateRequest,
    run: EffectRunner,
    replacement: WebhookChangeRequest['replacement'],
    signal?: AbortSignal,
  ): Promise<void> {
    for (const stage of stages) {
      await run(
        stage,
        description(stage),
        async () => (await send({operation, stage, generate: null, replacement}, request, signal)).ref,
        async () => undefined,
      )
    }
  }

  function result(request: RotateRequest, stages: WebhookStage[], reported: ReportedReplacement | null): ChangeResult {
    const warnings = [
      'The receiver accepted the change requests; jwkr cannot see whether it applied them: prove containment (probe the JWKS and relying parties) afterwards.',
    ]
    if (reported) {
      warnings.unshift(
        `The receiver generated the replacement (kid ${reported.kid}, thumbprint ${reported.thumbprint}) and keeps its private key: ` +
          'jwkr holds none, so it cannot sign control tokens, and the proof rests on services seen accepting a canary before containment (the baseline).',
      )
    }
    return {
      issuerId: issuer.id,
      source: 'webhook',
      outcome: 'changed',
      added: reported ? [{kid: reported.kid, thumbprint: reported.thumbprint}] : [],
      removed: [{kid: request.leaked.kid, thumbprint: request.leaked.thumbprint}],
      signingSwitched: null,
      leakedStillListed: false,
      stages,
      warnings,
      ...(reported ? {reportedReplacement: {kid: reported.kid, thumbprint: reported.thumbprint, alg: reported.alg}} : {}),
    }
  }

  return {
    type: 'webhook',
    // The receiver generates the replacement: jwkr makes none for it.
    capabilities: {takesGeneratedKey: false, switchesSigning: true, removesKey: true, revokesSessions: false},
    async listKeys() {
      throw new JwkrError('ERR_IDP_UNSUPPORTED', `A webhook key source cannot list keys (issuer ${issuer.id}).`, {
        hint: "Read the issuer's published JWKS instead (jwksUri or discovery).",
      })
    },
    planRotate: () => [call('add'), call('switch-signing'), call('remove')],
    async rotate(request, run, signal) {
      const kind = kindToGenerate(request)
      const ref = await run(
        'add',
        description('add'),
        () => add(request, kind, signal),
        async () => undefined,
      )
      const reported = recordedReplacement(ref)
      await runStages(
        'rotate',
        ['switch-signing', 'remove'],
        request,
        run,
        {kid: reported.kid, thumbprint: reported.thumbprint},
        signal,
      )
      return result(request, ['add', 'switch-signing', 'remove'], reported)
    },
    planRevoke: () => [call('remove')],
    async revoke(request, run, signal) {
      await runStages('revoke', ['remove'], request, run, null, signal)
      return result(request, ['remove'], null)
    },
  }

  function kindToGenerate(request: RotateRequest): ReplacementKind {
    if (!request.family) {
      throw new JwkrError(
        'ERR_USAGE',
        `The webhook receiver of issuer ${issuer.id} must be told which kind of key to generate, and it was not.`,
        {
          hint: 'Rotate with jwkr key rotate or the key.rotate step, which pass the leaked key; or remove the key only with jwkr key revoke.',
        },
      )
    }
    const kind = replacementKindOf(request.family)
    if (kind.kty === 'oct') {
      throw new JwkrError(
        'ERR_KEY_UNSUPPORTED',
        `Issuer ${issuer.id} publishes keys through a webhook, and a shared secret has no public key to publish.`,
        {
          hint: 'Give a new secret to the signer and every verifier by hand, then remove the old one (jwkr key revoke).',
        },
      )
    }
    return kind
  }

  /** The replacement from the "add" stage's ref (just made, or read back from the journal on resume). */
  function recordedReplacement(ref: Record<string, unknown>): ReportedReplacement {
    const replacement = ref.replacement as Partial<ReportedReplacement> | undefined
    if (
      typeof replacement?.kid !== 'string' ||
      typeof replacement.thumbprint !== 'string' ||
      typeof replacement.alg !== 'string'
    ) {
      throw new JwkrError(
        'ERR_IDP_CONFLICT',
        `The "add" stage at issuer ${issuer.id} is recorded without the key the receiver generated.`,
        {
          hint: 'The incident was started by a jwkr that spoke an older webhook protocol: start a new incident for the key.',
        },
      )
    }
    return replacement as ReportedReplacement
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
