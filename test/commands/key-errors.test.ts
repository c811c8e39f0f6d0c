// Bad input to `jwkr key inspect` / `jwkr key thumbprint`: exit 1 with an error line that names the
// problem and a hint line with the fix, no stack, no secret; usage errors exit 2; --json errors are
// one JSON document on stdout; --debug adds the stack.
import {generateKeyPairSync} from 'node:crypto'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {exitCodeOf, run} from '../helpers/run.js'
import {privateNeedles} from '../core/key/samples.js'

const rsaJwk = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({format: 'jwk'}) as Record<string, string>
const pkcs8 = generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).privateKey.export({format: 'pem', type: 'pkcs8'}).toString()
const needles = privateNeedles(rsaJwk)

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jwkr-errors-'))
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

/** Each case: how to make the SOURCE, the error code, and what the message must say. */
const cases: Array<[name: string, source: () => string, code: string, message: RegExp, extra?: string[]]> = [
  ['empty input', () => file('empty.json', ''), 'ERR_INPUT_EMPTY', /^The input is empty\.$/],
  [
    'malformed JSON holding a secret',
    () => file('broken.json', `{\n  "kty": "RSA",\n  "n": "${rsaJwk.n}",\n  "d": "${rsaJwk.d}"\n  "e": "AQAB"\n}`),
    'ERR_JSON_MALFORMED',
    /^The input looks like JSON but is not valid JSON at line 5, column 3\.$/,
  ],
  [
    'truncated PEM',
    () => file('cut.pem', pkcs8.slice(0, 120)),
    'ERR_PEM_INVALID',
    /^The PEM block "PRIVATE KEY" is truncated: it has no END line\.$/,
  ],
  ['unknown kty', () => file('kty.json', '{"kty": "DSA", "y": "AAAA"}'), 'ERR_KEY_UNSUPPORTED', /unknown key type "kty": "DSA"/],
  [
    'EC with an unknown curve',
    () => file('crv.json', '{"kty": "EC", "crv": "P-192", "x": "AA", "y": "AA"}'),
    'ERR_KEY_UNSUPPORTED',
    /unknown curve "crv": "P-192"/,
  ],
  [
    'RSA without n',
    () => file('no-n.json', JSON.stringify({...rsaJwk, n: undefined})),
    'ERR_KEY_INVALID',
    /^The JWK is an RSA key without the "n" member\.$/,
  ],
  ['JWKS with no keys', () => file('no-keys.json', '{"keys": []}'), 'ERR_JWKS_EMPTY', /^The JWKS has no keys\.$/],
  [
    'JWKS with no key matching --kid',
    () => file('jwks.json', JSON.stringify({keys: [{...rsaJwk, kid: 'a'}]})),
    'ERR_JWKS_NO_MATCH',
    /^No key matches kid "zzz"\.$/,
    ['--kid', 'zzz'],
  ],
  [
    'binary garbage',
    () => file('garbage.der', Buffer.from([0x30, 0x82, 0x00, 0xff, 0xfe, 0x00, 0x13])),
    'ERR_INPUT_BINARY',
    /^The input is binary data/,
  ],
  [
    'text that is no key',
    () => file('notes.txt', 'remember to rotate the key'),
    'ERR_INPUT_UNRECOGNISED',
    /^The input is not a JWK, JWKS, PEM key or certificate, or compact JWT\.$/,
  ],
  ['a file that does not exist', () => join(dir, 'missing.json'), 'ERR_INPUT_NOT_FOUND', /^No such file: .*missing\.json\.$/],
  [
    'a directory',
    () => (mkdirSync(join(dir, 'keys'), {recursive: true}), join(dir, 'keys')),
    'ERR_INPUT_UNREADABLE',
    /is a directory, not a regular file: jwkr reads key material from regular files only\.$/,
  ],
  [
    'a file over 1 MiB',
    () => file('big.json', Buffer.alloc(1024 * 1024 + 1, 0x20)),
    'ERR_INPUT_TOO_LARGE',
    /big\.json is 1\.0 MiB; jwkr reads at most 1\.0 MiB of key material\.$/,
  ],
]

