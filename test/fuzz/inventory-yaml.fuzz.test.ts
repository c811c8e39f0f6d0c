// Fuzz budget, inventory YAML: inventories with hostile ids, credentials in URLs and probe headers
// (which must never be repeated), nesting, anchors and aliases, and the shipped example cut and
// edited. The checker answers with problems at a line, within the deadline, without touching
// Object.prototype, and no problem it reports repeats a credential once redacted by the registry
// it was given (what every command prints through).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {stringify} from 'yaml'

import {checkInventory} from '../../src/core/inventory/load-inventory.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {projectRoot} from '../helpers/run.js'
import {budget, counted, SURFACE_TIMEOUT_MS, expectNoNeedle, hostileText, oneCase, prototypeNames} from './fuzz-kit.js'
import {mutatedYaml, nestedValue} from './generators.js'
import {REGRESSIONS} from './regressions.js'

/** A credential: the needle. */
const credential = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/).map((tail) => `Cr3d${tail}`)

const id = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
  fc.constantFrom('__proto__', 'constructor', 'prototype'),
  hostileText,
)

/** A URL, sometimes carrying the credential as user:password@ or in a query parameter. */
function url(secret: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom('https://auth.example.com', 'http://127.0.0.1:9/jwks', 'ftp://x', 'not a url', ''),
    fc.constant(`https://svc:${secret}@auth.example.com/jwks`),
    fc.constant(`https://auth.example.com/jwks?access_token=${secret}`),
    hostileText,
  )
}

const inventory = credential.chain((secret) =>
  fc
    .record(
      {
        version: fc.constantFrom(1, 2, '1'),
        issuers: fc.array(
          fc.record({
            id,
            issuer: url(secret),
            jwksUri: url(secret),
            keySource: fc.oneof(
              fc.record({type: fc.constant('jwks-file'), path: fc.constantFrom('/dev/urandom', './keys.json', '')}),
              fc.record({
                type: fc.constantFrom('keycloak', 'webhook'),
                baseUrl: url(secret),
                url: url(secret),
                realm: hostileText,
              }),
              fc.record({
                type: fc.constantFrom('auth0', 'okta', 'vault', 'manual', 'bogus'),
                domain: url(secret),
                address: url(secret),
              }),
            ),
          }),
          {maxLength: 3},
        ),
        services: fc.array(
          fc.record(
            {
              id,
              team: hostileText,
              contacts: fc.record({slack: hostileText, email: hostileText}),
              trusts: fc.array(id, {maxLength: 3}),
              jwksUri: url(secret),
              probe: fc.record(
                {url: url(secret), headers: fc.constant({Authorization: `Bearer ${secret}`})},
                {requiredKeys: ['url']},
              ),
              jwksCacheSeconds: fc.oneof(fc.integer({min: -5, max: 100_000}), hostileText),
              extra: nestedValue(100),
            },
            {requiredKeys: ['id', 'team', 'contacts', 'trusts']},
          ),
          {maxLength: 3},
        ),
      },
      {requiredKeys: ['version', 'issuers', 'services']},
    )
    .map((document) => ({text: stringify(document), secret})),
)

const example = readFileSync(join(projectRoot, 'examples/jwkr.inventory.yaml'), 'utf8')

const inventoryCase = fc.oneof(
  inventory,
  credential.chain((secret) =>
    mutatedYaml(fc.constant(example.replace('https://auth.example.com', `https://u:${secret}@auth.example.com`))).map((text) => ({
      text,
      secret,
    })),
  ),
)

describe('fuzz: inventory YAML', () => {
  it(
    'is checked to problems at a line that repeat no credential, and Object.prototype is never touched',
    {timeout: SURFACE_TIMEOUT_MS},
    async () => {
      const before = prototypeNames()
      await fc.assert(
        fc.asyncProperty(
          inventoryCase,
          counted('inventory YAML', async ({text, secret}) => {
            const secrets = new SecretRegistry()
            const {value: check} = await oneCase('inventory YAML', () => checkInventory(text, 'fuzz.inventory.yaml', {secrets}))
            expect(prototypeNames()).toEqual(before)
            for (const problem of [...(check?.problems ?? []), ...(check?.warnings ?? [])]) {
              expect(problem.line).toBeGreaterThanOrEqual(1)
              expect(problem.message).not.toMatch(/Maximum call stack|\[object Object\]/)
              expectNoNeedle(secrets.redact(problem.message), [secret])
            }
          }),
        ),
        budget('inventory YAML', REGRESSIONS.inventoryYaml),
      )
    },
  )
})
