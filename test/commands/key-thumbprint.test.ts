// `jwkr key thumbprint`: made for pipes, so stdout holds the thumbprints and nothing else. Also run
// end to end through bin/dev.js with the key piped into stdin.
import {spawnSync} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {calculateJwkThumbprint} from 'jose'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {printOnTerminal} from '../helpers/pty.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'
import {RFC7638_RSA, RFC7638_RSA_THUMBPRINT, RFC8037_ED25519, RFC8037_ED25519_THUMBPRINT} from '../core/key/rfc-vectors.js'
import {privateNeedles} from '../core/key/samples.js'

let dir: string
let jwksPath: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jwkr-thumbprint-'))
  jwksPath = join(dir, 'jwks.json')
  writeFileSync(jwksPath, JSON.stringify({keys: [RFC7638_RSA, {...RFC8037_ED25519, kid: 'ed'}]}))
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('jwkr key thumbprint', () => {
  it('prints one SHA-256 thumbprint per key, and nothing else', async () => {
    const {stdout, stderr, error} = await run(['key', 'thumbprint', jwksPath])
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toBe(`${RFC7638_RSA_THUMBPRINT}\n${RFC8037_ED25519_THUMBPRINT}\n`)
    expect(stderr).toBe('')
  })

  it.each(['sha384', 'sha512'] as const)('prints the %s thumbprint with --hash', async (hash) => {
    const {stdout, error} = await run(['key', 'thumbprint', jwksPath, '--hash', hash])
    expect(exitCodeOf(error)).toBe(0)
    const expected = [
      await calculateJwkThumbprint(RFC7638_RSA as never, hash),
      await calculateJwkThumbprint(RFC8037_ED25519 as never, hash),
    ]
    expect(stdout).toBe(`${expected.join('\n')}\n`)
  })

  it('prints RFC 9278 URIs with --uri, also with --hash', async () => {
    const sha256 = await run(['key', 'thumbprint', jwksPath, '--uri', '--kid', '2011-04-29'])
    expect(sha256.stdout).toBe(`urn:ietf:params:oauth:jwk-thumbprint:sha-256:${RFC7638_RSA_THUMBPRINT}\n`)
    const sha512 = await run(['key', 'thumbprint', jwksPath, '--uri', '--hash', 'sha512', '--kid', 'ed'])
    expect(sha512.stdout.trim()).toMatch(/^urn:ietf:params:oauth:jwk-thumbprint:sha-512:[A-Za-z0-9_-]{86}$/)
  })

  it('selects with --thumbprint', async () => {
    const {stdout} = await run(['key', 'thumbprint', jwksPath, '--thumbprint', RFC8037_ED25519_THUMBPRINT, '--hash', 'sha384'])
    expect(stdout).toBe(`${await calculateJwkThumbprint(RFC8037_ED25519 as never, 'sha384')}\n`)
  })

  it('returns {hash, lines} with --json', async () => {
    const {stdout, error} = await run(['key', 'thumbprint', jwksPath, '--json'])
    expect(exitCodeOf(error)).toBe(0)
    expect(JSON.parse(stdout)).toEqual({hash: 'sha256', lines: [RFC7638_RSA_THUMBPRINT, RFC8037_ED25519_THUMBPRINT]})
  })

  it('prints no warning for a private key: the thumbprint is all there is on stdout, and stderr is empty', async () => {
    const jwk = generateKeyPairSync('ec', {namedCurve: 'secp384r1'}).privateKey.export({format: 'jwk'})
    const path = join(dir, 'private.json')
    writeFileSync(path, JSON.stringify(jwk))
    const {stdout, stderr} = await run(['key', 'thumbprint', path])
    expect(stdout).toBe(`${await calculateJwkThumbprint(jwk as never)}\n`)
    expect(stderr).toBe('')
  })

  it('refuses an unknown --hash as a usage error (exit 2)', async () => {
    const {stdout, stderr, error} = await run(['key', 'thumbprint', jwksPath, '--hash', 'md5'])
    expect(exitCodeOf(error)).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/Expected --hash=md5 to be one of: sha256, sha384, sha512/)
  })

  it('refuses a JWT that only names its key (exit 1)', async () => {
    const {stdout, stderr, error} = await run(['key', 'thumbprint', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.e30.c2ln'])
    expect(exitCodeOf(error)).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^Error: The input names a key \(a JWT header\) but holds no key material to thumbprint\.\n→ /)
  })
})

describe('jwkr key thumbprint - (stdin, end to end through bin/dev.js)', () => {
  function jwkr(args: string[], input: string | Buffer): {stdout: string; stderr: string; status: number | null} {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'bin/dev.js'), ...args], {
      cwd: projectRoot,
      input,
      encoding: 'utf8',
      env: {...process.env, NO_COLOR: '1', DEBUG: ''},
      timeout: 60_000,
    })
    return {stdout: result.stdout, stderr: result.stderr, status: result.status}
  }

  it('reads a private key piped into stdin and prints only its thumbprint', async () => {
    // Given a private Ed25519 PEM piped in
    const {privateKey, publicKey} = generateKeyPairSync('ed25519')
    const pem = privateKey.export({format: 'pem', type: 'pkcs8'}).toString()
    // When jwkr reads "-"
    const {stdout, stderr, status} = jwkr(['key', 'thumbprint', '-'], pem)
    // Then it prints the thumbprint of the key, and nothing of the key itself
    expect({status, stderr}).toEqual({status: 0, stderr: ''})
    expect(stdout).toBe(`${await calculateJwkThumbprint(publicKey.export({format: 'jwk'}) as never)}\n`)
    for (const needle of privateNeedles(privateKey.export({format: 'jwk'}))) expect(stdout + stderr).not.toContain(needle)
  })

  it('refuses stdin over 1 MiB with exit 1 and a one-line reason', () => {
    const {stdout, stderr, status} = jwkr(['key', 'thumbprint', '-'], Buffer.alloc(1024 * 1024 + 10, 0x20))
    expect(status).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^Error: The input is over 1\.0 MiB; jwkr reads at most 1\.0 MiB of key material\.\n→ .+\n$/)
  })
})

describe('jwkr key thumbprint on a narrow terminal', () => {
  it('prints a 130-character thumbprint URI on one line, unbroken, at 60 columns', {timeout: 120_000}, async () => {
    // Given a terminal narrower than the RFC 9278 URI of a SHA-512 thumbprint
    const {exitCode, screen} = await printOnTerminal(
      ['key', 'thumbprint', 'examples/leaked-signing-key.json', '--uri', '--hash', 'sha512'],
      60,
      {NO_COLOR: '1'},
    )
    // Then the URI is one value on one line: the bytes written hold no line break inside it
    expect(exitCode, screen).toBe(0)
    expect(screen.trim()).toMatch(/^urn:ietf:params:oauth:jwk-thumbprint:sha-512:[\w-]{86}$/)
  })
})
