// The webhook protocol as documented (docs/webhook-protocol.md, docs/schemas/) against what jwkr does:
// the schema files are the code's own schemas; every request jwkr sends in a rotation and a revocation,
// and every answer it accepts, fits them; answers it refuses do not; and the page's examples (request
// bodies, the add answer, the HMAC computation) are valid, consistent and computed as jwkr computes.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {Ajv2020} from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import {calculateJwkThumbprint, type JWK} from 'jose'
import {format, resolveConfig} from 'prettier'
import {beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {createIssuerKeyStore} from '../../../src/adapters/idp/create-issuer-key-store.js'
import type {RotateRequest} from '../../../src/adapters/idp/issuer-key-store.js'
import {webhookSignature} from '../../../src/adapters/idp/webhook.js'
import {webhookRequestSchema, webhookResponseSchema} from '../../../src/adapters/idp/webhook-protocol.js'
import type {InventoryIssuer} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {server} from '../../helpers/msw.js'
import {projectRoot} from '../../helpers/run.js'
import {createWebhookState, webhookHandlers, type WebhookMockState} from '../../mocks/webhook.js'
import {makeKey, type KeyKind} from './helpers/keys.js'
import {LedgerRunner} from '../../helpers/ledger-runner.js'

const SECRET = 'whsec-protocol-test'
const DOC = join(projectRoot, 'docs/webhook-protocol.md')
const REQUEST_FILE = join(projectRoot, 'docs/schemas/webhook-request.schema.json')
const RESPONSE_FILE = join(projectRoot, 'docs/schemas/webhook-response.schema.json')

const issuer: InventoryIssuer = {
  id: 'legacy-signer',
  issuer: 'https://legacy.example.com',
  keySource: {type: 'webhook', url: 'https://hooks.example.com/jwkr/key-change'},
}

/** Validators built from the files a receiver downloads, as a receiver would (any draft 2020-12 validator). */
function receiverValidators() {
  const ajv = new Ajv2020({strict: false, allErrors: true})
  addFormats.default(ajv)
  const response = JSON.parse(readFileSync(RESPONSE_FILE, 'utf8')) as {$id: string}
  ajv.addSchema(response)
  return {
    request: ajv.compile(JSON.parse(readFileSync(REQUEST_FILE, 'utf8'))),
    response: ajv.getSchema(response.$id)!,
    addAnswer: ajv.getSchema(`${response.$id}#/$defs/addAnswer`)!,
    answer: ajv.getSchema(`${response.$id}#/$defs/answer`)!,
  }
}

let schemas: ReturnType<typeof receiverValidators>
let state: WebhookMockState

beforeAll(() => {
  schemas = receiverValidators()
})

beforeEach(() => {
  state = createWebhookState({secret: SECRET})
  server.use(...webhookHandlers(state))
})

async function rotate(kind: KeyKind, operation: 'rotate' | 'revoke' = 'rotate') {
  const key = await makeKey(kind)
  const families = {
    RSA: {kty: 'RSA', crv: null, alg: 'RS256', use: 'sig', bits: 3072},
    EC: {kty: 'EC', crv: 'P-256', alg: null, use: null, bits: null},
    OKP: {kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', bits: null},
  } as const
  const request: RotateRequest = {
    issuerId: issuer.id,
    incidentId: '2026-11-29-eoiu6s',
    leaked: {thumbprint: key.thumbprint, kid: kind === 'EC' ? null : 'legacy-1'},
    family: {...families[kind], reference: false},
    reason: 'The private key was exposed (key compromise).',
  }
  const source = createIssuerKeyStore(issuer, {env: {JWKR_WEBHOOK_SECRET: SECRET}, secrets: new SecretRegistry()})
  return operation === 'rotate' ? source.rotate(request, new LedgerRunner().run) : source.revoke(request, new LedgerRunner().run)
}

/** The fenced blocks of the page whose info string is `lang tag`. */
function examples(tag: string): string[] {
  const text = readFileSync(DOC, 'utf8')
  return [...text.matchAll(new RegExp(`^\`\`\`\\w+ ${tag}\\n([\\s\\S]*?)\\n\`\`\`$`, 'gm'))].map((match) => match[1]!)
}

/** The file as the project's Prettier writes it, so `npm run lint` passes on it. */
async function formatted(schema: object, file: string): Promise<string> {
  return format(JSON.stringify(schema), {...(await resolveConfig(file)), filepath: file})
}

describe('the schema files', () => {
  it('are the schemas the code sends and checks by (regenerate with vitest -u)', async () => {
    await expect(await formatted(webhookRequestSchema, REQUEST_FILE)).toMatchFileSnapshot(REQUEST_FILE)
    await expect(await formatted(webhookResponseSchema, RESPONSE_FILE)).toMatchFileSnapshot(RESPONSE_FILE)
  })
})

describe('what jwkr sends and accepts fits the published schemas', () => {
  it.each<KeyKind>(['RSA', 'EC', 'OKP'])(
    'a rotation of an %s key: every request, and every answer jwkr accepted',
    async (kind) => {
      // When a key is rotated through the receiver
      const result = await rotate(kind)
      expect(result.outcome).toBe('changed')
      // Then every request jwkr sent is valid against the request schema
      expect(state.requests.map((request) => JSON.parse(request.body).stage)).toEqual(['add', 'switch-signing', 'remove'])
      for (const request of state.requests) {
        expect(schemas.request(JSON.parse(request.body)), JSON.stringify(schemas.request.errors)).toBe(true)
      }
      // And every answer it accepted is valid: the add answer against addAnswer, the others against answer
      const answers = [...state.answers.values()].map((answer) => answer.body)
      expect(schemas.addAnswer(answers[0]), JSON.stringify(schemas.addAnswer.errors)).toBe(true)
      for (const answer of answers) expect(schemas.response(answer), JSON.stringify(schemas.response.errors)).toBe(true)
      for (const answer of answers.slice(1)) expect(schemas.answer(answer)).toBe(true)
    },
  )

  it('a revocation: one remove request, valid', async () => {
    await rotate('RSA', 'revoke')
    expect(state.requests).toHaveLength(1)
    const body = JSON.parse(state.requests[0]!.body)
    expect(schemas.request(body), JSON.stringify(schemas.request.errors)).toBe(true)
  })

  it('the add answers jwkr refuses for their shape are refused by the schema too', async () => {
    const key = await makeKey('RSA')
    const {alg: _alg, ...noAlg} = {...key.publicJwk, kid: 'k', alg: 'RS256'}
    for (const refused of [{publicJwk: {...key.privateJwk, kid: 'k', alg: 'RS256'}}, {publicJwk: noAlg}, {id: 'chg_1'}]) {
      expect(schemas.addAnswer(refused)).toBe(false)
    }
  })
})

describe('the protocol page', () => {
  it('shows requests that fit the schema, and a switch-signing that names the key of the add answer', async () => {
    const requests = examples('request-example').map((text) => JSON.parse(text) as Record<string, unknown>)
    expect(requests.map((request) => request.stage)).toEqual(['add', 'switch-signing'])
    for (const request of requests) expect(schemas.request(request), JSON.stringify(schemas.request.errors)).toBe(true)
    const [answer] = examples('response-example-add').map((text) => JSON.parse(text) as {publicJwk: JWK})
    expect(schemas.addAnswer(answer), JSON.stringify(schemas.addAnswer.errors)).toBe(true)
    expect(requests[1]?.replacement).toEqual({
      kid: answer!.publicJwk.kid,
      thumbprint: await calculateJwkThumbprint(answer!.publicJwk, 'sha256'),
    })
  })

  it('computes its HMAC example as jwkr does, over the add request as sent', () => {
    const [body] = examples('hmac-body')
    const [header] = examples('hmac-header')
    expect(JSON.parse(body!)).toEqual(JSON.parse(examples('request-example')[0]!))
    expect(body).toBe(JSON.stringify(JSON.parse(body!)))
    expect(header).toBe(`X-Jwkr-Signature: ${webhookSignature('whsec-example-not-a-real-secret', body!)}`)
  })
})