describe.each(['inspect', 'thumbprint'])('jwkr key %s with bad input', (verb) => {
  it.each(cases)('%s → exit 1, error and hint lines, no stack, no secret', async (_name, source, code, message, extra = []) => {
    // Given a bad SOURCE
    const path = source()
    // When the command reads it
    const {stdout, stderr, error} = await run(['key', verb, path, ...extra])
    // Then it ends with exit code 1, nothing on stdout, and two lines on stderr: problem and fix
    expect(exitCodeOf(error)).toBe(1)
    expect(stdout).toBe('')
    const lines = stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^Error: /)
    expect(lines[0]?.slice('Error: '.length)).toMatch(message)
    expect(lines[1]).toMatch(/^→ \S/)
    expect(stderr).not.toMatch(/\n\s+at /)
    for (const needle of needles) expect(stderr).not.toContain(needle)
    // And --json gives the same error as one document on stdout
    const json = await run(['key', verb, path, ...extra, '--json'])
    expect(exitCodeOf(json.error)).toBe(1)
    expect(json.stderr).toBe('')
    const doc = JSON.parse(json.stdout)
    expect(Object.keys(doc)).toEqual(['error'])
    expect(doc.error).toMatchObject({code, message: expect.stringMatching(message), hint: expect.any(String), exitCode: 1})
    for (const needle of needles) expect(json.stdout).not.toContain(needle)
  })

  // root reads a mode-000 file all the same.
  it.skipIf(process.getuid?.() === 0)('an unreadable file → exit 1, ERR_INPUT_UNREADABLE', async () => {
    const path = file(`locked-${verb}.json`, '{}')
    chmodSync(path, 0o000)
    const {stderr, error} = await run(['key', verb, path])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toMatch(/^Error: Cannot read .* \(EACCES\)\.\n→ Check the file permissions/)
  })

  it('an unknown flag → exit 2 (usage), with --json as a document too', async () => {
    const human = await run(['key', verb, 'x.json', '--bogus'])
    expect(exitCodeOf(human.error)).toBe(2)
    expect(human.stderr).toMatch(/^Error: Nonexistent flag: --bogus\n→ Run the command with --help/)
    const json = await run(['key', verb, 'x.json', '--bogus', '--json'])
    expect(exitCodeOf(json.error)).toBe(2)
    expect(JSON.parse(json.stdout).error).toMatchObject({code: 'ERR_USAGE', exitCode: 2, message: 'Nonexistent flag: --bogus'})
  })

  it('a missing SOURCE → exit 2', async () => {
    const {error, stderr} = await run(['key', verb])
    expect(exitCodeOf(error)).toBe(2)
    expect(stderr).toMatch(/^Error: Missing 1 required arg/)
  })

  it('never echoes an inline private key given as an extra argument', async () => {
    // Given a private JWK pasted twice on the command line (a usage error that quotes the argument)
    const inline = JSON.stringify(rsaJwk)
    const {stdout, stderr, error} = await run(['key', verb, inline, inline])
    // Then it is a usage error, and the private values are redacted from it
    expect(exitCodeOf(error)).toBe(2)
    expect(stderr).toMatch(/^Error: Unexpected argument: /)
    expect(stderr).toContain('[REDACTED]')
    for (const needle of needles) expect(stdout + stderr).not.toContain(needle)
  })

  it('never echoes a bare private value (a d pasted after the key file) given as an extra argument', async () => {
    // Given the key file and, by a slip of the paste, its d value alone as a second argument
    for (const json of [false, true]) {
      const {stdout, stderr, error} = await run([
        'key',
        verb,
        file('rsa-with-extra.json', JSON.stringify(rsaJwk)),
        rsaJwk.d!,
        ...(json ? ['--json'] : []),
      ])
      // Then it is a usage error that names the argument without its value, in text and in JSON
      expect(exitCodeOf(error)).toBe(2)
      expect(stdout + stderr).toContain('Unexpected argument: [REDACTED]')
      for (const needle of needles) expect(stdout + stderr).not.toContain(needle)
    }
  })

  it('--debug adds the stack trace after the two lines', async () => {
    const {stderr, error} = await run(['key', verb, join(dir, 'missing.json'), '--debug'])
    expect(exitCodeOf(error)).toBe(1)
    const lines = stderr.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^Error: No such file/)
    expect(lines[2]).toMatch(/^JwkrError: No such file/)
    expect(lines[3]).toMatch(/^\s+at /)
  })
})
