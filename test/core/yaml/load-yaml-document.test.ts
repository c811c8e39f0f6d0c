import {describe, expect, it} from 'vitest'

import {formatPath, formatProblems, loadYamlDocument, suggestion} from '../../../src/core/yaml/load-yaml-document.js'

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'services'],
  properties: {
    version: {const: 1},
    services: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id'],
        properties: {
          id: {type: 'string', pattern: '^[a-z-]+$', title: 'lower-case id'},
          retry: {type: 'integer', minimum: 1},
          mode: {enum: ['abort', 'continue', 'ask']},
        },
      },
    },
  },
}

describe('loadYamlDocument', () => {
  it('returns the value and no problems for a valid document', () => {
    // Given a document that fits the schema
    const text = 'version: 1\nservices:\n  - id: billing\n    retry: 2\n'
    // When it is loaded
    const doc = loadYamlDocument<{services: {id: string}[]}>(text, 'inv.yaml', schema)
    // Then it has no problems and the value is the data
    expect(doc.problems).toEqual([])
    expect(doc.syntaxError).toBe(false)
    expect(doc.value.services[0]?.id).toBe('billing')
  })

  it('reports YAML syntax errors at their line and column, and nothing else', () => {
    // Given an unclosed flow sequence and a duplicate key
    const text = 'version: 1\nservices: [\n  {id: a}\nextra: {x: 1, x: 2}\n'
    // When it is loaded
    const doc = loadYamlDocument(text, 'bad.yaml', schema)
    // Then the syntax errors are reported with positions, without yaml's code frame
    expect(doc.syntaxError).toBe(true)
    expect(doc.problems.length).toBeGreaterThan(0)
    for (const problem of doc.problems) {
      expect(problem.file).toBe('bad.yaml')
      expect(problem.message).not.toContain('\n')
      expect(problem.message).not.toMatch(/at line \d+/)
    }
    expect(formatProblems(doc.problems).split('\n')).toEqual([
      'bad.yaml:4:1: Flow sequence in block collection must be sufficiently indented and end with a ]',
      'bad.yaml:4:15: Map keys must be unique',
    ])
  })

  it('reports tabs used as indentation where they are', () => {
    const doc = loadYamlDocument('version: 1\nservices:\n\t- id: a\n', 'tab.yaml', schema)
    expect(formatProblems(doc.problems)).toBe('tab.yaml:3:1: Tabs are not allowed as indentation')
  })

  it('points a duplicate key at the second occurrence', () => {
    // Given a mapping that repeats a key
    const text = 'version: 1\nservices:\n  - {id: a, id: b}\n'
    // When it is loaded
    const doc = loadYamlDocument(text, 'dup.yaml', schema)
    // Then the problem is at the repeated key
    expect(doc.problems).toEqual([{file: 'dup.yaml', line: 3, column: 13, path: '', message: 'Map keys must be unique'}])
  })

  it('points an unknown property at its key and suggests the closest known one', () => {
    // Given a typo in a property name
    const text = 'version: 1\nservices:\n  - id: billing\n    retyr: 3\n'
    // When it is loaded
    const doc = loadYamlDocument(text, 'inv.yaml', schema)
    // Then the problem names the key, suggests the fix and points at the key itself
    expect(doc.problems).toEqual([
      {
        file: 'inv.yaml',
        line: 4,
        column: 5,
        path: 'services[0].retyr',
        message: "unknown property 'retyr' (did you mean 'retry'?)",
      },
    ])
  })

  it('lists the allowed properties when nothing is close', () => {
    const doc = loadYamlDocument('version: 1\nservices:\n  - id: a\n    zzzzzz: 1\n', 'inv.yaml', schema)
    expect(doc.problems[0]?.message).toBe("unknown property 'zzzzzz' (expected one of id, retry, mode)")
    // And a name cut short is recognised as the one it begins (issue 15: jwks for jwksUri)
    expect(suggestion('jwks', ['id', 'issuer', 'discovery', 'jwksUri', 'keySource'])).toBe('jwksUri')
    expect(suggestion('jw', ['jwksUri'])).toBeUndefined()
  })

  it('points a missing required property at the mapping that lacks it', () => {
    // Given a service without an id
    const text = 'version: 1\nservices:\n  - retry: 2\n'
    // When it is loaded
    const doc = loadYamlDocument(text, 'inv.yaml', schema)
    // Then the problem is at the start of that mapping
    expect(doc.problems).toEqual([
      {file: 'inv.yaml', line: 3, column: 5, path: 'services[0]', message: "missing required property 'id'"},
    ])
  })

  it('says which values an enum allows, what it got, and where', () => {
    const doc = loadYamlDocument('version: 1\nservices:\n  - id: a\n    mode: retry\n', 'inv.yaml', schema)
    expect(doc.problems).toEqual([
      {
        file: 'inv.yaml',
        line: 4,
        column: 11,
        path: 'services[0].mode',
        message: `'mode' must be one of abort, continue, ask (got "retry")`,
      },
    ])
  })

  it('explains type, minimum, const and pattern errors in plain words', () => {
    // Given four wrong values
    const text = 'version: 2\nservices:\n  - id: Billing\n    retry: 0\n  - id: b\n    retry: two\n'
    // When it is loaded
    const doc = loadYamlDocument(text, 'inv.yaml', schema)
    // Then each is reported at its value, in document order
    expect(formatProblems(doc.problems).split('\n')).toEqual([
      "inv.yaml:1:10: 'version' must be 1 (got 2)",
      `inv.yaml:3:9: 'id' must be a lower-case id (got "Billing")`,
      "inv.yaml:4:12: 'retry' must be 1 or more (got 0)",
      `inv.yaml:6:12: 'retry' must be a whole number (got "two")`,
    ])
  })

  it('reports an empty document as not being a mapping, at 1:1', () => {
    const doc = loadYamlDocument('', 'empty.yaml', schema)
    expect(doc.problems).toEqual([{file: 'empty.yaml', line: 1, column: 1, path: '', message: 'must be a mapping (got null)'}])
  })

  it('refuses an alias bomb instead of expanding it', () => {
    // Given a billion-laughs document
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (let i = 1; i < 8; i++)
      lines.push(
        `${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10)
          .fill(`*${'abcdefgh'[i - 1]}`)
          .join(', ')}]`,
      )
    // When it is loaded
    const doc = loadYamlDocument(lines.join('\n'), 'bomb.yaml', schema)
    // Then it is a problem, not a hang or a crash
    expect(doc.syntaxError).toBe(true)
    expect(doc.problems[0]?.message).toMatch(/alias/i)
  })

  it('locates a character inside a quoted scalar, and falls back to the nearest ancestor', () => {
    // Given a quoted string value
    const doc = loadYamlDocument('version: 1\nservices:\n  - id: "abc-def"\n', 'inv.yaml', schema)
    // Then offset 4 is the 'd' (after the quote), and a missing path lands on its parent
    expect(doc.locate(['services', 0, 'id'], {offset: 4})).toEqual({line: 3, column: 14})
    expect(doc.locate(['services', 0, 'missing', 'deeper'])).toEqual({line: 3, column: 5})
    expect(doc.locate(['services', 0, 'id'], {key: true})).toEqual({line: 3, column: 5})
  })

  it('validates a part of the document against another schema, at that part’s positions', () => {
    // Given a document and a schema for one service's fields
    const doc = loadYamlDocument('version: 1\nservices:\n  - id: a\n    retry: 3\n', 'inv.yaml', schema)
    // When that part is checked with a stricter schema
    const problems = doc.validate(
      {id: 'a', retry: 3},
      {type: 'object', properties: {retry: {type: 'integer', maximum: 2}}},
      ['services', 0],
      {
        prefix: 'svc: ',
      },
    )
    // Then the problem is at the value in the file
    expect(problems).toEqual([
      {file: 'inv.yaml', line: 4, column: 12, path: 'services[0].retry', message: "svc: 'retry' must be 2 or less (got 3)"},
    ])
  })
})

