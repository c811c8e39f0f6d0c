import {describe, expect, it} from 'vitest'

import {displayPath} from '../../src/core/display-path.js'

describe('displayPath', () => {
  it('shows a path below the working folder as typed from there, any other as it is', () => {
    expect(displayPath('/work/ir/artifacts/rca.md', '/work/ir')).toBe('artifacts/rca.md')
    expect(displayPath('/srv/keys/jwks.json', '/work/ir')).toBe('/srv/keys/jwks.json')
    expect(displayPath('/work/ir', '/work/ir')).toBe('/work/ir')
  })
})
