import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {linesAt} from '../../../src/adapters/tokens/lines-at.js'

describe('linesAt', () => {
  it('gives the 1-based line of each offset, across buffer boundaries, in one pass', async () => {
    // Given 3 MiB of 100-byte lines (the reader's buffer is 1 MiB)
    const line = `${'x'.repeat(99)}\n`
    const path = join(await mkdtemp(join(tmpdir(), 'jwkr-lines-')), 'a.log')
    await writeFile(path, line.repeat(30_000))
    // When offsets are asked for out of order, one twice, one on a newline, one past the end
    const lines = linesAt(path, [2_999_950, 0, 99, 100, 1_048_576, 99, 5_000_000])
    // Then each has its line, and the one past the end is left out
    expect([...lines].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 1],
      [99, 1],
      [100, 2],
      [1_048_576, 10_486],
      [2_999_950, 30_000],
    ])
  })

  it('gives nothing for a file that is gone, or no offsets', () => {
    expect(linesAt('/nonexistent/a.log', [10]).size).toBe(0)
    expect(linesAt('/nonexistent/a.log', []).size).toBe(0)
  })
})