describe('loadYamlDocument, given a text it cannot parse', () => {
  it.each([
    [
      'a URL with a password after an indented first line',
      ' x: 1\nversion: 1\nissuer: https://u:Cr3dSecret42@auth.example.com\n',
    ],
    ['a block scalar header with extra characters', 'key: |Cr3dSecret42\n  text\n'],
    ['an inline JWK after an indented first line', ' x: 1\nkey: \'{"kty":"oct","k":"Cr3dSecret42"}\'\n'],
  ])('never quotes the source it refused (%s): it may hold a credential or a private key', (_, text) => {
    // Given a text whose syntax error is at a value that holds a secret
    const doc = loadYamlDocument(text, 'inv.yaml', schema)
    // Then it is a syntax problem at its line, and no message repeats the value
    expect(doc.syntaxError).toBe(true)
    expect(doc.problems.length).toBeGreaterThan(0)
    for (const problem of doc.problems) expect(problem.message).not.toContain('Cr3dSecret42')
  })
})

describe('formatPath and suggestion', () => {
  it('formats paths the way a reader writes them', () => {
    expect(formatPath(['steps', 2, 'with', 'key'])).toBe('steps[2].with.key')
    expect(formatPath(['inputs', 'a b'])).toBe('inputs."a b"')
    expect(formatPath([])).toBe('')
  })

  it('suggests only near matches', () => {
    expect(suggestion('retyr', ['retry', 'timeout'])).toBe('retry')
    expect(suggestion('zzz', ['retry', 'timeout'])).toBeUndefined()
    expect(suggestion('x', [])).toBeUndefined()
  })
})
