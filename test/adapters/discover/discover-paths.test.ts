// Local discovery over a tree larger than the calling thread reads alone: the worker threads read the
// rest, and the findings are the same, in the same (walk) order, as when every file is read here.
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {discoverPaths} from '../../../src/adapters/discover/discover-paths.js'
import {writeAcmeTree} from '../../helpers/discovery-fixtures.js'
import {mkdirSync, writeFileSync} from 'node:fs'

/** More candidate files than the first batches read on the calling thread (16 × 64). */
const FILLER = 1500

describe('discoverPaths', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jwkr-discover-paths-'))
    // Given filler sources and manifests that speak of issuers and JWKS caches in prose, walked before the organisation
    for (let i = 0; i < FILLER; i++) {
      const folder = join(dir, 'aa-filler', `d${Math.floor(i / 100)}`)
      if (i % 100 === 0) mkdirSync(folder, {recursive: true})
      writeFileSync(join(folder, `f${i}.${i % 2 === 0 ? 'ts' : 'yaml'}`), `# the issuer rotates its jwks; jwksCache ${i}\n`)
    }
    // And the fixture organisation, planted after them, and once more inside them
    await writeAcmeTree(join(dir, 'zz-acme'))
    await writeAcmeTree(join(dir, 'aa-filler', 'd7', 'acme'))
  })
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('finds with worker threads what it finds on the calling thread, in the same order', async () => {
    // When the tree is read on the calling thread only, and with two reading threads
    const alone = await discoverPaths([dir], {cwd: dir, threads: 0})
    const threaded = await discoverPaths([dir], {cwd: dir, threads: 2})
    // Then both read every candidate, parse none of the filler, and find the same, in walk order
    expect(alone.filesRead).toBeGreaterThan(FILLER)
    expect(threaded.filesRead).toBe(alone.filesRead)
    expect(threaded.filesSeen).toBe(alone.filesSeen)
    expect(alone.findings.some((finding) => finding.at.file.startsWith('aa-filler/d7/acme/'))).toBe(true)
    expect(alone.findings.some((finding) => finding.at.file.startsWith('zz-acme/'))).toBe(true)
    expect(alone.findings.every((finding) => !/\/f\d+\./.test(finding.at.file))).toBe(true)
    expect(threaded.findings).toEqual(alone.findings)
  })
})
