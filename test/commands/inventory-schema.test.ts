import {Ajv2020} from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'

import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

function editorValidator(schema: object) {
  const ajv = new Ajv2020({strict: false, allErrors: true})
  addFormats.default(ajv)
  return ajv.compile(schema)
}

describe('jwkr inventory schema', () => {
  it('prints a JSON Schema that an editor can use to check an inventory', async () => {
    // When the schema is printed
    const {stdout, stderr, error} = await run(['inventory', 'schema'])
    expect(exitCodeOf(error)).toBe(0)
    expect(stderr).toBe('')
    const schema = JSON.parse(stdout)
    // Then a standard draft 2020-12 validator accepts the shipped example
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    const validate = editorValidator(schema)
    const example = parse(readFileSync(join(projectRoot, 'examples/jwkr.inventory.yaml'), 'utf8'))
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true)
    // And it names the field an okta keySource lacks, and refuses a type it does not know
    const okta = {
      version: 1,
      issuers: [{id: 'o', issuer: 'https://o.example.com', keySource: {type: 'okta', domain: 'o.okta.com'}}],
    }
    expect(validate(okta)).toBe(false)
    expect(validate.errors).toContainEqual(
      expect.objectContaining({keyword: 'required', params: {missingProperty: 'authServerId'}}),
    )
    const unknown = {version: 1, issuers: [{id: 'o', issuer: 'https://o.example.com', keySource: {type: 'azure'}}]}
    expect(validate(unknown)).toBe(false)
    expect(validate.errors).toContainEqual(expect.objectContaining({keyword: 'enum', instancePath: '/issuers/0/keySource/type'}))
    // And a property of another keySource type is refused
    const mixed = {version: 1, issuers: [{id: 'o', issuer: 'https://o.example.com', keySource: {type: 'manual', path: 'x'}}]}
    expect(validate(mixed)).toBe(false)
  })

  it('returns the same schema with --json', async () => {
    const text = await run(['inventory', 'schema'])
    const json = await run(['inventory', 'schema', '--json'])
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(text.stdout))
  })
})
