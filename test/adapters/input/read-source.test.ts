// readSource: a path, "-" for stdin, or the key inline; a 1 MiB cap; binary refused; file errors
// that say what to do. Real files in a real temporary directory.
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable, Writable} from 'node:stream'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {JwkrError} from '../../../src/core/errors.js'
import {MAX_INPUT_BYTES, readSource} from '../../../src/adapters/input/read-source.js'
import {loadKeySource} from '../../../src/services/identify.js'
import {SecretRegistry} from '../../../src/core/secrets.js'

const JWK = '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}'
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jwkr-read-'))
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

async function failure(promise: Promise<unknown>): Promise<JwkrError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof JwkrError) return error
    throw error
  }
  throw new Error('expected a JwkrError')
}

describe('readSource', () => {
  it('reads a file by its path', async () => {
    const path = file('key.json', JWK)
    expect(await readSource(path)).toEqual({text: JWK, origin: path})
  })

  it('reads stdin for "-", in chunks', async () => {
    const stdin = Readable.from([Buffer.from(JWK.slice(0, 10)), Buffer.from(JWK.slice(10))])
    expect(await readSource('-', {stdin})).toEqual({text: JWK, origin: 'stdin'})
  })

  it('takes JSON, a PEM block or a compact JWT given inline', async () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln'
    for (const inline of [JWK, `  ${JWK}`, '[{"kty":"oct"}]', pem, jwt]) {
      expect(await readSource(inline)).toEqual({text: inline, origin: 'inline'})
    }
  })

  it('reads a UTF-8 file with a byte order mark or non-ASCII text', async () => {
    const path = file('utf8.json', `{"kty":"oct","kid":"clé","k":"AAAA"}`)
    expect((await readSource(path)).text).toContain('clé')
  })

  it('reads a file of exactly 1 MiB', async () => {
    const path = file('exact.json', Buffer.alloc(MAX_INPUT_BYTES, 0x20))
    expect((await readSource(path)).text).toHaveLength(MAX_INPUT_BYTES)
  })

  it('refuses a file over 1 MiB before reading it', async () => {
    const path = file('big.json', Buffer.alloc(MAX_INPUT_BYTES + 1, 0x20))
    const error = await failure(readSource(path))
    expect(error).toMatchObject({code: 'ERR_INPUT_TOO_LARGE', exitCode: 1})
    expect(error.message).toBe(`${path} is 1.0 MiB; jwkr reads at most 1.0 MiB of key material.`)
    expect(error.hint).toMatch(/not a log or archive/)
  })

  it('says on a terminal that it is reading the key from it, and says nothing for a pipe', async () => {
    const notices: string[] = []
    const notice = new Writable({
      write(chunk: Buffer, _encoding, done) {
        notices.push(chunk.toString())
        done()
      },
    })
    const terminal = Object.assign(Readable.from([Buffer.from(JWK)]), {isTTY: true})
    expect(await readSource('-', {stdin: terminal, notice})).toEqual({text: JWK, origin: 'stdin'})
    expect(notices).toEqual(['Reading the key from the terminal: paste it, then press Ctrl-D on an empty line.\n'])
    notices.length = 0
    await readSource('-', {stdin: Readable.from([Buffer.from(JWK)]), notice})
    expect(notices).toEqual([])
  })

  it('refuses stdin over 1 MiB, and stops reading it', async () => {
    // Given a stream far larger than the cap
    let produced = 0
    const stdin = new Readable({
      read() {
        produced += 64 * 1024
        this.push(produced > 8 * MAX_INPUT_BYTES ? null : Buffer.alloc(64 * 1024, 0x20))
      },
    })
    // When it is read
    const error = await failure(readSource('-', {stdin}))
    // Then it is refused as too large, long before the end of the stream
    expect(error.code).toBe('ERR_INPUT_TOO_LARGE')
    expect(error.message).toMatch(/^The input is over 1\.\d MiB; jwkr reads at most 1\.0 MiB/)
    expect(produced).toBeLessThan(2 * MAX_INPUT_BYTES)
  })

  it('refuses inline text over the cap', async () => {
    const error = await failure(readSource(`{"kty":"oct","k":"${'A'.repeat(MAX_INPUT_BYTES)}"}`))
    expect(error.code).toBe('ERR_INPUT_TOO_LARGE')
  })

  it('honours a smaller cap', async () => {
    const error = await failure(readSource(file('small.json', JWK), {maxBytes: 16}))
    expect(error.code).toBe('ERR_INPUT_TOO_LARGE')
  })

  it.each([
    ['NUL bytes', Buffer.from([0x30, 0x82, 0x01, 0x00, 0x02, 0x01])],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
  ])('refuses binary data (%s) and says to convert DER to PEM', async (_name, bytes) => {
    const error = await failure(readSource(file(`bin-${bytes.length}-${bytes[1]}`, bytes)))
    expect(error).toMatchObject({code: 'ERR_INPUT_BINARY', message: 'The input is binary data, not a key in text form.'})
    expect(error.hint).toMatch(/openssl pkey -inform DER/)
  })

  it('refuses binary data on stdin', async () => {
    const error = await failure(readSource('-', {stdin: Readable.from([Buffer.from([0, 1, 2, 3])])}))
    expect(error.code).toBe('ERR_INPUT_BINARY')
  })

  it('says that a file does not exist, and what else SOURCE may be', async () => {
    const path = join(dir, 'missing.json')
    const error = await failure(readSource(path))
    expect(error).toMatchObject({code: 'ERR_INPUT_NOT_FOUND', message: `No such file: ${path}.`})
    expect(error.hint).toMatch(/"-" to read stdin/)
  })

  it('never echoes a secret pasted where the file goes (an HMAC k, a d): it names its length', async () => {
    const secret = 'i0SBE4pO6DynJxm4l7iYhFVuXcDEgL-Q-HDibgWKZVM'
    const error = await failure(readSource(secret))
    expect(error.code).toBe('ERR_INPUT_NOT_FOUND')
    expect(error.message).toBe('No such file: the argument (43 characters, not shown: it looks like key material).')
    expect(`${error.message} ${error.hint}`).not.toContain(secret.slice(0, 16))
  })

  it('says that a directory is not a key file', async () => {
    const sub = join(dir, 'a-dir')
    mkdirSync(sub)
    const error = await failure(readSource(sub))
    expect(error).toMatchObject({
      code: 'ERR_INPUT_UNREADABLE',
      message: `${sub} is a directory, not a regular file: jwkr reads key material from regular files only.`,
    })
  })

  it('refuses an empty SOURCE argument', async () => {
    const error = await failure(readSource('  '))
    expect(error).toMatchObject({code: 'ERR_INPUT_EMPTY', message: 'The SOURCE argument is empty.'})
  })

  // root reads a mode-000 file all the same, so there is nothing to refuse there.
  it.skipIf(process.getuid?.() === 0)('says that a file cannot be read, and why', async () => {
    const path = file('locked.json', JWK)
    chmodSync(path, 0o000)
    const error = await failure(readSource(path))
    expect(error).toMatchObject({code: 'ERR_INPUT_UNREADABLE', message: `Cannot read ${path} (EACCES).`})
    expect(error.hint).toMatch(/permissions/)
  })
})

describe('loadKeySource', () => {
  it('reads and parses in one call, and says where the keys came from', async () => {
    const path = file('one.json', JWK)
    const set = await loadKeySource(path, {secrets: new SecretRegistry()})
    expect(set.origin).toBe(path)
    expect(set.keys[0]?.report.thumbprint).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k')
  })

  it('refuses an empty file as empty input', async () => {
    const error = await failure(loadKeySource(file('empty.json', ''), {secrets: new SecretRegistry()}))
    expect(error.code).toBe('ERR_INPUT_EMPTY')
  })
})
