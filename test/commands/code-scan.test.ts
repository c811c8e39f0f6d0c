// `jwkr code scan` end to end on a real planted tree: what a responder reads, the --json document, the
// flags, the exit codes, and that no private value of the leaked key is ever printed.
import {rmSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {CodeScanResult} from '../../src/services/scan.js'
import {leaked, makePlantedTree, type PlantedTree} from '../adapters/scan/planted-tree.js'
import {exitCodeOf, run} from '../helpers/run.js'

let tree: PlantedTree

beforeAll(async () => {
  tree = await makePlantedTree()
})

afterAll(() => rmSync(tree.base, {recursive: true, force: true}))

/** With the planted tree's own cap (the default 10M would search dumps/big.log too), on the calling thread. */
function scan(...args: string[]) {
  const cap = args.includes('--max-filesize') ? [] : ['--max-filesize', '1M']
  return run<CodeScanResult>(['code', 'scan', '--key', tree.keyFile, tree.root, '--threads', '0', ...cap, ...args])
}

describe('jwkr code scan', () => {
  it('lists every place the key sits as path:line:column, kind and excerpt, then a summary', async () => {
    // Given a tree with the key planted in eight files, and decoys
    // When it is scanned
    const {stdout, error} = await scan()
    // Then each planted file is listed with its kind
    expect(exitCodeOf(error)).toBe(0)
    for (const [path, kind] of Object.entries(tree.expected)) {
      expect(stdout).toMatch(new RegExp(`${join(tree.root, path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+  ${kind}`))
    }
    expect(stdout).toContain(`${join(tree.root, 'deploy/app.yaml')}:3:8  kid  kid: leaked-2024-signing`)
    expect(stdout).toContain(`${join(tree.root, 'keys/private.pem')}:22:1  pkcs8 (private)  [REDACTED] (lines 22–47)`)
    // And nothing from the decoys or the skipped files
    for (const decoy of ['src/decoys.txt', 'assets/blob.bin', 'link.json', 'dumps/big.log', '.env', 'build/', 'scratch.tmp']) {
      expect(stdout).not.toContain(join(tree.root, decoy))
    }
    // And a summary that says what was found, what is private, and what was left out
    expect(stdout).toContain('Found the key in 8 places in 8 files.')
    expect(stdout).toMatch(/Private key material sits in 2 files/)
    expect(stdout).toMatch(
      /Searched 9 files \([\d.]+ KiB\) for \d+ needles; skipped 1 binary, 1 over 1 MiB, 2 ignored by \.gitignore, 2 hidden, 1 symbolic links\./,
    )
    expect(stdout).toContain('add --no-ignore --hidden')
  })

  it('prints one JSON document with the hits and counts under --json', async () => {
    const {stdout, result, error} = await scan('--json')
    expect(exitCodeOf(error)).toBe(0)
    const document = JSON.parse(stdout) as CodeScanResult
    expect(document).toEqual(result)
    expect(document).toMatchObject({
      thumbprint: tree.thumbprint,
      kid: 'leaked-2024-signing',
      filesScanned: 9,
      skipped: {binary: 1, tooLarge: 1, ignored: 2, hidden: 2, symlinks: 1, special: 0, unreadable: 0},
    })
    expect(Object.fromEntries(document.hits.map((hit) => [relative(tree.root, hit.path), hit.kind]))).toEqual(tree.expected)
    expect(Object.keys(document.hits[0] ?? {}).sort()).toEqual(
      ['column', 'excerpt', 'firstLine', 'kind', 'lastLine', 'line', 'path', 'public'].sort(),
    )
  })

  it('never prints a private value of the key, with every file searched, in text or JSON', async () => {
    // Given the private JWK, PEM and a binary copy planted, and everything searched
    for (const json of [false, true]) {
      const {stdout, stderr, error} = await scan('--hidden', '--no-ignore', ...(json ? ['--json'] : []))
      expect(exitCodeOf(error)).toBe(0)
      // Then the private copies are found …
      expect(stdout).toContain(json ? '"kind": "private-member"' : 'private-member (private)')
      expect(stdout).toContain('build/key.json')
      // … and no private value, nor any 12-character piece of one, is in any output
      expect(leaked(stdout + stderr, tree.secrets)).toEqual([])
    }
  })

  it('reads the key as a PKCS#8 PEM and never prints its lines', async () => {
    // Given the leaked key as a PEM file
    const pemFile = join(tree.root, '..', 'leaked.pem')
    const pem = tree.privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
    writeFileSync(pemFile, pem, {mode: 0o600})
    // When the tree is scanned for it
    const {stdout, stderr, error} = await run([
      'code',
      'scan',
      '--key',
      pemFile,
      tree.root,
      '--threads',
      '0',
      '--max-filesize',
      '1M',
    ])
    // Then the same files are found, and no line of the private PEM is printed
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toContain('keys/private.pem')
    const bodyLines = pem.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'))
    expect(leaked(stdout + stderr, [...bodyLines, ...tree.secrets])).toEqual([])
  })

  it('searches hidden files, ignored files and larger files only when asked', async () => {
    const hidden = await scan('--hidden')
    expect(hidden.stdout).toContain(`${join(tree.root, '.env')}:1:`)
    const ignored = await scan('--no-ignore')
    expect(ignored.stdout).toContain(join(tree.root, 'build/key.json'))
    expect(ignored.stdout).toContain(join(tree.root, 'scratch.tmp'))
    const large = await scan('--max-filesize', '2M')
    expect(large.stdout).toContain(join(tree.root, 'dumps/big.log'))
  })

  it('searches with worker threads by default, with the same result', async () => {
    const threaded = await run<CodeScanResult>([
      'code',
      'scan',
      '--key',
      tree.keyFile,
      tree.root,
      '--max-filesize',
      '1M',
      '--json',
    ])
    const here = await scan('--json')
    expect(exitCodeOf(threaded.error)).toBe(0)
    expect(threaded.result).toEqual(here.result)
  })

  it('searches the current directory when no path is given', async () => {
    const cwd = process.cwd()
    process.chdir(join(tree.root, 'deploy'))
    try {
      const {stdout, error} = await run(['code', 'scan', '--key', tree.keyFile, '--threads', '0'])
      expect(exitCodeOf(error)).toBe(0)
      expect(stdout).toContain('app.yaml:3:8  kid')
      expect(stdout).toContain('Searched 1 file')
    } finally {
      process.chdir(cwd)
    }
  })

  it('exits 0 and says so when the key is nowhere', async () => {
    const {stdout, error} = await run([
      'code',
      'scan',
      '--key',
      tree.keyFile,
      join(tree.root, 'src/decoys.txt'),
      '--threads',
      '0',
    ])
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toContain(`No trace of the key (${tree.thumbprint}) in the files searched.`)
    expect(stdout).toContain('Searched 1 file')
  })

  it('exits 1 with a hint for a path that does not exist', async () => {
    const {stderr, error} = await run(['code', 'scan', '--key', tree.keyFile, join(tree.root, 'nope')])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain(`No such file or directory: ${join(tree.root, 'nope')}.`)
    expect(stderr).toMatch(/→ Pass the directories or files to search/)
  })

  it('exits 1 for a size it cannot read, naming the value', async () => {
    const {stdout, error} = await run(['code', 'scan', '--key', tree.keyFile, tree.root, '--max-filesize', '10 MB', '--json'])
    expect(exitCodeOf(error)).toBe(1)
    expect(JSON.parse(stdout)).toMatchObject({error: {code: 'ERR_SIZE_INVALID', message: '"10 MB" is not a size.'}})
  })

  it('exits 1 for a missing key file, and for a JWKS without a choice of key', async () => {
    const missing = await run(['code', 'scan', '--key', join(tree.root, 'no-key.json'), tree.root])
    expect(exitCodeOf(missing.error)).toBe(1)
    expect(missing.stderr).toContain('No such file')

    // Given a JWKS holding the leaked key and another
    const jwks = join(tree.root, '..', 'two.jwks.json')
    const other = {kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'other-key-2023'}
    writeFileSync(jwks, JSON.stringify({keys: [tree.jwk, other]}), {mode: 0o600})
    const ambiguous = await run(['code', 'scan', '--key', jwks, tree.root, '--threads', '0'])
    expect(exitCodeOf(ambiguous.error)).toBe(1)
    expect(ambiguous.stderr).toContain('The key source holds 2 keys')
    expect(ambiguous.stderr).toContain('--kid or --thumbprint: leaked-2024-signing')
    expect(leaked(ambiguous.stdout + ambiguous.stderr, tree.secrets)).toEqual([])
    // And choosing the key with --kid works
    const chosen = await run([
      'code',
      'scan',
      '--key',
      jwks,
      '--kid',
      'leaked-2024-signing',
      tree.root,
      '--threads',
      '0',
      '--max-filesize',
      '1M',
    ])
    expect(exitCodeOf(chosen.error)).toBe(0)
    expect(chosen.stdout).toContain('Found the key in 8 places')
  })
})
