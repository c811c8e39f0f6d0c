import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {isJwkrError} from '../../src/core/errors.js'
import {canonicalJson} from '../../src/incident/canonical-json.js'

describe('canonicalJson (RFC 8785, JCS)', () => {
  it('§3.2.3: sorts members by UTF-16 code units, recursively, the RFC example included', () => {
    // Given the RFC's property-sorting example (parsed from its JSON text)
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One",' +
        '"\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    )
    // When it is canonicalised
    const text = canonicalJson(input)
    // Then the members come in the RFC's order (the emoji, a surrogate pair, sorts before U+FB33)
    const order: [string, string][] = [
      ['\r', 'Carriage Return'],
      ['1', 'One'],
      ['\u0080', 'Control'],
      ['\u00f6', 'Latin Small Letter O With Diaeresis'],
      ['\u20ac', 'Euro Sign'],
      ['\ud83d\ude00', 'Emoji: Grinning Face'],
      ['\ufb33', 'Hebrew Letter Dalet With Dagesh'],
    ]
    expect(text).toBe(`{${order.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}}`)
    expect(canonicalJson({z: {b: 1, a: 2}, a: [{d: 1, c: 2}]})).toBe('{"a":[{"c":2,"d":1}],"z":{"a":2,"b":1}}')
  })

  it('§3.2.2: writes numbers, strings and literals as the JCS reference example does', () => {
    // Given the sample input of the JCS reference implementation (cyberphone/json-canonicalization)
    const input = JSON.parse(
      '{"numbers":[1E30,4.50,6,2e-3,0.000000000000000000000000001],' +
        '"escaping":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","other":[null,true,false]}',
    )
    // When it is canonicalised, then the bytes are the reference's expected output
    expect(canonicalJson(input)).toBe(
      '{"escaping":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/","numbers":[1e+30,4.5,6,0.002,1e-27],"other":[null,true,false]}',
    )
    expect(canonicalJson(-0)).toBe('0')
  })

  it('gives the same text whatever the order members were added in, and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // Given any JSON value, and a copy whose members were inserted in reverse order
        const reversed = JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
          v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
        ) as unknown
        // When both are canonicalised
        const text = canonicalJson(value)
        // Then the texts are equal and parse back to the value
        expect(canonicalJson(reversed)).toBe(text)
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)))
      }),
    )
  })

  it('drops undefined members like JSON does, writes null for undefined array items, and honours toJSON', () => {
    // Given data with undefined, a Date and a function
    const value = {a: undefined, b: [undefined, 1], when: new Date('2026-11-29T03:00:00.000Z'), f: () => 1}
    // When it is canonicalised, then it reads as JSON.stringify would have written it, sorted
    expect(canonicalJson(value)).toBe('{"b":[null,1],"when":"2026-11-29T03:00:00.000Z"}')
  })

  it.each([
    ['NaN', {data: {ratio: Number.NaN}}, 'value.data.ratio'],
    ['Infinity', {list: [1, Number.POSITIVE_INFINITY]}, 'value.list[1]'],
    ['a bigint', {big: 10n}, 'value.big'],
  ])('refuses %s with an error naming where it is', (_name, value, where) => {
    // Given data that has no JSON form, when it is canonicalised, then a JwkrError names the member
    let caught: unknown
    try {
      canonicalJson(value)
    } catch (error) {
      caught = error
    }
    expect(isJwkrError(caught)).toBe(true)
    expect((caught as Error).message).toContain(where)
  })

  it('refuses a cycle and a top-level undefined instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {a: 1}
    cyclic.self = {back: cyclic}
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/)
    expect(() => canonicalJson(undefined)).toThrow(/undefined/)
  })
})
