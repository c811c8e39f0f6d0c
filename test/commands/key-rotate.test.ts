// `jwkr key rotate` end to end: a real jwks-file issuer (atomic change, backup, other keys kept in
// order, the new private key only in a 0600 file), Auth0 and Keycloak through their doubles, a dry
// run that makes no request and writes no file and refuses what the run refuses (exiting alike), no
// key generated where nothing is rotated, backups without the leaked private members, the --yes rule
// without a terminal, and no private value (leaked or generated) in any output, request or file.
import {copyFile, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
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

/** `jwkr key rotate --key <leaked> --issuer …` with more flags. */
const rotateAt = (issuers: string[], ...flags: string[]) =>
  run<KeyChangeOutcome>(['key', 'rotate', '--key', world.keyFile, ...issuers.flatMap((id) => ['--issuer', id]), ...flags])

/** Rotation at the file issuer with --out, dry-run and real, as text and as JSON, with nothing changed in between. */
async function everyWay(out: string) {
  const dry = await rotateAt(['auth-main'], '--out', out, '--dry-run')
  const dryJson = await rotateAt(['auth-main'], '--out', out, '--dry-run', '--json')
  const real = await rotateAt(['auth-main'], '--out', out, '--yes')
  const realJson = await rotateAt(['auth-main'], '--out', out, '--yes', '--json')
  return {dry, dryJson, real, realJson}
}

/** The file issuer's JWKS without the leaked key (an earlier rotation, or the wrong file). */
const dropLeaked = () => writeFile(world.jwksFile, `${JSON.stringify({keys: [{kid: 'other-1', ...world.other.publicJwk}]})}\n`)

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
    // And a second rotation (the leaked key put back) refuses to overwrite an existing key file given with --out
    await writeFile(world.jwksFile, world.jwksText)
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

  it('dry run: names a JWKS file it cannot read, and still plans the other issuers, exiting 1 as the run would', async () => {
    // Given the file issuer's JWKS is missing
    await rm(world.jwksFile)
    // When the rotation is dry-run at it and at the realm
    const {stdout, error} = await rotateAt(['auth-main', 'sso'], '--dry-run', '--json')
    // Then the diff and the issuer say why, Keycloak's calls are planned all the same, and it exits 1 as the run would
    expect(exitCodeOf(error)).toBe(1)
    const result = JSON.parse(stdout) as KeyChangeOutcome
    expect(result?.jwksDiffs[0]?.error).toContain('does not exist')
    expect(result?.issuers.find((issuer) => issuer.issuerId === 'auth-main')).toMatchObject({
      status: 'failed',
      error: {code: 'ERR_KEY_SOURCE_INVALID'},
    })
    expect(result?.issuers.find((issuer) => issuer.issuerId === 'sso')).toMatchObject({status: 'planned'})
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

  describe('a JWKS file that also publishes private members of other keys', () => {
    /** The file with the leaked key (public) and the other key with its private member d. */
    const exposeOther = async () => {
      const text = `${JSON.stringify(
        {
          keys: [
            {kid: 'other-1', use: 'sig', alg: 'ES256', ...world.other.privateJwk},
            {kid: 'leaked-1', use: 'sig', alg: 'RS256', ...world.leaked.publicJwk},
          ],
        },
        null,
        2,
      )}\n`
      await writeFile(world.jwksFile, text)
    }

    it('dry run refuses it as the run does: same exit code and error, kid and member names only, nothing written', async () => {
      // Given the file exposes the other key too
      await exposeOther()
      const before = await world.snapshot()
      // When it is dry-run (text and JSON), then run for real
      const {dry, dryJson, real, realJson} = await everyWay(join(world.dir, 'next.private.jwk.json'))
      // Then the dry run says the rotation would fail there, naming the exposed key and its member, and exits 1 like the run
      expect(dry.stdout).toContain('auth-main (jwks-file) ✗ would fail')
      expect(dry.stdout).toContain('publishes private members of other keys too (key 1 (kid other-1): d)')
      expect(dry.stdout).toContain('Nothing would be rotated: auth-main would fail (its error says why).')
      expect(dry.stdout).not.toContain('○ planned')
      expect(dry.stderr).toContain('The rotate would fail at auth-main.')
      expect(exitCodeOf(dry.error)).toBe(1)
      expect(exitCodeOf(real.error)).toBe(exitCodeOf(dry.error))
      expect(exitCodeOf(dryJson.error)).toBe(1)
      expect(exitCodeOf(realJson.error)).toBe(1)
      // And the JSON documents agree on the refusal; the dry run's diff shows it instead of a change
      const dryDoc = JSON.parse(dryJson.stdout) as KeyChangeOutcome
      const realDoc = JSON.parse(realJson.stdout) as KeyChangeOutcome
      expect(dryDoc.issuers[0]).toMatchObject({status: 'failed', error: {code: 'ERR_JWKS_PRIVATE_MEMBERS'}})
      expect(dryDoc.issuers[0]?.error).toEqual(realDoc.issuers[0]?.error)
      expect(dryDoc.jwksDiffs[0]).toMatchObject({removed: [], added: [], error: dryDoc.issuers[0]?.error?.message})
      // And the run generated no key, attempted nothing and wrote nothing (no backup, the file as it was)
      expect(real.stdout).toContain('Nothing was rotated, and no new key was generated: auth-main failed (its error says why).')
      expect(real.stdout).not.toContain('New key')
      expect(realDoc.replacement).toBeNull()
      expect(await world.snapshot()).toEqual(before)
      // And no private value of either key shows anywhere
      const texts = [dry, dryJson, real, realJson].flatMap((item) => [item.stdout, item.stderr])
      for (const needle of [...world.needles, ...privateNeedles(world.other.privateJwk)]) {
        for (const text of texts) expect(text).not.toContain(needle)
      }
    })
  })

  describe('when nothing can be rotated', () => {
    it('writes no key when the leaked key is not in the file, says nothing was rotated, and exits 1', async () => {
      // Given the file no longer holds the leaked key (an earlier rotation, or the wrong file)
      await dropLeaked()
      const before = await world.snapshot()
      // When it is rotated there, as text and as JSON, and dry-run
      const {dry, dryJson, real: text, realJson: json} = await everyWay(join(world.dir, 'next.private.jwk.json'))
      // Then no key file was written, nothing changed, and it says so instead of "hand it to the signer"
      expect(await world.snapshot()).toEqual(before)
      expect(text.stdout).toContain('auth-main (jwks-file) · not-found')
      expect(text.stdout).toContain(
        'Nothing was rotated, and no new key was generated: the leaked key is not in the key source of auth-main.',
      )
      expect(text.stdout).not.toContain('New key')
      expect(text.stdout).not.toContain('hand it to the signer')
      // And it exits 1 with what to check, the dry run too
      expect(exitCodeOf(text.error)).toBe(1)
      expect(text.stderr).toContain('Nothing was rotated: the leaked key is not in the key source of auth-main.')
      expect(text.stderr).toContain('jwkr verify')
      expect(exitCodeOf(dry.error)).toBe(1)
      expect(exitCodeOf(dryJson.error)).toBe(1)
      expect(dry.stderr).toContain('Nothing would be rotated')
      // And the JSON document says the same: no replacement, not found
      expect(exitCodeOf(json.error)).toBe(1)
      const document = JSON.parse(json.stdout) as KeyChangeOutcome
      expect(document.replacement).toBeNull()
      expect(document.issuers.map((issuer) => [issuer.issuerId, issuer.status])).toEqual([['auth-main', 'not-found']])
      for (const needle of world.needles) {
        for (const out of [text, json, dry, dryJson]) expect(out.stdout + out.stderr).not.toContain(needle)
      }
    })

    it('a second rotation after a successful one generates no second key', async () => {
      // Given the key was rotated at the file issuer
      const first = await rotateAt(['auth-main'], '--yes', '--json')
      expect(first.error).toBeUndefined()
      const keysAfterFirst = (await readdir(world.dir)).filter((name) => name.startsWith('jwkr-replacement'))
      expect(keysAfterFirst).toHaveLength(1)
      // When it is run again
      const again = await rotateAt(['auth-main'], '--yes')
      // Then it exits 1 saying nothing was rotated, and no second key file exists
      expect(exitCodeOf(again.error)).toBe(1)
      expect(again.stdout).toContain('no new key was generated')
      expect((await readdir(world.dir)).filter((name) => name.startsWith('jwkr-replacement'))).toEqual(keysAfterFirst)
    })

    it('succeeds where another issuer changed, and generates no key when no file issuer will publish it', async () => {
      // Given the file issuer lacks the key while the Keycloak realm signs with it
      await dropLeaked()
      // When both are rotated
      const {result, error} = await rotateAt(['auth-main', 'sso'], '--yes', '--json')
      // Then the realm changed, the file is reported not found, it exits 0, and no key was made for the file
      expect(error).toBeUndefined()
      expect(result?.issuers.map((issuer) => [issuer.issuerId, issuer.status])).toEqual([
        ['sso', 'changed'],
        ['auth-main', 'not-found'],
      ])
      expect(result?.replacement).toBeNull()
      expect((await readdir(world.dir)).filter((name) => name.startsWith('jwkr-replacement'))).toEqual([])
    })
  })

  it('refuses a leaked shared secret at a key-set issuer before generating one, in the dry run and the run alike', async () => {
    // Given the leaked key is a shared secret (HS256), and the issuer publishes a key set
    const secret = {kty: 'oct', k: 'aHMyNTYtc2hhcmVkLXNlY3JldC10aGF0LWxlYWtlZC0wMTIzNDU2Nzg5YWJjZGVm', kid: 'hs-1', alg: 'HS256'}
    const keyFile = join(world.dir, 'secret.json')
    await writeFile(keyFile, JSON.stringify(secret))
    const before = await world.snapshot()
    const args = ['key', 'rotate', '--key', keyFile, '--issuer', 'auth-main']
    // When it is dry-run, then run
    const dry = await run([...args, '--dry-run'])
    const real = await run([...args, '--yes'])
    // Then both say a shared secret is never published there, and exit 1
    for (const out of [dry, real]) {
      expect(exitCodeOf(out.error)).toBe(1)
      expect(out.stdout).toContain('a shared secret is never published')
      expect(out.stdout).not.toContain('New key')
      for (const needle of privateNeedles(secret)) expect(out.stdout + out.stderr).not.toContain(needle)
    }
    // And no new secret was written, and nothing changed
    expect(await world.snapshot()).toEqual(before)
  })

  it('backs up a JWKS file that served the leaked private key without those members; a restore publishes the public ones', async () => {
    // Given the issuer's file served the leaked key with its private members
    const served = {
      keys: [
        {kid: 'other-1', ...world.other.publicJwk},
        {...world.leaked.privateJwk, kid: 'leaked-1'},
      ],
    }
    await writeFile(world.jwksFile, `${JSON.stringify(served, null, 2)}\n`)
    // When the key is rotated there
    const {stdout, stderr, error} = await rotateAt(['auth-main'], '--artifacts', 'backups', '--yes')
    expect(error?.message).toBeUndefined()
    // Then no backup holds a private member of the leaked key, and the output says where they are not
    const folder = join(world.dir, 'backups', 'jwks-file')
    const backups = await readdir(folder)
    expect(backups.sort()).toEqual(['auth-main.before-add.json', 'auth-main.before-remove.json'])
    for (const name of backups) {
      const text = await readFile(join(folder, name), 'utf8')
      for (const needle of world.needles) expect(text).not.toContain(needle)
      expect((await stat(join(folder, name))).mode & 0o777).toBe(0o600)
    }
    expect(stdout).toContain("leave them out: restoring one publishes the key's public members only")
    // And restoring the first backup publishes the leaked key's public members and nothing private
    await copyFile(join(folder, 'auth-main.before-add.json'), world.jwksFile)
    const restored = await readJwks()
    expect(restored.keys.find((key) => key.kid === 'leaked-1')).toEqual({kid: 'leaked-1', ...world.leaked.publicJwk})
    // And no output shows one either
    for (const needle of world.needles) for (const text of [stdout, stderr]) expect(text).not.toContain(needle)
  })
})
