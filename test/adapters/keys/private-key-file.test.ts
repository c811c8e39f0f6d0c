// The generated private key's only home: a new file with mode 0600 in a folder made 0700, never
// written over an existing file, and read back (on resume) as its public half only.
import {generateKeyPairSync} from 'node:crypto'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {JWK} from 'jose'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {readPrivateKeyFile, writePrivateKeyFile} from '../../../src/adapters/keys/private-key-file.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {privateNeedles} from '../../core/key/samples.js'

let dir: string
const privateJwk = (): JWK => ({
  ...(generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).privateKey.export({format: 'jwk'}) as JWK),
  kid: 'new-1',
  alg: 'ES256',
  use: 'sig',
})

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jwkr-keyfile-'))
})

afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('writePrivateKeyFile', () => {
  it('writes the whole JWK to a new file with mode 0600, in a folder it creates with mode 0700', async () => {
    // Given a path in a folder that does not exist yet
    const path = join(dir, 'keys', 'new.private.jwk.json')
    const jwk = privateJwk()
    // When the key is written
    await writePrivateKeyFile(path, jwk)
    // Then the file holds the key, readable by the user only, in a folder only the user can enter
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(jwk)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'keys'))).mode & 0o777).toBe(0o700)
  })

  it('refuses to overwrite an existing file and leaves it as it was', async () => {
    // Given a file already at the path (perhaps the key an issuer signs with now)
    const path = join(dir, 'new.private.jwk.json')
    await writeFile(path, 'the key in use\n', {mode: 0o600})
    // When another key is written there
    const error = await writePrivateKeyFile(path, privateJwk()).catch((caught: unknown) => caught)
    // Then it is refused with a code and a hint, and the file is untouched
    expect(error).toMatchObject({code: 'ERR_KEY_FILE_EXISTS', hint: expect.stringContaining('--out')})
    expect(await readFile(path, 'utf8')).toBe('the key in use\n')
  })

  it('says plainly when the folder cannot be written', async () => {
    // Given a path under a regular file (no folder can be made there)
    await writeFile(join(dir, 'not-a-folder'), '')
    // When the key is written, Then the error names the path and what to do, never the key
    const jwk = privateJwk()
    const error = (await writePrivateKeyFile(join(dir, 'not-a-folder', 'k.json'), jwk).catch(
      (caught: unknown) => caught,
    )) as Error
    expect(error).toMatchObject({code: 'ERR_OUTPUT_UNWRITABLE', hint: expect.stringContaining('--out')})
    for (const needle of privateNeedles(jwk as Record<string, unknown>)) expect(error.message).not.toContain(needle)
  })
})

describe('readPrivateKeyFile', () => {
  it('gives back the public half and registers the private members', async () => {
    // Given a key written by jwkr
    const path = join(dir, 'k.json')
    const jwk = privateJwk()
    await writePrivateKeyFile(path, jwk)
    const secrets = new SecretRegistry()
    // When it is read back
    const stored = await readPrivateKeyFile(path, secrets)
    // Then only public members come out, with its kid, alg and use, and the private value is registered
    expect(stored?.publicJwk).toEqual({kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid: 'new-1', alg: 'ES256', use: 'sig'})
    expect(stored?.kid).toBe('new-1')
    expect(secrets.leaks(String(jwk.d))).toBe(true)
  })

  it('answers undefined for a missing file, and refuses a torn one without quoting it', async () => {
    // Given no file, and a file cut in the middle of the private member
    const secrets = new SecretRegistry()
    expect(await readPrivateKeyFile(join(dir, 'none.json'), secrets)).toBeUndefined()
    const jwk = privateJwk()
    const torn = JSON.stringify(jwk).slice(0, -20)
    await writeFile(join(dir, 'torn.json'), torn)
    // When the torn file is read, Then the error says what to do and carries no key material
    const error = (await readPrivateKeyFile(join(dir, 'torn.json'), secrets).catch((caught: unknown) => caught)) as Error
    expect(error).toMatchObject({code: 'ERR_KEY_INVALID'})
    expect(error.message).not.toContain(String(jwk.d))
  })
})
