// The key-change webhook protocol, version 2, as data: the JSON Schemas of the change request jwkr
// sends and of the answers it accepts. docs/schemas/ holds them as files for receivers (a test keeps
// those equal to these), and the webhook source checks every answer against them.
import {Ajv2020, type ErrorObject, type ValidateFunction} from 'ajv/dist/2020.js'

import type {ReplacementKind} from '../../core/key/replacement-kind.js'
import {PRIVATE_JWK_MEMBERS} from '../../core/secrets.js'
import type {JsonSchema} from '../../core/json-schema.js'

export const WEBHOOK_PROTOCOL_VERSION = 2
export const WEBHOOK_REQUEST_TYPE = 'jwkr.key-change'
export const WEBHOOK_SIGNATURE_HEADER = 'x-jwkr-signature'
export const WEBHOOK_IDEMPOTENCY_HEADER = 'idempotency-key'

export type WebhookStage = 'add' | 'switch-signing' | 'remove'
export const WEBHOOK_STAGES: readonly WebhookStage[] = ['add', 'switch-signing', 'remove']

/** The body of every change request (docs/webhook-protocol.md). */
export interface WebhookChangeRequest {
  version: typeof WEBHOOK_PROTOCOL_VERSION
  type: typeof WEBHOOK_REQUEST_TYPE
  operation: 'rotate' | 'revoke'
  stage: WebhookStage
  incident: string
  issuer: {id: string; iss: string}
  leaked: {thumbprint: string; kid: string | null}
  /** Stage "add" only: the kind of key the receiver must generate. */
  generate: ReplacementKind | null
  /** Rotation after "add": the key the receiver reported, to sign with and keep. */
  replacement: {kid: string; thumbprint: string} | null
  reason: string
  sentAt: string
}

const THUMBPRINT = {type: 'string', pattern: '^[A-Za-z0-9_-]{43}$', description: 'RFC 7638 SHA-256 thumbprint, base64url.'}
const nullable = (schema: Record<string, unknown>) => ({anyOf: [{type: 'null'}, schema]})

export const webhookRequestSchema: JsonSchema = Object.freeze({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:jwk-responder:schema:webhook-request:v2',
  title: 'jwkr key-change request',
  description:
    'The JSON body jwkr POSTs to a webhook key source, one request per stage, signed with HMAC-SHA256 ' +
    '(X-Jwkr-Signature) and carrying an Idempotency-Key. See docs/webhook-protocol.md.',
  type: 'object',
  additionalProperties: false,
  required: [
    'version',
    'type',
    'operation',
    'stage',
    'incident',
    'issuer',
    'leaked',
    'generate',
    'replacement',
    'reason',
    'sentAt',
  ],
  properties: {
    version: {const: WEBHOOK_PROTOCOL_VERSION, description: 'The protocol version.'},
    type: {const: WEBHOOK_REQUEST_TYPE},
    operation: {
      enum: ['rotate', 'revoke'],
      description: 'rotate: add → switch-signing → remove; revoke: remove only, nothing added.',
    },
    stage: {enum: [...WEBHOOK_STAGES], description: 'What to do now; the stages of one rotation come in this order.'},
    incident: {type: 'string', minLength: 1, description: 'The jwkr incident id.'},
    issuer: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'iss'],
      properties: {
        id: {type: 'string', minLength: 1, description: 'The issuer id in the jwkr inventory.'},
        iss: {type: 'string', minLength: 1, description: 'The iss claim of its tokens.'},
      },
    },
    leaked: {
      type: 'object',
      additionalProperties: false,
      required: ['thumbprint', 'kid'],
      description: 'The leaked key: match it by thumbprint, never by kid alone.',
      properties: {thumbprint: THUMBPRINT, kid: {type: ['string', 'null']}},
    },
    generate: nullable({$ref: '#/$defs/keyKind'}),
    replacement: nullable({$ref: '#/$defs/keyRef'}),
    reason: {type: 'string', description: 'Why, in one line.'},
    sentAt: {
      type: 'string',
      format: 'date-time',
      description: 'When this request was made; a resumed run sends a later one under the same Idempotency-Key.',
    },
  },
  allOf: [
    {
      if: {required: ['stage'], properties: {stage: {const: 'add'}}},
      then: {properties: {operation: {const: 'rotate'}, generate: {$ref: '#/$defs/keyKind'}, replacement: {type: 'null'}}},
      else: {properties: {generate: {type: 'null'}}},
    },
    {
      if: {required: ['operation', 'stage'], properties: {operation: {const: 'rotate'}, stage: {not: {const: 'add'}}}},
      then: {properties: {replacement: {$ref: '#/$defs/keyRef'}}},
    },
    {
      if: {required: ['operation'], properties: {operation: {const: 'revoke'}}},
      then: {properties: {stage: {const: 'remove'}, replacement: {type: 'null'}}},
    },
  ],
  $defs: {
    keyKind: {
      type: 'object',
      additionalProperties: false,
      required: ['kty', 'alg', 'crv', 'use', 'minBits'],
      description: 'The key to generate: the same kind as the leaked key.',
      properties: {
        kty: {enum: ['RSA', 'EC', 'OKP']},
        alg: {type: 'string', minLength: 1, description: 'The JWS/JWE alg it is for; the answer names the same.'},
        crv: {type: ['string', 'null'], description: 'EC and OKP: the curve; null for RSA.'},
        use: {enum: ['sig', 'enc', null], description: 'The leaked key’s use, when it had one.'},
        minBits: {type: ['integer', 'null'], minimum: 2048, description: 'RSA: the smallest modulus, in bits; else null.'},
      },
    },
    keyRef: {
      type: 'object',
      additionalProperties: false,
      required: ['kid', 'thumbprint'],
      description: 'The replacement the receiver reported in its answer to "add".',
      properties: {kid: {type: 'string', minLength: 1}, thumbprint: THUMBPRINT},
    },
  },
})

