// One file at a time with a reused buffer: binary and size decisions, buffer growth and reuse,
// unreadable paths, and how matches become hits (one per block of nearby lines).
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {createFileScanner, type ScanNeedle} from '../../../src/adapters/scan/file-scanner.js'

const folders: string[] = []
afterAll(() => folders.forEach((folder) => rmSync(folder, {recursive: true, force: true})))

function temporary(): string {
  const folder = mkdtempSync(join(tmpdir(), 'jwkr-file-'))
  folders.push(folder)
  return folder
}

const KID: ScanNeedle = {kind: 'kid', value: 'signing-2024-06', public: true}
const D_WINDOW: ScanNeedle = {kind: 'private-member', value: 'Jx7Qm2Vb9LkP0aZsT4rWcYhN', public: false}
const N_WINDOW: ScanNeedle = {kind: 'modulus', value: 'u1SU1LfVLPHCozMxH2Mo4lgO', public: true}

function file(content: string | Buffer): string {
  const path = join(temporary(), 'file')
  writeFileSync(path, content)
  return path
}

describe('createFileScanner', () => {
  it('calls a file binary only for a NUL in its first 8 KiB', () => {
    const scanner = createFileScanner([KID], {maxFileSize: 1 << 20})
    const early = file(Buffer.concat([Buffer.from('\u0000 header '), Buffer.from(KID.value)]))
    const late = file(Buffer.concat([Buffer.from(`${'a'.repeat(9000)}\n${KID.value}\n`), Buffer.from([0])]))
    expect(scanner.scanFile(early)).toMatchObject({status: 'binary', hits: []})
    expect(scanner.scanFile(late)).toMatchObject({status: 'scanned', hits: [{line: 2, column: 1, kind: 'kid'}]})
  })

  it('scans a file of exactly the cap and skips one byte more', () => {
    const scanner = createFileScanner([KID], {maxFileSize: 4096, initialBufferSize: 1024})
    const body = (size: number): string => `${KID.value}\n${'z'.repeat(size - KID.value.length - 1)}`
    expect(scanner.scanFile(file(body(4096)))).toMatchObject({status: 'scanned', bytes: 4096, hits: [{kind: 'kid'}]})
    expect(scanner.scanFile(file(body(4097)))).toMatchObject({status: 'too-large', bytes: 0, hits: []})
  })

  it('grows its buffer for a large file and never reports what a previous file left in it', () => {
    // Given a tiny starting buffer, a large file with the kid at its end, then a short file
    const scanner = createFileScanner([KID], {maxFileSize: 1 << 20, initialBufferSize: 16})
    const large = file(`${'w'.repeat(100_000)}\n${KID.value}\n`)
    const short = file('nothing here\n')
    // Then the kid is found at the end of the large file, and the short file has no hit
    expect(scanner.scanFile(large)).toMatchObject({status: 'scanned', bytes: 100_017, hits: [{line: 2}]})
    expect(scanner.scanFile(short)).toMatchObject({status: 'scanned', bytes: 13, hits: []})
  })

  it('reports a path it cannot read as unreadable, and goes on', () => {
    const scanner = createFileScanner([KID], {maxFileSize: 1 << 20})
    expect(scanner.scanFile(join(tmpdir(), 'no-such-jwkr-file'))).toMatchObject({status: 'unreadable'})
    expect(scanner.scanFile(tmpdir())).toMatchObject({status: 'unreadable'})
    expect(scanner.scanFile(file(KID.value))).toMatchObject({status: 'scanned', hits: [{kind: 'kid'}]})
  })

  it('makes one private hit of a pretty-printed private JWK, pointing at the private member', () => {
    // Given a JWK over several lines: kid on line 2, n on line 4, d on line 6
    const jwk = `{\n  "kid": "${KID.value}",\n  "kty": "RSA",\n  "n": "xx${N_WINDOW.value}yy",\n  "e": "AQAB",\n  "d": "${D_WINDOW.value}zz"\n}\n`
    const {hits} = createFileScanner([KID, N_WINDOW, D_WINDOW], {maxFileSize: 1 << 20}).scanFile(file(jwk))
    // Then it is one finding, named by its private material, spanning lines 2–6
    expect(hits).toEqual([
      expect.objectContaining({
        line: 6,
        column: 9,
        kind: 'private-member',
        public: false,
        firstLine: 2,
        lastLine: 6,
        excerpt: '"d": "[REDACTED][…]"',
      }),
    ])
  })

  it('keeps findings apart when they are more than a few lines apart', () => {
    const text = `kid=${KID.value}\n\n\n\n\n\nagain ${KID.value}\n`
    const {hits} = createFileScanner([KID], {maxFileSize: 1 << 20}).scanFile(file(text))
    expect(hits.map((hit) => [hit.line, hit.column])).toEqual([
      [1, 5],
      [7, 7],
    ])
  })

  it('counts columns in characters on lines with multi-byte text', () => {
    const {hits} = createFileScanner([KID], {maxFileSize: 1 << 20}).scanFile(file(`clé «${KID.value}»\n`))
    expect(hits[0]).toMatchObject({line: 1, column: 6, excerpt: `clé «${KID.value}»`})
  })
})
