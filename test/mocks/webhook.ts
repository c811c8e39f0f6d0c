// msw double of a key-change webhook receiver, written the way a careful receiver behaves: it
// verifies X-Jwkr-Signature (HMAC-SHA256 over the raw body) with the shared secret, answers 401 to
// a bad one, requires an Idempotency-Key and applies each key once (a repeat gets the first answer
// back), and answers 202 {id}. Failures are injectable like the other doubles.
import {createHmac, randomUUID, timingSafeEqual} from 'node:crypto'

import {http, HttpResponse, type HttpHandler} from 'msw'

import {recordRequest, retryHeaders, takeFailure, type MockBase} from '../adapters/idp/helpers/mock-kit.js'

export interface WebhookChange {
  idempotencyKey: string
  body: Record<string, unknown>
}

export interface WebhookMockState extends MockBase {
  /** The receiver's URL; `baseUrl` is its origin. */
  url: string
  secret: string
  /** Changes applied, once per Idempotency-Key. */
  applied: WebhookChange[]
  answers: Map<string, {id: string}>
}

export function createWebhookState(init: Partial<WebhookMockState> = {}): WebhookMockState {
  const url = init.url ?? 'https://hooks.example.com/jwkr/key-change'
  return {
    baseUrl: new URL(url).origin,
    url,
    secret: 'whsec-test-0f1e2d3c',
    applied: [],
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
      const known = state.answers.get(key)
      if (known) return HttpResponse.json(known, {status: 200})
      const answer = {id: `chg_${randomUUID()}`}
      state.answers.set(key, answer)
      state.applied.push({idempotencyKey: key, body: JSON.parse(recorded.body) as Record<string, unknown>})
      return HttpResponse.json(answer, {status: 202})
    }),
  ]
}

function validSignature(secret: string, body: string, header: string | null): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`)
  const given = Buffer.from(header ?? '')
  return given.length === expected.length && timingSafeEqual(given, expected)
}
