// The scanner on a real planted tree: what it finds, what it skips and why, where it says the key is,
// and that private material never appears in what it returns.
import {rmSync} from 'node:fs'
import {relative} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {scanPaths, type ScanPathsOptions, type ScanSummary} from '../../../src/adapters/scan/scan-paths.js'
import {loadKeys} from '../../../src/core/key/load-keys.js'
import {keyNeedles, type Needle} from '../../../src/core/key/needles.js'
import type {LoadedKey} from '../../../src/core/key/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {KID, leaked, makePlantedTree, SIZE_CAP, type PlantedTree} from './planted-tree.js'

let tree: PlantedTree
let needles: Needle[]

beforeAll(async () => {
  tree = await makePlantedTree()
  const {keys} = await loadKeys(JSON.stringify(tree.jwk), {secrets: new SecretRegistry()})
  needles = keyNeedles(keys[0] as LoadedKey)
})

afterAll(() => rmSync(tree.base, {recursive: true, force: true}))

const DEFAULTS: ScanPathsOptions = {hidden: false, gitignore: true, maxFileSize: SIZE_CAP, threads: 0}

async function scan(options: Partial<ScanPathsOptions> = {}, paths = [tree.root]): Promise<ScanSummary> {
  return scanPaths(paths, needles, {...DEFAULTS, ...options})
}

function filesWithHits(summary: ScanSummary): Record<string, string> {
  return Object.fromEntries(summary.hits.map((hit) => [relative(tree.root, hit.path), hit.kind]))
}

describe('scanPaths on a planted tree', () => {
  it('finds the key in every planted form, and in nothing else', async () => {
    // Given the planted tree, with decoys one character off, a binary copy, a symlink and skipped files
    // When it is scanned with the defaults
    const summary = await scan()
    // Then exactly the planted files are reported, each with the kind of material it holds
    expect(filesWithHits(summary)).toEqual(tree.expected)
    expect(summary.hits.length).toBe(Object.keys(tree.expected).length)
  })

  it('says what it skipped and why', async () => {
    const summary = await scan()
    // Then the binary file, the file over the cap, the hidden .env and .gitignore, the ignored build/ and
    // *.tmp, and the symbolic link are counted
    expect(summary.skipped).toEqual({binary: 1, tooLarge: 1, ignored: 2, hidden: 2, symlinks: 1, special: 0, unreadable: 0})
    expect(summary.filesScanned).toBe(9)
    expect(summary.bytesScanned).toBeGreaterThan(600 * 1024)
  })

  it('gives path, line and column of each hit, and one hit for a whole PEM body', async () => {
    const {hits} = await scan()
    const hit = (path: string) => hits.find((h) => relative(tree.root, h.path) === path)
    // The kid in a YAML file: line 3, after "  kid: "
    expect(hit('deploy/app.yaml')).toMatchObject({line: 3, column: 8, kind: 'kid', public: true, excerpt: `kid: ${KID}`})
    // The SPKI PEM split over lines 2–7 is one finding, shown (public), at its first line
    expect(hit('keys/public.pem')).toMatchObject({line: 2, column: 1, kind: 'spki', public: true, firstLine: 2, lastLine: 7})
    expect(hit('keys/public.pem')?.excerpt).toMatch(/^MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA[A-Za-z0-9+/]{20}$/)
    // The PKCS#8 PEM after 20 filler lines: private, never shown
    expect(hit('keys/private.pem')).toMatchObject({line: 22, column: 1, kind: 'pkcs8', public: false, excerpt: '[REDACTED]'})
    // The thumbprint in its RFC 9278 URI, shown with a little context
    expect(hit('logs/audit.log')).toMatchObject({line: 21, kind: 'thumbprint', public: true})
    expect(hit('logs/audit.log')?.excerpt).toContain(`sha-256:${tree.thumbprint} at 10:00`)
    // CRLF lines: line and column count as an editor does, with no carriage return in the excerpt
    expect(hit('windows/notes.txt')).toMatchObject({line: 3, column: 9, excerpt: `kid = "${KID}"`})
    // The kid after 600 KiB of one line: found past the first read of the file
    expect(hit('dumps/large.log')).toMatchObject({line: 2, column: 5, kind: 'kid'})
  })

  it('redacts the private JWK it finds: the match and every private value around it', async () => {
    // Given the private JWK on one line of a file
    const {hits} = await scan()
    const hit = hits.find((h) => h.path.endsWith('leaked.json'))
    // Then it is reported as private material, with the match redacted
    expect(hit).toMatchObject({line: 21, kind: 'private-member', public: false})
    expect(hit?.excerpt).toContain('[REDACTED]')
    // And no private value, nor any 12-character piece of one, is anywhere in the result
    expect(leaked(JSON.stringify(hits), tree.secrets)).toEqual([])
  })

  it('searches hidden files only with hidden', async () => {
    const summary = await scan({hidden: true})
    expect(filesWithHits(summary)['.env']).toBe('spki')
    expect(summary.skipped.hidden).toBe(0)
  })

  it('searches what .gitignore excludes only without gitignore', async () => {
    const summary = await scan({gitignore: false})
    expect(filesWithHits(summary)).toMatchObject({'build/key.json': 'private-member', 'scratch.tmp': 'kid'})
    expect(summary.skipped.ignored).toBe(0)
  })

  it('searches files over the default cap when the cap is raised', async () => {
    const summary = await scan({maxFileSize: 2 * SIZE_CAP})
    expect(filesWithHits(summary)['dumps/big.log']).toBe('kid')
    expect(summary.skipped.tooLarge).toBe(0)
  })

  it('never reports the binary copy, the symbolic link or the decoys, whatever the options', async () => {
    const summary = await scan({hidden: true, gitignore: false, maxFileSize: 4 * SIZE_CAP})
    const files = Object.keys(filesWithHits(summary))
    expect(files).not.toContain('assets/blob.bin')
    expect(files).not.toContain('link.json')
    expect(files).not.toContain('src/decoys.txt')
  })

  it('searches a file named on the command line even if hidden or ignored', async () => {
    const summary = await scan({}, [`${tree.root}/.env`, `${tree.root}/build/key.json`])
    expect(summary.hits.map((hit) => relative(tree.root, hit.path)).sort()).toEqual(['.env', 'build/key.json'])
  })

  it('finds the same with worker threads as on the calling thread', async () => {
    // Given the same tree scanned on the calling thread and by two workers
    const here = await scan({threads: 0, hidden: true})
    const workers = await scan({threads: 2, hidden: true})
    // Then the results are identical, hit for hit
    expect(workers).toEqual(here)
  })

  it('reports progress as batches complete', async () => {
    const seen: number[] = []
    const summary = await scan({threads: 1, onProgress: (progress) => seen.push(progress.filesScanned)})
    expect(seen.at(-1)).toBe(summary.filesScanned)
  })

  it('refuses a path that does not exist, before searching anything', async () => {
    await expect(scan({}, [tree.root, `${tree.root}/no-such-dir`])).rejects.toMatchObject({
      code: 'ERR_INPUT_NOT_FOUND',
      message: expect.stringContaining('no-such-dir'),
    })
  })
})
