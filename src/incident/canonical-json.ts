// Canonical JSON for the journal's hash chain: the same value always gives the same bytes, so a hash
// computed when an event is written can be recomputed from the line read back. It follows the JSON
// Canonicalization Scheme (RFC 8785) for plain data, so any JCS library can check our hashes.
import {JwkrError} from '../core/errors.js'

/**
 * Serialises plain JSON data canonically (RFC 8785, JCS): no whitespace, object members sorted by
 * their names as UTF-16 code units (RFC 8785 §3.2.3, which is JavaScript's default string order),
 * numbers and strings as ECMAScript's `JSON.stringify` writes them (§3.2.2). As with JSON, `toJSON`
 * is honoured, and `undefined`, functions and symbols are left out of objects and become `null` in
 * arrays. Non-finite numbers, bigints and cycles are refused (§3.2.2.3).
 *
 * @example
 * canonicalJson({b: [1, 'x'], a: {d: true, c: null}}) // '{"a":{"c":null,"d":true},"b":[1,"x"]}'
 */
export function canonicalJson(value: unknown): string {
  const text = serialise(value, [])
  if (text === undefined) throw invalid('the value is undefined, a function or a symbol', [])
  return text
}

function serialise(value: unknown, path: (string | number)[], ancestors: object[] = []): string | undefined {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'string':
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw invalid(`${String(value)} is not a JSON number`, path)
      return JSON.stringify(value)
    case 'bigint':
      throw invalid('a bigint is not a JSON number (convert it to a string)', path)
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined
  }
  const object = value as object
  if (typeof (object as {toJSON?: unknown}).toJSON === 'function') {
    return serialise((object as {toJSON: () => unknown}).toJSON(), path, ancestors)
  }
  if (ancestors.includes(object)) throw invalid('the value contains itself (a cycle)', path)
  const inner = [...ancestors, object]
  if (Array.isArray(object)) {
    const items = object.map((item: unknown, index) => serialise(item, [...path, index], inner) ?? 'null')
    return `[${items.join(',')}]`
  }
  const record = object as Record<string, unknown>
  const members: string[] = []
  for (const name of Object.keys(record).sort()) {
    const text = serialise(record[name], [...path, name], inner)
    if (text !== undefined) members.push(`${JSON.stringify(name)}:${text}`)
  }
  return `{${members.join(',')}}`
}

function invalid(problem: string, path: (string | number)[]): JwkrError {
  const where = path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : `${text}.${part}`), 'value')
  return new JwkrError('ERR_INTERNAL', `Cannot write ${where} to the journal: ${problem}.`, {
    hint: 'This is a bug in the step or engine that produced the data; please report it.',
    details: {path: path.map(String)},
  })
}
