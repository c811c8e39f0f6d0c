// How jwkr says a length of time: short spans as 1m30s, long ones (an incident's age, a token's
// lifetime) in days, so a list stays readable months later.
import {describe, expect, it} from 'vitest'

import {formatDuration, formatSpan} from '../../src/core/duration.js'

describe('formatSpan', () => {
  it('says hours and minutes up to two days, as formatDuration does', () => {
    expect(formatSpan(90)).toBe(formatDuration(90_000))
    expect(formatSpan(2 * 86_400 - 1)).toBe(formatDuration((2 * 86_400 - 1) * 1000))
  })

  it('says whole days from two days on (an incident opened months ago is not 6403h29m27s)', () => {
    expect(formatSpan(2 * 86_400)).toBe('2 days')
    expect(formatSpan(6403 * 3600 + 29 * 60 + 27)).toBe('266 days')
    expect(formatSpan(73 * 365 * 86_400)).toBe('26,645 days')
  })
})
