// --max-filesize takes sizes the way ripgrep does.
import {describe, expect, it} from 'vitest'

import {formatSize, parseSize} from '../../src/core/size.js'

describe('parseSize', () => {
  it.each([
    ['1024', 1024],
    ['500K', 500 * 1024],
    ['500k', 500 * 1024],
    ['10M', 10 * 1024 * 1024],
    ['2G', 2 * 1024 ** 3],
    [' 7 ', 7],
  ])('reads %s as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes)
  })

  it.each(['', '10MB', '-1', '1.5M', 'ten', '10T'])('refuses %j with a hint', (text) => {
    expect(() => parseSize(text)).toThrow(
      expect.objectContaining({code: 'ERR_SIZE_INVALID', hint: expect.stringContaining('10M')}),
    )
  })
})

describe('formatSize', () => {
  it.each([
    [99, '99 B'],
    [500 * 1024, '500 KiB'],
    [10 * 1024 * 1024, '10 MiB'],
    [1536 * 1024, '1.5 MiB'],
  ])('writes %d as %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text)
  })
})
