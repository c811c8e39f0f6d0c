import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK} from 'jose'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {startIssuerServer, type IssuerServer} from '../../src/drill/issuer-server.js'

async function rsaKey(kid: string): Promise<{privateJwk: JWK; publicJwk: JWK}> {
  const {privateKey} = await generateKeyPair('RS256', {extractable: true})
  const privateJwk = {...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig'}
  const {d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk} = privateJwk
  return {privateJwk, publicJwk}
}

describe('the drill issuer', () => {
  let dir: string
  let issuer: IssuerServer | undefined
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jwkr-issuer-'))
    await mkdir(join(dir, 'keys'))
    await mkdir(join(dir, 'artifacts', 'keys'), {recursive: true})
  })
  afterEach(async () => {
    await issuer?.close()
    issuer = undefined
    await rm(dir, {recursive: true, force: true})
  })

  const start = async (keys: JWK[]) => {
    const jwksFile = join(dir, 'jwks.json')
    await writeFile(jwksFile, JSON.stringify({keys}))
    issuer = await startIssuerServer({
      jwksFile,
      keyDirs: [join(dir, 'keys'), join(dir, 'artifacts')],
      issuedLog: join(dir, 'issued.log'),
      users: [{sub: 'alice', email: 'alice@example.com'}],
      audiences: ['billing-api', 'orders-api'],
      jwksMaxAgeSeconds: 3,
    })
    return {issuer, jwksFile}
  }
  const token = async (body: string, contentType = 'application/x-www-form-urlencoded') => {
    const response = await fetch(issuer?.tokenUrl ?? '', {method: 'POST', headers: {'content-type': contentType}, body})
    return {status: response.status, body: (await response.json()) as Record<string, unknown>}
  }

  it('serves its discovery document and its JWKS file as it is now, with a short Cache-Control', async () => {
    // Given an issuer whose JWKS file holds one key
    const current = await rsaKey('k1')
    await writeFile(join(dir, 'keys', 'k1.json'), JSON.stringify(current.privateJwk))
    const {jwksFile} = await start([current.publicJwk])

    // When its discovery document and JWKS are fetched, then the file changes and the JWKS is fetched again
    const discovery = (await (await fetch(issuer!.discoveryUrl)).json()) as Record<string, unknown>
    const first = await fetch(issuer!.jwksUri)
    const firstKeys = ((await first.json()) as {keys: JWK[]}).keys
    await writeFile(jwksFile, JSON.stringify({keys: []}))
    const second = ((await (await fetch(issuer!.jwksUri)).json()) as {keys: JWK[]}).keys

    // Then discovery points at the JWKS and token endpoints, and the JWKS follows the file
    expect(discovery).toMatchObject({issuer: issuer!.issuer, jwks_uri: issuer!.jwksUri, token_endpoint: issuer!.tokenUrl})
    expect(first.headers.get('cache-control')).toBe('public, max-age=3')
    expect(firstKeys.map((key) => key.kid)).toEqual(['k1'])
    expect(second).toEqual([])
  })

  it('mints tokens for known users (form or JSON), logs their jti, and refuses the rest as OAuth does', async () => {
    // Given an issuer with one user
    const current = await rsaKey('k1')
    await writeFile(join(dir, 'keys', 'k1.json'), JSON.stringify(current.privateJwk))
    await start([current.publicJwk])

    // When tokens are asked for with a password grant, with JSON, for a stranger, and with another grant
    const form = await token('grant_type=password&username=alice&password=x&audience=billing-api')
    const json = await token(JSON.stringify({sub: 'alice'}), 'application/json')
    const stranger = await token('grant_type=password&username=mallory')
    const grant = await token('grant_type=client_credentials&client_id=x')
    const empty = await token('grant_type=password')

    // Then the known user gets signed tokens, each logged by jti; the others get OAuth errors
    expect(form.status).toBe(200)
    expect(form.body).toMatchObject({token_type: 'Bearer', expires_in: 300})
    const claims = decodeJwt(form.body.access_token as string)
    expect(claims).toMatchObject({iss: issuer!.issuer, sub: 'alice', aud: 'billing-api'})
    expect(decodeJwt(json.body.access_token as string).aud).toEqual(['billing-api', 'orders-api'])
    expect(decodeProtectedHeader(form.body.access_token as string)).toMatchObject({alg: 'RS256', kid: 'k1'})
    const issued = (await readFile(join(dir, 'issued.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as {jti: string})
    expect(issued.map((entry) => entry.jti)).toEqual([claims.jti, decodeJwt(json.body.access_token as string).jti])
    expect(stranger).toMatchObject({status: 400, body: {error: 'invalid_grant'}})
    expect(grant).toMatchObject({status: 400, body: {error: 'unsupported_grant_type'}})
    expect(empty).toMatchObject({status: 400, body: {error: 'invalid_request'}})
  })

  it('signs with the newest published key it holds: a replacement jwkr wrote to the artifacts takes over', async () => {
    // Given an issuer signing with k1
    const old = await rsaKey('k1')
    const replacement = await rsaKey('k2')
    await writeFile(join(dir, 'keys', 'k1.json'), JSON.stringify(old.privateJwk))
    const {jwksFile} = await start([old.publicJwk])
    const before = decodeProtectedHeader((await issuer!.mint('alice')).token).kid

    // When k2 is appended to the JWKS but its private half is not yet anywhere, then is written to the artifacts
    await writeFile(jwksFile, JSON.stringify({keys: [old.publicJwk, replacement.publicJwk]}))
    const published = decodeProtectedHeader((await issuer!.mint('alice')).token).kid
    await writeFile(join(dir, 'artifacts', 'keys', 'replacement.private.jwk.json'), JSON.stringify(replacement.privateJwk))
    const switched = decodeProtectedHeader((await issuer!.mint('alice')).token).kid

    // Then it keeps k1 until it holds k2, then signs with k2
    expect([before, published, switched]).toEqual(['k1', 'k1', 'k2'])
  })

  it('answers 503 when it holds the private half of no published key (the leaked key revoked, none rotated in)', async () => {
    // Given an issuer whose only key was removed from its JWKS
    const old = await rsaKey('k1')
    await writeFile(join(dir, 'keys', 'k1.json'), JSON.stringify(old.privateJwk))
    await start([])

    // When a token is asked for
    const answer = await token('grant_type=password&username=alice')

    // Then the endpoint says it cannot sign
    expect(answer).toMatchObject({status: 503, body: {error: 'temporarily_unavailable'}})
  })
})
