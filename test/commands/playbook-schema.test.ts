import {Ajv2020} from 'ajv/dist/2020.js'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'

import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

describe('jwkr playbook schema', () => {
  it('prints a JSON Schema that an editor can use to validate playbooks', async () => {
    // When the schema is printed
    const {stdout, error} = await run(['playbook', 'schema'])
    expect(exitCodeOf(error)).toBe(0)
    const schema = JSON.parse(stdout)
    // Then a standard validator accepts the shipped playbook and rejects a typo
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    const validate = new Ajv2020({strict: false}).compile(schema)
    const playbook = parse(readFileSync(join(projectRoot, 'playbooks/inspect-only.yaml'), 'utf8'))
    expect(validate(playbook)).toBe(true)
    expect(validate({...playbook, steps: [{...playbook.steps[0], retyr: {attempts: 2}}]})).toBe(false)
  })

  it('returns the same schema with --json', async () => {
    const text = await run(['playbook', 'schema'])
    const json = await run(['playbook', 'schema', '--json'])
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(text.stdout))
  })
})
