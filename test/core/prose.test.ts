import {describe, expect, it} from 'vitest'

import {prose} from '../../src/core/prose.js'

describe('prose', () => {
  it('joins the lines of a description into one paragraph, one space where each line broke', () => {
    const text = prose`
      Reads the logs
      and verifies   their signatures.`
    expect(text).toBe('Reads the logs and verifies   their signatures.')
  })

  it('keeps interpolated values and the spaces inside a line', () => {
    expect(prose`Requests in flight at once (default ${64}).
      Reads only.`).toBe('Requests in flight at once (default 64). Reads only.')
  })
})
