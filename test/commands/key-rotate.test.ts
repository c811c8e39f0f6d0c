// `jwkr key rotate` end to end: a real jwks-file issuer (atomic change, backup, other keys kept in
// order, the new private key only in a 0600 file), Auth0 and Keycloak through their doubles, a dry
// run that makes no request and writes no file, the --yes rule without a terminal, and no private
// value (leaked or generated) in any output or request.
import {readdir, readFile, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {calculateJwkThumbprint, type JWK} from 'jose'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {KeyChangeOutcome} from '../../src/services/contain-key.js'
import {privateNeedles} from '../core/key/samples.js'
import {createContainmentWorld, withEnv, type ContainmentWorld} from '../helpers/containment-world.js'
import {exitCodeOf, run} from '../helpers/run.js'

let world: ContainmentWorld
let restoreEnv: () => void
let savedCwd: string

beforeEach(async () => {
  world = await createContainmentWorld()
  restoreEnv = withEnv({...world.env, JWKR_INVENTORY: undefined})
  savedCwd = process.cwd()
  process.chdir(world.dir)
})

afterEach(async () => {
  process.chdir(savedCwd)
  restoreEnv()
  await world.close()
})

const readJwks = async () => JSON.parse(await readFile(world.jwksFile, 'utf8')) as {keys: Array<Record<string, unknown>>}

describe('jwkr key rotate', () => {
  it('rotates a jwks-file issuer: new key published, leaked key removed, backup kept, private key only in a 0600 file', async () => {
    // When the key is rotated at the jwks-file issuer, with a chosen output file
    const out = join(world.dir, 'secure', 'next.private.jwk.json')
    const {stdout, stderr, error} = await run([
      'key',
      'rotate',
      '--key',
      world.keyFile,
      '--issuer',
      'auth-main',
      '--out',
      out,
      '--artifacts',
      'backups',
      '--yes',
    ])
    // Then it succeeds
    expect(error?.message).toBeUndefined()
    // And the private key is in a new 0600 file (its folder 0700), with the kid = its thumbprint
    expect((await stat(out)).mode & 0o777).toBe(0o600)
    expect((await stat(join(world.dir, 'secure'))).mode & 0o777).toBe(0o700)
    const generated = JSON.parse(await readFile(out, 'utf8')) as JWK
    expect(generated).toMatchObject({kty: 'RSA', alg: 'RS256', use: 'sig'})
    const {d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart} = generated
    const thumbprint = await calculateJwkThumbprint(publicPart, 'sha256')
    expect(generated.kid).toBe(thumbprint)
    // And the issuer's file now holds the other key (unchanged, first) and the new public key, not the leaked one
    const {keys} = await readJwks()
    expect(keys.map((key) => key.kid)).toEqual(['other-1', thumbprint])
    expect(keys[0]).toEqual({kid: 'other-1', use: 'sig', alg: 'ES256', ...world.other.publicJwk})
    expect(keys[1]).toEqual({kty: 'RSA', n: generated.n, e: generated.e, kid: thumbprint, alg: 'RS256', use: 'sig'})
    // And it was replaced atomically (no temp file left) with the original kept in the artifacts, 0600
    expect(await readdir(join(world.dir, 'keys'))).toEqual(['auth-main.jwks.json'])
    const backup = join(world.dir, 'backups', 'jwks-file', 'auth-main.before-add.json')
    expect(await readFile(backup, 'utf8')).toBe(world.jwksText)
    expect((await stat(backup)).mode & 0o777).toBe(0o600)
    // And the output says where the private key is and what to do, without printing it
    expect(stdout).toContain(out)
    expect(stdout).toContain(`kid ${thumbprint}`)
    expect(stdout).toContain('cannot switch signing')
    const texts = [stdout, stderr]
    for (const needle of [...world.needles, ...privateNeedles(generated as Record<string, unknown>)]) {
      for (const text of texts) expect(text).not.toContain(needle)
    }
  })

  it('writes the private key next to the command by default and says where', async () => {
    // When rotating without --out, as JSON
    const {result, stdout, error} = await run<KeyChangeOutcome>([
      'key',
      'rotate',
      '--key',
      world.keyFile,
      '--issuer',
      'auth-main',
      '--yes',
      '--json',
    ])
    // Then the key is at ./jwkr-replacement-<kid>.private.jwk.json, named in the JSON document
    expect(error).toBeUndefined()
    const replacement = result?.replacement
    expect(replacement?.privateKeyFile).toBe(join(world.dir, `jwkr-replacement-${replacement?.kid}.private.jwk.json`))
    expect((await stat(replacement?.privateKeyFile ?? '')).mode & 0o777).toBe(0o600)
    // And stdout is one JSON document without any private value of either key
    const document = JSON.parse(stdout) as KeyChangeOutcome
    expect(document.issuers[0]).toMatchObject({issuerId: 'auth-main', status: 'changed'})
    const generated = JSON.parse(await readFile(replacement?.privateKeyFile ?? '', 'utf8')) as Record<string, unknown>
    for (const needle of [...world.needles, ...privateNeedles(generated)]) expect(stdout).not.toContain(needle)
    // And a second rotation refuses to overwrite an existing key file given with --out
    const again = await run([
      'key',
      'rotate',
      '--key',
      world.keyFile,
      '--issuer',
      'auth-main',
      '--out',
      replacement?.privateKeyFile ?? '',
      '--yes',
    ])
    expect(exitCodeOf(again.error)).toBe(1)
    expect(again.stderr).toContain('never overwrites a key file')
  })

  it('rotates at Auth0 and Keycloak through their APIs, generating no key of its own', async () => {
    // When the key is rotated at the Auth0 tenant and the Keycloak realm
    const {result, error} = await run<KeyChangeOutcome>([
      'key',
      'rotate',
      '--key',
      world.keyFile,
      '--issuer',
      'auth-zero',
      '--issuer',
      'sso',
      '--yes',
      '--json',
    ])
    // Then both changed, the IdPs' own keys sign now, and no key file was written
    expect(error).toBeUndefined()
    expect(result?.replacement).toBeNull()
    expect(result?.issuers.map((issuer) => [issuer.issuerId, issuer.status])).toEqual([
      ['auth-zero', 'changed'],
      ['sso', 'changed'],
    ])
    expect(result?.issuers.every((issuer) => issuer.result?.signingSwitched === true)).toBe(true)
    expect((await readdir(world.dir)).filter((name) => name.startsWith('jwkr-replacement'))).toEqual([])
    // And Auth0 rotated then revoked the leaked kid; Keycloak added a provider then deleted the leaked one
    const auth0Lines = world.auth0.requests.map((item) => `${item.method} ${item.path}`)
    expect(auth0Lines).toContain('POST /api/v2/keys/signing/rotate')
    expect(auth0Lines).toContain('PUT /api/v2/keys/signing/leaked-1/revoke')
    expect(world.auth0.keys.find((key) => key.kid === 'leaked-1')?.revoked).toBe(true)
    expect(world.keycloak.components.map((component) => component.name)).toEqual([`jwkr-${result?.incident}-sso`])
    // And no request body carried a private value
    const bodies = [...world.auth0.requests, ...world.keycloak.requests].map((item) => item.body).join('\n')
    for (const needle of world.needles) expect(bodies).not.toContain(needle)
  })

  it('with --all acts only where locate finds the key', async () => {
    // Given the key published by auth-main and auth-zero but not by sso
    // When rotating at every publishing issuer
    const {result, error} = await run<KeyChangeOutcome>(['key', 'rotate', '--key', world.keyFile, '--all', '--yes', '--json'])
    // Then auth-zero (an API issuer) went first, then auth-main, and sso was left alone
    expect(error).toBeUndefined()
    expect(result?.issuers.map((issuer) => issuer.issuerId)).toEqual(['auth-zero', 'auth-main'])
    expect(world.keycloak.requests).toEqual([])
  })

  it('goes on with the other issuers when one fails, and exits 1 saying which', async () => {
    // Given no Keycloak credentials
    delete process.env.KEYCLOAK_TOKEN
    // When rotating at sso and auth-main
    const {stdout, stderr, error} = await run([
      'key',
      'rotate',
      '--key',
      world.keyFile,
      '--issuer',
      'sso',
      '--issuer',
      'auth-main',
      '--yes',
    ])
    // Then auth-main is rotated, sso failed with what to do, and the exit code is 1
    expect(exitCodeOf(error)).toBe(1)
    expect((await readJwks()).keys.map((key) => key.kid)).not.toContain('leaked-1')
    expect(stdout).toContain('KEYCLOAK_TOKEN')
    expect(stderr).toContain('The rotate failed at sso.')
  })

  it('dry run: prints the plan and the JWKS diff, makes no request and changes no file', async () => {
    // Given the folder as it is
    const before = await world.snapshot()
    // When every issuer is dry-run, in text and as JSON
    const text = await run(['key', 'rotate', '--key', world.keyFile, '--all', '--dry-run'])
    const json = await run<KeyChangeOutcome>(['key', 'rotate', '--key', world.keyFile, '--all', '--dry-run', '--json'])
    // Then nothing was asked of any server and nothing on disk changed
    expect(world.requests()).toEqual([])
    expect(await world.snapshot()).toEqual(before)
    // And the plan names each issuer's calls and the file diff: leaked key out, new key in, other kept
    expect(text.error).toBeUndefined()
    expect(text.stdout).toContain('dry run')
    expect(text.stdout).toContain('POST https://tenant.eu.auth0.com/api/v2/keys/signing/rotate')
    expect(text.stdout).toContain('https://sso.example.com/admin/realms/acme/components')
    expect(text.stdout).toMatch(/- key 2 kid leaked-1 \(thumbprint [\w-]{43}\)/)
    expect(text.stdout).toContain('1 other key kept, in order')
    // And the replacement, not made yet, is named in words (once read "kid (the new key’s thumbprint)" in parentheses twice)
    expect(text.stdout).toContain('Append the new public key (kid: the new key’s thumbprint) atomically')
    expect(json.result?.jwksDiffs).toEqual([
      {
        issuerId: 'auth-main',
        path: world.jwksFile,
        added: [{kid: '(the new key’s thumbprint)'}],
        removed: [{index: 1, kid: 'leaked-1', thumbprint: world.leaked.thumbprint}],
        kept: 1,
        error: null,
      },
    ])
    expect(json.result?.issuers.every((issuer) => issuer.status === 'planned' && issuer.plan.length > 0)).toBe(true)
  })

  it('dry run: names a JWKS file it cannot read, and still plans the other issuers', async () => {
    // Given the file issuer's JWKS is missing
    await rm(world.jwksFile)
    // When the rotation is dry-run at it and at the realm
    const {result, error} = await run<KeyChangeOutcome>([
      'key',
      'rotate',
      '--key',
      world.keyFile,
      '--issuer',
      'auth-main',
      '--issuer',
      'sso',
      '--dry-run',
      '--json',
    ])
    // Then the diff says why, and Keycloak's calls are planned all the same
    expect(error).toBeUndefined()
    expect(result?.jwksDiffs[0]?.error).toContain('does not exist')
    expect(result?.issuers.find((issuer) => issuer.issuerId === 'sso')?.plan.length).toBeGreaterThan(0)
  })

  it('refuses to change anything without a terminal unless --yes is given', async () => {
    // Given the folder as it is
    const before = await world.snapshot()
    // When rotating without --yes (tests have no terminal)
    const {stderr, error} = await run(['key', 'rotate', '--key', world.keyFile, '--issuer', 'auth-main', '--issuer', 'sso'])
    // Then it exits 1 saying --yes is needed, and nothing changed anywhere
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain('--yes')
    expect(await world.snapshot()).toEqual(before)
    // And with --all it refuses before even locating the key
    const all = await run(['key', 'rotate', '--key', world.keyFile, '--all'])
    expect(exitCodeOf(all.error)).toBe(1)
    expect(world.requests()).toEqual([])
  })

  it('asks which issuers when given neither --issuer nor --all, listing them (exit 2)', async () => {
    // When no issuer is named
    const {stderr, error} = await run(['key', 'rotate', '--key', world.keyFile, '--yes'])
    // Then it is a usage error that lists the inventory's issuers
    expect(exitCodeOf(error)).toBe(2)
    expect(stderr).toContain('--issuer ID')
    expect(stderr).toContain('auth-main, auth-zero, sso')
    // And an unknown issuer is refused the same way
    const unknown = await run(['key', 'rotate', '--key', world.keyFile, '--issuer', 'auth-mian', '--yes'])
    expect(exitCodeOf(unknown.error)).toBe(2)
    expect(unknown.stderr).toContain('"auth-mian"')
  })
})
