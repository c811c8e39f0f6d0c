// The JSON Schema of the inventory file (ARCHITECTURE.md, Inventory). `jwkr inventory schema` prints it so
// editors can check the file as it is written; the loader checks every inventory against it. Each
// keySource type has its own `if`/`then`, so an error names the field that type needs.
import {DURATION_PATTERN} from '../duration.js'
import type {JsonSchema} from '../json-schema.js'
import {ISSUER_KEY_STORE_TYPES, VERIFIER_PROFILE_IDS, type IssuerKeyStoreType} from './types.js'

/** Issuer and service ids: named in `trusts`, in step outputs and in messages. */
export const INVENTORY_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$'
/** A GitHub repository, `owner/name`. */
export const REPO_PATTERN = '^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$'
/** Only http(s) URLs are fetched; the loader checks the rest (credentials, validity) itself. */
export const HTTP_URL_PATTERN = '^https?://'
/** Host names as the Auth0 and Okta sources take them: `example.okta.com` or an http(s) URL. */
export const HOST_OR_URL_PATTERN = '^(https?://)?[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]+)?(/.*)?$'

const text = (description: string) => ({type: 'string', minLength: 1, description})

const id = (description: string) => ({
  type: 'string',
  pattern: INVENTORY_ID_PATTERN,
  title: 'name made of letters, digits, ".", "_" and "-"',
  description,
})

const httpUrl = (description: string) => ({
  type: 'string',
  format: 'uri',
  pattern: HTTP_URL_PATTERN,
  title: 'URL starting with http:// or https://',
  description,
})

const hostOrUrl = (description: string) => ({
  type: 'string',
  pattern: HOST_OR_URL_PATTERN,
  title: 'host name (example.com) or http(s) URL',
  description,
})

const repo = (description: string) => ({
  type: 'string',
  pattern: REPO_PATTERN,
  title: 'GitHub repository written owner/name',
  description,
})

/** The fields each keySource type takes (besides `type`), and which of them it needs. */
const KEY_SOURCE_FIELDS: Record<IssuerKeyStoreType, {required: string[]; properties: Record<string, unknown>}> = {
  'jwks-file': {
    required: ['path'],
    properties: {
      path: text("The JWKS file the issuer serves; relative paths are relative to the inventory's folder."),
      private: {
        type: 'boolean',
        description:
          "The file is the signer's own private key set (oidc-provider and many in-house issuers): rotation puts the new " +
          'private key first and removes the leaked one, the file stays 0600, and its other private keys are not called exposed.',
      },
    },
  },
  'github-file': {
    required: ['repo', 'path'],
    properties: {
      repo: repo('The repository that holds the JWKS file.'),
      path: text('Path of the JWKS file in the repository.'),
      branch: text('Branch to change (default: the default branch).'),
    },
  },
  auth0: {required: ['domain'], properties: {domain: hostOrUrl('The Auth0 tenant domain; the token comes from AUTH0_TOKEN.')}},
  keycloak: {
    required: ['baseUrl', 'realm'],
    properties: {
      baseUrl: httpUrl('Root URL of the Keycloak server; credentials come from KEYCLOAK_TOKEN or KEYCLOAK_CLIENT_ID/SECRET.'),
      realm: text('The realm whose keys sign the tokens.'),
    },
  },
  okta: {
    required: ['domain', 'authServerId'],
    properties: {
      domain: hostOrUrl('The Okta org domain; the token comes from OKTA_TOKEN.'),
      authServerId: text('The custom authorization server id (e.g. default).'),
      clients: {
        type: 'array',
        uniqueItems: true,
        items: text('An OAuth client_id.'),
        description:
          'OAuth clients (client_id) of this authorization server whose refresh tokens jwkr revokes when sessions are revoked ' +
          '(jwkr tokens invalidate): DELETE /api/v1/authorizationServers/{authServerId}/clients/{clientId}/tokens.',
      },
    },
  },
  vault: {
    required: ['address', 'key'],
    properties: {
      address: hostOrUrl('The Vault address; the token comes from VAULT_TOKEN.'),
      key: text('The named key of the Vault identity OIDC provider.'),
    },
  },
  webhook: {
    required: ['url'],
    properties: {url: httpUrl('Receives rotation requests, signed with JWKR_WEBHOOK_SECRET.')},
  },
  manual: {required: [], properties: {}},
}

const keySource = {
  type: 'object',
  description: 'Where the issuer’s signing keys are managed: the adapter jwkr rotates them through.',
  required: ['type'],
  properties: {type: {type: 'string', enum: [...ISSUER_KEY_STORE_TYPES], description: 'The kind of key store.'}},
  allOf: ISSUER_KEY_STORE_TYPES.map((type) => ({
    if: {properties: {type: {const: type}}, required: ['type']},
    then: {
      required: KEY_SOURCE_FIELDS[type].required,
      additionalProperties: false,
      properties: {type: true, ...KEY_SOURCE_FIELDS[type].properties},
    },
  })),
}

