import {existsSync} from 'node:fs'
import {readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {generateKeyPair, SignJWT, type JWK} from 'jose'
import {afterEach, describe, expect, it} from 'vitest'

import {mergeIntoDenylistFile} from '../../src/adapters/denylist/file-store.js'
import {checkInventory} from '../../src/core/inventory/load-inventory.js'
import type {LocateResult} from '../../src/core/inventory/locate.js'
import {buildWorld, type World} from '../../src/drill/build-world.js'
import {loadScenario} from '../../src/drill/load-scenario.js'
import {exitCodeOf, run} from '../helpers/run.js'
import {childPids, connectTo, openHandles, portOf, privateValues, probe, rejection, tempHome, waitUntil} from './helpers.js'

describe('the drill world', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  const build = async (options: Omit<Parameters<typeof buildWorld>[0], 'home'>): Promise<World> => {
    const {home, remove} = await tempHome()
    cleanups.push(remove)
    const world = await buildWorld({home, ...options})
    cleanups.push(world.close)
    return world
  }
  const token = async (world: World, username = 'alice', scope?: string) => {
    const response = await fetch(world.urls.token, {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded'},
      body: `grant_type=password&username=${username}${scope === undefined ? '' : `&scope=${encodeURIComponent(scope)}`}`,
    })
    return ((await response.json()) as {access_token: string}).access_token
  }
  const removeLeakedKey = async (world: World) => {
    const jwks = JSON.parse(await readFile(world.jwksPath, 'utf8')) as {keys: JWK[]}
    await writeFile(world.jwksPath, JSON.stringify({keys: jwks.keys.filter((key) => key.kid !== world.leak.kid)}))
  }
  const leakedJwk = async (world: World) => JSON.parse(await readFile(world.leakPath, 'utf8')) as Record<string, unknown>
  /** The basic scenario with every service on jose (whose cache drops a removed key at its max-age, however often asked). */
  const joseOnly = async () => {
    const basic = await loadScenario('basic')
    return {...basic, world: {...basic.world, verifiers: ['jose' as const]}}
  }

  it('builds an organisation whose every service accepts the issuer’s tokens, and close() leaves nothing listening or running', async () => {
    // Given what this process has open before the world
    const handlesBefore = openHandles()
    const childrenBefore = await childPids()

    // When a three-service world is built, used and closed
    const world = await build({scenario: 'basic', services: 3, cacheSeconds: [1, 2]})
    const discovery = (await (await fetch(world.urls.discovery)).json()) as Record<string, string>
    const jwks = (await (await fetch(world.urls.jwks)).json()) as {keys: JWK[]}
    const accessToken = await token(world, 'bob')
    const statuses = await Promise.all(world.services.map((service) => probe(service.url, accessToken)))
    const ports = [world.urls.issuer, world.urls.slack, world.urls.github, ...world.services.map((service) => service.url)].map(
      portOf,
    )
    const openBefore = await Promise.all(ports.map(connectTo))
    await world.close()
    await world.close()

    // Then the issuer published its two public keys and every service said yes to bob
    expect(discovery).toMatchObject({issuer: world.urls.issuer, jwks_uri: world.urls.jwks, token_endpoint: world.urls.token})
    expect(jwks.keys.map((key) => key.kid)).toEqual([expect.stringMatching(/^auth-/), world.leak.kid])
    expect(jwks.keys.every((key) => key.d === undefined)).toBe(true)
    expect(statuses).toEqual([200, 200, 200])
    expect(world.services.map((service) => [service.cacheSeconds, service.guarded])).toEqual([
      [1, false],
      [2, true],
      [1, false],
    ])
    // And afterwards every port refuses connections, no handle is left open, and no process was started
    expect(openBefore).toEqual(ports.map(() => 'connected'))
    expect(await Promise.all(ports.map(connectTo))).toEqual(ports.map(() => 'ECONNREFUSED'))
    await waitUntil(async () => JSON.stringify(openHandles()) === JSON.stringify(handlesBefore), 2000, 'the handles are released')
    expect(await childPids()).toEqual(childrenBefore)
  })

  it('lays out its folder privately, writes an inventory that validates, and never copies the private key outside its key files', async () => {
    // Given a world
    const world = await build({scenario: 'basic', services: 2})
    const needles = privateValues(await leakedJwk(world))

    // When its inventory is checked and its files are read
    const text = await readFile(world.inventoryPath, 'utf8')
    const {inventory, problems} = checkInventory(text, world.inventoryPath)
    const keyFiles = await readdir(world.keysDir)
    const manifest = JSON.parse(await readFile(join(world.dir, 'world.json'), 'utf8')) as {
      services: Array<{id: string; url: string}>
    }

    // Then the inventory describes the world as it runs
    expect(problems).toEqual([])
    expect(inventory?.issuers).toEqual([
      {
        id: 'drill-auth',
        issuer: world.urls.issuer,
        discovery: world.urls.discovery,
        keySource: {type: 'jwks-file', path: world.jwksPath},
      },
    ])
    expect(
      inventory?.services.map((service) => [service.id, service.probe?.url, service.jwksCacheSeconds, service.trusts]),
    ).toEqual(world.services.map((service) => [service.id, service.url, service.declaredCacheSeconds, ['drill-auth']]))
    expect(inventory?.services[0]?.contacts).toEqual({slack: '#payments-oncall', email: 'payments-lead@example.com'})
    expect(inventory?.services.flatMap((service) => service.logs ?? [])).toEqual(
      world.services.map((service) => join(world.logDir, service.id)),
    )
    expect(inventory?.notify).toEqual({slack: {channel: '#sec-incidents'}, github: {repo: 'drill-org/security-incidents'}})
    expect(world.env).toEqual({
      SLACK_API_URL: `${world.slack.origin}/api/`,
      SLACK_TOKEN: expect.stringMatching(/^xoxb-drill-/),
      GITHUB_API_URL: `${world.github.origin}/api/v3`,
      GITHUB_TOKEN: expect.stringMatching(/^ghp_drill[0-9a-f]{31}$/),
    })
    expect(manifest.services.map((service) => service.url)).toEqual(world.services.map((service) => service.url))
    // And the world is under the drill's incident folder, private to the user
    expect(world.dir).toBe(join(world.incident.dir, 'world'))
    expect(world.incident).toMatchObject({drill: true, id: world.id})
    expect((await stat(world.dir)).mode & 0o777).toBe(0o700)
    expect(keyFiles.sort()).toEqual(
      [expect.stringMatching(/^auth-.*\.private\.jwk\.json$/), `${world.leak.kid}.private.jwk.json`].sort(),
    )
    for (const file of [...keyFiles.map((name) => join(world.keysDir, name)), world.leakPath])
      expect((await stat(file)).mode & 0o777).toBe(0o600)
    // And no private value appears in anything else it wrote
    const written = await Promise.all(
      [
        world.inventoryPath,
        world.jwksPath,
        world.denylistPath,
        world.issuedLogPath,
        join(world.dir, 'world.json'),
        join(world.dir, 'env.sh'),
        ...world.logPaths,
      ].map((file) => readFile(file, 'utf8')),
    )
    for (const needle of needles) for (const content of written) expect(content).not.toContain(needle)
  })

  it('once the leaked key leaves the JWKS file, each service rejects its token when its own cache runs out', async () => {
    // Given a world of jose services with a 1 s and a 4 s cache, and a token every service accepts now
    const world = await build({scenario: await joseOnly(), services: 2, cacheSeconds: [1, 4]})
    const accessToken = await token(world)
    expect(await Promise.all(world.services.map((service) => probe(service.url, accessToken)))).toEqual([200, 200])

    // When the leaked key is removed from the issuer's JWKS file
    await removeLeakedKey(world)
    const rightAfter = await probe(world.services[1]!.url, accessToken)

    // Then the 4 s service still accepts it for now, and each one rejects it within its cache lifetime (and a margin)
    expect(rightAfter).toBe(200)
    for (const service of world.services) {
      await waitUntil(
        async () => (await probe(service.url, accessToken)) === 401,
        (service.cacheSeconds + 2) * 1000,
        `${service.id} rejects the token`,
      )
    }
    expect(world.services[1]!.relyingParty.requests.at(-1)?.error).toBe('ERR_JWKS_NO_MATCHING_KEY')
  })

  it('a denylist-guarded service rejects the key as soon as the denylist file lists it; an unguarded one keeps its cache', async () => {
    // Given two services caching for a minute, the second behind the denylist guard
    const world = await build({scenario: 'basic', services: 2, cacheSeconds: [60]})
    const accessToken = await token(world)
    const [plain, guarded] = world.services
    expect(guarded?.guarded).toBe(true)
    expect([await probe(plain!.url, accessToken), await probe(guarded!.url, accessToken)]).toEqual([200, 200])

    // When jwkr's denylist file store adds the leaked key's thumbprint
    await mergeIntoDenylistFile(
      world.denylistPath,
      [
        {
          thumbprint: world.leak.thumbprint,
          kid: world.leak.kid,
          iss: world.urls.issuer,
          notBefore: new Date().toISOString(),
          reason: 'key-compromise',
        },
      ],
      new Date(),
    )

    // Then the guarded service refuses at once (within the guard's follow interval); the other still accepts
    await waitUntil(async () => (await probe(guarded!.url, accessToken)) === 401, 3000, 'the guarded service rejects the token')
    expect(guarded!.relyingParty.requests.at(-1)?.error).toBe('ERR_JWKR_KEY_DENYLISTED')
    expect(await probe(plain!.url, accessToken)).toBe(200)
  })

  it('stubborn-cache: one service keeps the removed key for ten minutes until its cache-bust hook is called', async () => {
    // Given the stubborn-cache scenario with three services caching 1 s, but the third 600 s
    const world = await build({scenario: 'stubborn-cache', services: 3, cacheSeconds: [1]})
    const stubborn = world.services[2]!
    const inventory = checkInventory(await readFile(world.inventoryPath, 'utf8'), world.inventoryPath).inventory
    const accessToken = await token(world)
    expect(await Promise.all(world.services.map((service) => probe(service.url, accessToken)))).toEqual([200, 200, 200])

    // When the leaked key is removed and the other services have let it go
    await removeLeakedKey(world)
    for (const service of world.services.slice(0, 2)) {
      await waitUntil(async () => (await probe(service.url, accessToken)) === 401, 3000, `${service.id} rejects the token`)
    }
    const beforeBust = await probe(stubborn.url, accessToken)
    const bust = await fetch(stubborn.reloadUrl ?? '', {method: 'POST'})
    await bust.arrayBuffer()
    const afterBust = await probe(stubborn.url, accessToken)

    // Then it accepted the key until the hook made it refetch, and the world says so
    expect(stubborn).toMatchObject({behaviour: 'stubborn-cache', cacheSeconds: 600, declaredCacheSeconds: 600, guarded: false})
    expect(inventory?.services[2]?.jwksCacheSeconds).toBe(600)
    expect(world.cacheBustServices).toEqual([stubborn.id])
    expect(world.services.slice(0, 2).map((service) => service.reloadUrl)).toEqual([null, null])
    expect([beforeBust, bust.status, afterBust]).toEqual([200, 200, 401])
  })

  it('a service that never refetches is never contained, and jwkr verify says so with exit 4', async () => {
    // Given a world whose first service keeps its first key set forever (and has no hook)
    const basic = await joseOnly()
    const world = await build({
      scenario: {...basic, faults: {...basic.faults, services: [{service: 1, behaviour: 'never-refetch'}]}},
      services: 2,
      cacheSeconds: [1],
    })
    const accessToken = await token(world)
    expect(await Promise.all(world.services.map((service) => probe(service.url, accessToken)))).toEqual([200, 200])

    // When the key is removed, the other service lets it go, and jwkr verify checks containment
    await removeLeakedKey(world)
    await waitUntil(
      async () => (await probe(world.services[1]!.url, accessToken)) === 401,
      3000,
      'the second service rejects the token',
    )
    const verify = await run<{contained: boolean; services: Array<{id: string; status: string}>}>([
      'verify',
      '--key',
      world.leakPath,
      '--inventory',
      world.inventoryPath,
      '--json',
    ])

    // Then the never-refetching service still accepts the key, and containment is not proven; the other
    // refuses it, but verify alone never saw it accept a canary, so its refusal proves nothing yet
    expect(world.services[0]).toMatchObject({behaviour: 'never-refetch', reloadUrl: null, guarded: false})
    expect(await probe(world.services[0]!.url, accessToken)).toBe(200)
    expect(exitCodeOf(verify.error)).toBe(4)
    const document = JSON.parse(verify.stdout) as {contained: boolean; services: Array<{id: string; status: string}>}
    expect(document.contained).toBe(false)
    expect(document.services.map((service) => [service.id, service.status])).toEqual([
      [world.services[0]!.id, 'exposed'],
      [world.services[1]!.id, 'undiscriminating'],
    ])
  })

  it('basic: services run get-jwks, jwks-rsa, jose and Auth0’s SDK, declared with their verifier profile and the scope the SDK requires', async () => {
    // Given the basic world of five services
    const world = await build({scenario: 'basic'})
    const {inventory} = checkInventory(await readFile(world.inventoryPath, 'utf8'), world.inventoryPath)
    const scoped = await token(world, 'alice', 'read:reports-api')
    // and a token an outsider signed with a key of their own, under the leaked key's kid
    const {privateKey} = await generateKeyPair('RS256')
    const outsider = await new SignJWT({scope: 'read:reports-api'})
      .setProtectedHeader({alg: 'RS256', kid: world.leak.kid})
      .setIssuer(world.urls.issuer)
      .setAudience(world.services.map((service) => service.id))
      .setSubject('mallory')
      .setExpirationTime('5m')
      .sign(privateKey)

    // When every service gets the issuer's token with the scope, without it, and the outsider's
    const answers = async (bearer: string) => Promise.all(world.services.map((service) => probe(service.url, bearer)))
    const withScope = await answers(scoped)
    const withoutScope = await answers(await token(world))
    const forged = await answers(outsider)

    // Then each runs the library the scenario gives it, and the inventory names its verifier profile
    // (Auth0’s SDK caches with jose) and the shape of the token it accepts
    expect(world.services.map((service) => [service.id, service.verifier, service.cacheSeconds, service.guarded])).toEqual([
      ['billing-api', 'get-jwks', 2, false],
      ['orders-api', 'jwks-rsa', 3, true],
      ['profile-api', 'jose', 4, false],
      ['search-api', 'jose', 5, true],
      ['reports-api', 'express-oauth2-jwt-bearer', 6, false],
    ])
    expect(inventory?.services.map((service) => [service.id, service.verifier, service.probe?.token])).toEqual([
      ['billing-api', 'get-jwks', undefined],
      ['orders-api', 'jwks-rsa', undefined],
      ['profile-api', 'jose', undefined],
      ['search-api', 'jose', undefined],
      ['reports-api', 'jose', {scope: 'read:reports-api'}],
    ])
    // And each accepts the issuer's token, the SDK only with its scope (403: the key was accepted), and
    // each refuses the outsider's key, in its library's own words
    expect(withScope).toEqual([200, 200, 200, 200, 200])
    expect(withoutScope).toEqual([200, 200, 200, 200, 403])
    expect(forged).toEqual([401, 401, 401, 401, 401])
    const reasons = world.services.map((service) => service.relyingParty.requests.at(-1)?.error)
    expect(reasons[0]).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
    expect(reasons[4]).toBe('signature verification failed')
    expect(world.services[4]!.relyingParty.requests.at(-2)?.error).toBe("Missing 'scope' claim")
  })

  it('jwks-serves-private: the issuer publishes the private members, services carry on, and jwkr services locate reports it', async () => {
    // Given the jwks-serves-private world
    const world = await build({scenario: 'jwks-serves-private', services: 2})
    const needles = privateValues(await leakedJwk(world))

    // When its JWKS is fetched, a token is used, and jwkr locates the key
    const jwks = (await (await fetch(world.urls.jwks)).json()) as {keys: JWK[]}
    const statuses = await Promise.all(world.services.map(async (service) => probe(service.url, await token(world))))
    const locate = await run<LocateResult>([
      'services',
      'locate',
      '--key',
      world.leakPath,
      '--inventory',
      world.inventoryPath,
      '--json',
    ])

    // Then the endpoint is the leak: the leaked key is served with d, p, q, dp, dq, qi
    const served = jwks.keys.find((key) => key.kid === world.leak.kid) as Record<string, unknown>
    expect(privateValues(served)).toEqual(needles)
    expect(world.leak.foundIn).toBe(world.urls.jwks)
    expect(statuses).toEqual([200, 200])
    // And locate finds it as a critical finding, naming the members and never their values
    const document = JSON.parse(locate.stdout) as LocateResult
    const finding = document.findings.find((item) => item.kind === 'jwks-serves-private-members')
    expect(finding).toMatchObject({severity: 'critical'})
    expect(finding?.message).toContain('d, p, q, dp, dq, qi')
    for (const needle of needles) expect(locate.stdout + locate.stderr).not.toContain(needle)
  })

  it('basic: the key sits in a repository of the fake GitHub, where code search finds it', async () => {
    // Given the basic world
    const world = await build({scenario: 'basic', services: 1})

    // When the fake GitHub's code search is asked for the key's kid, as jwkr code search would
    const response = await fetch(
      `${world.env.GITHUB_API_URL}/search/code?q=${encodeURIComponent(`"${world.leak.kid}" org:drill-org`)}`,
      {
        headers: {authorization: `token ${world.env.GITHUB_TOKEN}`},
      },
    )
    const result = (await response.json()) as {items: Array<{path: string; repository: {full_name: string}}>}

    // Then it is in the first service's repository, where the world says it was found
    expect(result.items.map((item) => `${item.repository.full_name}/${item.path}`)).toEqual([
      `drill-org/${world.services[0]!.id}/config/dev-signing-key.json`,
    ])
    expect(world.leak.foundIn).toBe(
      `${world.github.origin}/drill-org/${world.services[0]!.id}/blob/main/config/dev-signing-key.json`,
    )
  })

  it('flaky-slack and github-outage: the scenario’s faults reach the world’s Slack and GitHub', async () => {
    // Given the two worlds
    const flaky = await build({scenario: 'flaky-slack', services: 1})
    const outage = await build({scenario: 'github-outage', services: 1})

    // When chat.postMessage is called three times, and an issue is created three times
    const post = async () => {
      const response = await fetch(`${flaky.env.SLACK_API_URL}chat.postMessage`, {
        method: 'POST',
        headers: {authorization: `Bearer ${flaky.env.SLACK_TOKEN}`, 'content-type': 'application/json'},
        body: JSON.stringify({channel: '#sec-incidents', text: 'status'}),
      })
      return [response.status, response.headers.get('retry-after'), ((await response.json()) as {ok: boolean}).ok]
    }
    const posts = [await post(), await post(), await post()]
    const create = async () => {
      const response = await fetch(`${outage.env.GITHUB_API_URL}/repos/drill-org/security-incidents/issues`, {
        method: 'POST',
        headers: {authorization: `token ${outage.env.GITHUB_TOKEN}`, 'content-type': 'application/json'},
        body: JSON.stringify({title: 'Leaked key'}),
      })
      await response.arrayBuffer()
      return response.status
    }
    const creates = [await create(), await create(), await create()]

    // Then Slack rate-limits, fails once, then posts; GitHub never creates the issue
    expect(posts).toEqual([
      [429, '1', false],
      [500, null, false],
      [200, null, true],
    ])
    expect(creates).toEqual([503, 500, 500])
    expect(outage.github.repo('drill-org/security-incidents')?.issues).toEqual([])
  })

  it('refuses an unknown scenario or a bad number of services before creating anything', async () => {
    // Given an empty workspace
    const {home, remove} = await tempHome()
    cleanups.push(remove)

    // When a world is asked for with a misspelt scenario, with no services, and with Auth0's SDK
    // behind the denylist guard (which wraps a key resolver, and the SDK takes none)
    const unknown = await rejection(buildWorld({home, scenario: 'flaky-slak'}))
    const none = await rejection(buildWorld({home, scenario: 'basic', services: 0}))
    const basic = await loadScenario('basic')
    const sdk = {...basic, world: {...basic.world, verifiers: ['jose' as const, 'express-oauth2-jwt-bearer' as const]}}
    const unguardable = await rejection(buildWorld({home, scenario: sdk, services: 2}))

    // Then each is a clear error, and the workspace was not touched
    expect(unknown.code).toBe('ERR_DRILL_SCENARIO_NOT_FOUND')
    expect(unknown.message).toContain("did you mean 'flaky-slack'?")
    expect(none).toMatchObject({code: 'ERR_USAGE', exitCode: 2})
    expect(unguardable.code).toBe('ERR_DRILL_SCENARIO_INVALID')
    expect(unguardable.message).toContain('service 2 (orders-api, on express-oauth2-jwt-bearer) behind the denylist guard')
    expect(unguardable.hint).toContain('world.verifiers')
    expect(existsSync(home)).toBe(false)
  })
})
