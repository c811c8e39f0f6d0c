// msw double of a key-change webhook receiver (docs/webhook-protocol.md), written the way a careful
// receiver behaves: it verifies X-Jwkr-Signature (HMAC-SHA256 over the raw body) with the shared
// secret, answers 401 to a bad one, requires an Idempotency-Key and applies each change once (a
// repeat gets the first answer back). On "add" it generates the replacement with node:crypto, of the
// kind the request asks for, and answers 201 {id, publicJwk} with the public half only; other stages
// answer 202 {id}. Failures, a slow first answer and a wrong "add" answer can be injected.
import {createHmac, generateKeyPairSync, randomUUID, timingSafeEqual} from 'node:crypto'

import {delay, http, HttpResponse, type HttpHandler} from 'msw'

import {recordRequest, retryHeaders, takeFailure, type MockBase} from '../adapters/idp/helpers/mock-kit.js'

export interface WebhookChange {
  idempotencyKey: string
  body: Record<string, unknown>
}

/** A key the receiver generated: what it publishes and what it keeps. */
export interface ReceiverKey {
  publicJwk: Record<string, unknown>
  privateJwk: Record<string, unknown>
}

export interface WebhookMockState extends MockBase {
  /** The receiver's URL; `baseUrl` is its origin. */
  url: string
  secret: string
  /** Changes applied, once per Idempotency-Key. */
  applied: WebhookChange[]
  /** Keys generated on "add", once per Idempotency-Key. */
  generated: ReceiverKey[]
  answers: Map<string, {status: number; body: Record<string, unknown>}>
  /** Replaces the "add" answer (a broken receiver): given the key it generated. */
  addAnswer?: (key: ReceiverKey) => Record<string, unknown>
  /** The first N requests are applied, then answered only after this many ms (a slow receiver). */
  slowFirst?: {times: number; ms: number}
  /** Called once per change applied, with the key made on "add": a test publishes it where its issuer serves keys. */
  onApplied?: (change: WebhookChange, generated: ReceiverKey | undefined) => void
}

export function createWebhookState(init: Partial<WebhookMockState> = {}): WebhookMockState {
  const url = init.url ?? 'https://hooks.example.com/jwkr/key-change'
  return {
    baseUrl: new URL(url).origin,
    url,
    secret: 'whsec-test-0f1e2d3c',
    applied: [],
    generated: [],
    answers: new Map(),
    requests: [],
    failures: [],
    ...init,
  }
}

export function webhookHandlers(state: WebhookMockState): HttpHandler[] {
  return [
    http.post(state.url, async ({request}) => {
      const recorded = await recordRequest(state, request)
      if (!validSignature(state.secret, recorded.body, request.headers.get('x-jwkr-signature'))) {
        return HttpResponse.json({error: 'invalid signature'}, {status: 401})
      }
      const key = request.headers.get('idempotency-key')
      if (!key) return HttpResponse.json({error: 'Idempotency-Key is required'}, {status: 400})
      const failure = takeFailure(state, recorded)
      if (failure)
        return HttpResponse.json({error: `refused (${failure.status})`}, {status: failure.status, headers: retryHeaders(failure)})
      const answer = state.answers.get(key) ?? apply(state, key, JSON.parse(recorded.body) as Record<string, unknown>)
      if (state.slowFirst && state.slowFirst.times > 0) {
        state.slowFirst.times -= 1
        await delay(state.slowFirst.ms)
      }
      return HttpResponse.json(answer.body, {status: answer.status})
    }),
  ]
}

function apply(state: WebhookMockState, key: string, body: Record<string, unknown>) {
  const change = {idempotencyKey: key, body}
  state.applied.push(change)
  const id = `chg_${randomUUID()}`
  let answer = {status: 202, body: {id} as Record<string, unknown>}
  const made = body.stage === 'add' ? generate(body.generate as GenerateSpec) : undefined
  if (made) {
    state.generated.push(made)
    answer = {status: 201, body: state.addAnswer ? state.addAnswer(made) : {id, publicJwk: made.publicJwk}}
  }
  state.answers.set(key, answer)
  state.onApplied?.(change, made)
  return answer
}

interface GenerateSpec {
  kty: string
  alg: string
  crv: string | null
  use: string | null
  minBits: number | null
}

/** A new key of the kind asked for, named by a kid of the receiver's own. */
function generate(spec: GenerateSpec): ReceiverKey {
  const pair =
    spec.kty === 'RSA'
      ? generateKeyPairSync('rsa', {modulusLength: spec.minBits ?? 2048})
      : spec.kty === 'EC'
        ? generateKeyPairSync('ec', {namedCurve: spec.crv ?? 'P-256'})
        : generateKeyPairSync('ed25519')
  const named = {kid: `rcv-${randomUUID()}`, alg: spec.alg, ...(spec.use ? {use: spec.use} : {})}
  return {
    publicJwk: {...(pair.publicKey.export({format: 'jwk'}) as Record<string, unknown>), ...named},
    privateJwk: {...(pair.privateKey.export({format: 'jwk'}) as Record<string, unknown>), ...named},
  }
}

function validSignature(secret: string, body: string, header: string | null): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`)
  const given = Buffer.from(header ?? '')
  return given.length === expected.length && timingSafeEqual(given, expected)
}