const issuer = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'issuer', 'keySource'],
  properties: {
    id: id('The id services name in `trusts`.'),
    issuer: httpUrl('The `iss` claim, exactly as tokens carry it.'),
    discovery: httpUrl(
      'The discovery document (OpenID Connect or RFC 8414). Without it and jwksUri, the well-known paths are tried.',
    ),
    jwksUri: httpUrl('The JWKS URL, when the issuer has no discovery document (or as a fallback when it fails).'),
    keySource,
  },
}

/** The shape of a canary the service would accept (ProbeTokenShape). */
const probeToken = {
  type: 'object',
  additionalProperties: false,
  description:
    'What a canary must look like for this service to accept it if it still trusted the key: shaped like its real tokens, ' +
    'so that a refusal proves the key is distrusted, not that the token was wrong.',
  properties: {
    aud: {
      type: ['string', 'array'],
      minLength: 1,
      items: {type: 'string', minLength: 1},
      minItems: 1,
      title: 'string or list of strings',
      description: 'The audience its tokens carry: one string (URLs included) or several. Default: the service id.',
    },
    typ: text('The JOSE header typ, e.g. at+jwt (RFC 9068). Default JWT.'),
    scope: text('Space-separated scopes, sent as the scope claim.'),
    scp: {type: 'array', items: text('A scope.'), description: 'Scopes sent as the scp array claim (Okta, Microsoft).'},
    alg: text('The JWS alg to sign with (e.g. RS256, ES256); it must fit the leaked key.'),
    claims: {
      type: 'object',
      description:
        'Further claims its tokens carry (e.g. tenant, azp). Never iss, sub, aud, jti, iat, exp or nbf: jwkr sets those ' +
        'itself (they label the canary and bound its life).',
    },
  },
}

const service = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'team', 'contacts', 'trusts'],
  properties: {
    id: id('The service id.'),
    team: text('The team that owns it.'),
    contacts: {
      type: 'object',
      additionalProperties: false,

      description: 'Who to reach during an incident.',
      properties: {
        slack: text('A Slack channel (#payments-oncall) or handle.'),
        email: {type: 'string', format: 'email', title: 'valid email address', description: 'An on-call address.'},
      },
    },
    trusts: {type: 'array', items: id('An issuer id.'), uniqueItems: true, description: 'Issuer ids whose tokens it accepts.'},
    jwksUri: httpUrl('A JWKS the service serves itself (for client authentication or its own tokens).'),
    probe: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      description:
        'A request the service answers with 401 when the token is bad (to prove containment; a 403 means the signature was accepted).',
      properties: {
        url: httpUrl('The URL to call with a canary token.'),
        method: {enum: ['GET', 'POST', 'HEAD'], default: 'GET', description: 'Default GET.'},
        headers: {
          type: 'object',
          additionalProperties: {type: 'string'},
          description: 'Extra headers (never credentials: the probe sends the canary token itself).',
        },
        token: probeToken,
      },
    },
    jwksCacheSeconds: {
      // A number of seconds, or a duration as every flag takes it (10m, 1h30m): minimum applies to the
      // one, pattern to the other.
      type: ['integer', 'string'],
      minimum: 0,
      pattern: DURATION_PATTERN,
      title: 'a number of seconds or a duration such as 10m',
      description: 'How long the service may keep a removed key: the containment clock. Seconds (600) or a duration (10m).',
    },
    verifier: {
      enum: [...VERIFIER_PROFILE_IDS],
      description:
        'The JWKS library or proxy that verifies its tokens. Without jwksCacheSeconds, the containment clock uses the ' +
        'cache lifetime that verifier documents; it also says how to bust that cache.',
    },
    cacheBust: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      description: 'A hook that makes the service drop its cached key set at once (containment calls it after rotation).',
      properties: {
        url: text('The hook URL.'),
        method: {enum: ['POST', 'PUT', 'GET'], description: 'Default POST.'},
      },
    },
    repo: repo('The repository of its code.'),
    logs: {
      // One path, or a list of them.
      type: ['string', 'array'],
      minLength: 1,
      items: text("A log file or folder to triage tokens in; relative paths are relative to the inventory's folder."),
      description: "Where its access logs are, for token triage: a path or a list of paths (relative to the inventory's folder).",
    },
  },
}

export const inventorySchema: JsonSchema = Object.freeze({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:jwk-responder:schema:inventory:v1',
  title: 'jwkr inventory',
  description:
    'The organisation’s map for jwkr: issuers whose keys may leak, services that trust them, and where to notify. ' +
    'Credentials never live here: they come from the environment.',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'issuers'],
  properties: {
    version: {const: 1, description: 'The inventory format version.'},
    issuers: {type: 'array', items: issuer},
    services: {type: 'array', items: service},
    notify: {
      type: 'object',
      additionalProperties: false,
      properties: {
        slack: {
          type: 'object',
          additionalProperties: false,
          required: ['channel'],
          properties: {channel: text('The incident channel; the token comes from SLACK_TOKEN.')},
        },
        github: {
          type: 'object',
          additionalProperties: false,
          required: ['repo'],
          properties: {repo: repo('Where the tracking issue is opened; the token comes from GITHUB_TOKEN.')},
        },
      },
    },
    templates: text("A folder of Handlebars templates that override the built-in ones, relative to the inventory's folder."),
  },
})
