import {describe, expect, it} from 'vitest'

import {ExitCode, JwkrError} from '../../../src/core/errors.js'
import {assertWindow, parseTimeBound} from '../../../src/core/tokens/time-bound.js'

const NOW = new Date('2024-05-10T12:00:00Z')

describe('parseTimeBound', () => {
  it.each([
    ['2024-05-01', '2024-05-01T00:00:00.000Z'],
    ['2024-05-01T12:30:00Z', '2024-05-01T12:30:00.000Z'],
    ['2024-05-01T12:30:00+02:00', '2024-05-01T10:30:00.000Z'],
    ['1714521600', '2024-05-01T00:00:00.000Z'],
    ['24h', '2024-05-09T12:00:00.000Z'],
    ['90m', '2024-05-10T10:30:00.000Z'],
    ['7d', '2024-05-03T12:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    expect(parseTimeBound(text, NOW).toISOString()).toBe(iso)
  })

  it.each(['yesterday', '2024-13-45', '', '5w', '12'])('refuses %j as a usage error naming the flag', (text) => {
    const error = (() => {
      try {
        parseTimeBound(text, NOW, '--until')
      } catch (caught) {
        return caught
      }
    })() as JwkrError
    expect(error).toBeInstanceOf(JwkrError)
    expect(error).toMatchObject({code: 'ERR_USAGE', exitCode: ExitCode.usage})
    expect(error.message).toContain('--until')
    expect(error.hint).toMatch(/ISO 8601/)
  })
})

describe('assertWindow', () => {
  it('refuses a window that ends before it starts', () => {
    expect(() => assertWindow(new Date('2024-05-02'), new Date('2024-05-01'))).toThrow(/--since .* is after --until/)
    expect(() => assertWindow(new Date('2024-05-01'), new Date('2024-05-01'))).not.toThrow()
    expect(() => assertWindow(null, new Date('2024-05-01'))).not.toThrow()
  })
})