const stringMember = {type: 'string', minLength: 1}

export const webhookResponseSchema: JsonSchema = Object.freeze({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:jwk-responder:schema:webhook-response:v2',
  title: 'jwkr key-change answer',
  description:
    'The JSON body of a 2xx answer to a change request. The answer to stage "add" of a rotation must hold the ' +
    'public JWK of the key the receiver generated (#/$defs/addAnswer); other stages may answer with no body at all. ' +
    'See docs/webhook-protocol.md.',
  anyOf: [{$ref: '#/$defs/addAnswer'}, {$ref: '#/$defs/answer'}, {type: 'null'}],
  $defs: {
    answer: {
      type: 'object',
      description: 'Any stage: the receiver’s reference for the change (shown to the responder and journaled).',
      properties: {id: {...stringMember, maxLength: 200}},
    },
    addAnswer: {
      type: 'object',
      required: ['publicJwk'],
      description: 'Stage "add": the replacement, generated by the receiver and published in the issuer’s JWKS.',
      properties: {id: {...stringMember, maxLength: 200}, publicJwk: {$ref: '#/$defs/publicJwk'}},
    },
    publicJwk: {
      type: 'object',
      required: ['kty', 'kid', 'alg'],
      description:
        'A public JWK (RFC 7517) of the kind asked for in "generate": same kty, crv and alg, a kid of its own, ' +
        'and no private member at all.',
      propertyNames: {not: {enum: [...PRIVATE_JWK_MEMBERS]}},
      properties: {
        kty: {enum: ['RSA', 'EC', 'OKP']},
        kid: {...stringMember, description: 'Not the leaked key’s kid: verifiers cache keys by kid.'},
        alg: stringMember,
        use: {enum: ['sig', 'enc']},
        crv: stringMember,
        n: stringMember,
        e: stringMember,
        x: stringMember,
        y: stringMember,
      },
      allOf: [
        {if: {properties: {kty: {const: 'RSA'}}}, then: {required: ['n', 'e']}},
        {if: {properties: {kty: {const: 'EC'}}}, then: {required: ['crv', 'x', 'y']}},
        {if: {properties: {kty: {const: 'OKP'}}}, then: {required: ['crv', 'x']}},
      ],
    },
  },
})

export interface WebhookAnswerValidator {
  /** Stage "add" of a rotation. */
  addAnswer: ValidateFunction
  /** Any other stage, once the body is not empty. */
  answer: ValidateFunction
}

/** Compiles the answer checks (tens of milliseconds: a key store makes one). */
export function createWebhookAnswerValidator(): WebhookAnswerValidator {
  const ajv = new Ajv2020({strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true})
  ajv.addSchema(webhookResponseSchema)
  const id = webhookResponseSchema.$id as string
  const get = (name: string): ValidateFunction => {
    const validate = ajv.getSchema(`${id}#/$defs/${name}`)
    if (!validate) throw new Error(`webhook response schema has no $defs/${name}`)
    return validate
  }
  return {addAnswer: get('addAnswer'), answer: get('answer')}
}

/** Where and how an answer misses the schema, e.g. `/publicJwk must have required property 'kid'`; never a value. */
export function answerProblems(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((error) => `${error.instancePath || '(the body)'} ${error.message ?? 'is not valid'}`).join('; ')
}
