// Every file jwkr is pointed at is read through one helper: a regular file, up to a size. A named
// pipe (whose open waits for a writer forever) and /dev/urandom or /dev/zero (which never end) are
// refused at once, by the helper and by each intake that uses it: the key, a playbook, the
// inventory, a jwks-file key source, a template folder.
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {createIssuerKeyStore} from '../../../src/adapters/idp/create-issuer-key-store.js'
import {loadTemplates} from '../../../src/adapters/templates/template-set.js'
import {JwkrError} from '../../../src/core/errors.js'
import {readBoundedFile} from '../../../src/adapters/fs/read-bounded-file.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {failureOf} from '../idp/helpers/secrecy.js'
import {exitCodeOf, run} from '../../helpers/run.js'

let dir: string
let fifo: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jwkr-bounded-'))
  fifo = join(dir, 'pipe')
  execFileSync('mkfifo', [fifo])
})

const options = {maxBytes: 64, what: 'a test file'}

describe('readBoundedFile', () => {
  it('reads a regular file whole', async () => {
    const path = join(dir, 'small.txt')
    writeFileSync(path, 'x'.repeat(64))
    expect((await readBoundedFile(path, options)).toString()).toBe('x'.repeat(64))
  })

  it.each([
    ['a named pipe', () => fifo, 'a named pipe (FIFO)'],
    ['/dev/urandom', () => '/dev/urandom', 'a character device'],
    ['/dev/zero', () => '/dev/zero', 'a character device'],
    ['a directory', () => dir, 'a directory'],
  ])('refuses %s at once, saying what it is', {timeout: 5000}, async (_, path, kind) => {
    const error = await failureOf(() => readBoundedFile(path(), options))
    expect(error).toMatchObject({code: 'ERR_INPUT_UNREADABLE', details: {kind}})
    expect(error.message).toBe(`${path()} is ${kind}, not a regular file: jwkr reads a test file from regular files only.`)
  })

  it('refuses a file over the limit, and says how large it is', async () => {
    const path = join(dir, 'large.txt')
    writeFileSync(path, 'x'.repeat(65))
    const error = await failureOf(() => readBoundedFile(path, options))
    expect(error).toMatchObject({
      code: 'ERR_INPUT_TOO_LARGE',
      message: `${path} is 65 bytes; jwkr reads at most 64 bytes of a test file.`,
    })
  })

  it('says that nothing is there, in the words the caller gives', async () => {
    const missing = join(dir, 'missing.txt')
    expect(await failureOf(() => readBoundedFile(missing, options))).toMatchObject({code: 'ERR_INPUT_NOT_FOUND'})
    const custom = await failureOf(() =>
      readBoundedFile(missing, {...options, notFound: (path) => new JwkrError('ERR_PLAYBOOK_NOT_FOUND', `none at ${path}`)}),
    )
    expect(custom).toMatchObject({code: 'ERR_PLAYBOOK_NOT_FOUND', message: `none at ${missing}`})
  })
})

describe('every file intake, given a named pipe or /dev/urandom', () => {
  it.each([
    ['key inspect', (path: string) => ['key', 'inspect', path]],
    ['playbook validate', (path: string) => ['playbook', 'validate', path]],
    ['inventory validate', (path: string) => ['inventory', 'validate', path]],
  ])('jwkr %s ends at once with exit 1 and says it is not a regular file', {timeout: 15_000}, async (_, args) => {
    for (const path of [fifo, '/dev/urandom']) {
      const {stderr, error} = await run(args(path))
      expect(exitCodeOf(error)).toBe(1)
      expect(stderr).toMatch(/is a (named pipe \(FIFO\)|character device), not a regular file/)
      expect(stderr).not.toMatch(/Unexpected error|\n\s+at /)
    }
  })

  it('a jwks-file key source at /dev/urandom or a pipe fails at once with ERR_KEY_SOURCE_INVALID', {timeout: 5000}, async () => {
    for (const path of ['/dev/urandom', fifo]) {
      const source = createIssuerKeyStore(
        {id: 'auth-main', issuer: 'https://auth.example.com', keySource: {type: 'jwks-file', path}},
        {env: {}, secrets: new SecretRegistry(), baseDir: dir, artifactsDir: join(dir, 'artifacts')},
      )
      const error = await failureOf(() => source.listKeys())
      expect(error.code).toBe('ERR_KEY_SOURCE_INVALID')
      expect(error.message).toMatch(
        /^The JWKS file cannot be read: .* is a (character device|named pipe \(FIFO\)), not a regular file/,
      )
    }
  })

  it('a template folder with a named pipe in it fails at once', {timeout: 5000}, async () => {
    const templates = join(dir, 'templates')
    mkdirSync(join(templates, 'report'), {recursive: true})
    execFileSync('mkfifo', [join(templates, 'report', 'rca.md.hbs')])
    const error = await failureOf(() => loadTemplates({overrides: templates}))
    expect(error.message).toMatch(/rca\.md\.hbs is a named pipe \(FIFO\), not a regular file/)
  })
})
