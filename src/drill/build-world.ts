// Builds a drill's world: a small organisation on 127.0.0.1 whose signing key has leaked. It opens the
// drill's incident folder (.jwkr/drills/<id>/, where the run's journal will go) and fills world/ in
// it (0700): the issuer's keys (0600) and JWKS file, the denylist, a week of logs, the leak itself
// and the inventory describing it all; then starts the issuer, the relying parties, Slack and GitHub,
// checks that every service accepts a fresh token, and hands back what the drill needs to run.
// close() stops every server; nothing is left listening, and no process was ever started.
import {randomBytes} from 'node:crypto'
import {chmod, mkdir} from 'node:fs/promises'
import {join, relative} from 'node:path'

import {calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK} from 'jose'

import {writeDenylistFile} from '../adapters/denylist/file-store.js'
import {writeFileAtomic} from '../adapters/fs/atomic-file.js'
import {writePrivateKeyFile} from '../adapters/keys/private-key-file.js'
import {emptyDenylist} from '../core/containment/denylist.js'
import {JwkrError} from '../core/errors.js'
import {createIncident, type IncidentLocation} from '../incident/workspace.js'
import {startFakeGitHub, type FakeGitHub} from './fake-github.js'
import {startFakeSlack, type FakeSlack} from './fake-slack.js'
import {startIssuerServer, type DrillUser, type IssuerServer} from './issuer-server.js'
import {loadScenario, MAX_SERVICES, type DrillScenario, type ServiceBehaviour} from './load-scenario.js'
import {makeLogs, type LogSigningKey, type MadeLogs} from './make-logs.js'
import {
  DEFAULT_RELOAD_PATH,
  startRelyingParty,
  UNSUPPORTED_OPTIONS,
  VERIFIER_PROFILE_OF,
  type RelyingParty,
  type RelyingPartyVerifier,
} from './relying-party.js'
import {worldInventory} from './world-inventory.js'

export const WORLD_DIR = 'world'
export const DRILL_ORG = 'drill-org'
export const ISSUER_ID = 'drill-auth'
export const NOTIFY_CHANNEL = 'sec-incidents'
export const NOTIFY_REPO = `${DRILL_ORG}/security-incidents`

const SERVICE_NAMES = [
  'billing-api',
  'orders-api',
  'profile-api',
  'search-api',
  'reports-api',
  'admin-portal',
  'inventory-api',
  'shipping-api',
]
const TEAMS = ['payments', 'commerce', 'identity', 'discovery', 'data', 'it', 'warehouse', 'logistics']
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']
/** A service that never refetches: its key set is the one it saw first. */
const FOREVER = Number.POSITIVE_INFINITY

export interface BuildWorldOptions {
  /** The jwkr workspace (`.jwkr`): the world goes to <home>/drills/<id>/world. */
  home: string
  /** A built-in scenario name, a scenario file, or a loaded scenario. */
  scenario: string | DrillScenario
  /** How many services (default: the scenario's). */
  services?: number
  now?: Date
  /** Cache lifetimes in seconds instead of the scenario's (tests use short ones). */
  cacheSeconds?: number[]
  /** The logs' seed (default 1). */
  seed?: number
}

export interface WorldService {
  id: string
  team: string
  /** 1-based, as scenarios name services. */
  position: number
  /** The probe URL (GET, bearer token). */
  url: string
  /** The cache-bust hook (POST), or null. */
  reloadUrl: string | null
  /** How long it really keeps a key set (Infinity: forever). */
  cacheSeconds: number
  /** What the inventory says. */
  declaredCacheSeconds: number
  /** Behind the denylist guard, following world/denylist.json. */
  guarded: boolean
  /** The library it verifies tokens with. */
  verifier: RelyingPartyVerifier
  /** The scope its tokens must carry (Auth0's SDK services), or null. */
  requiredScope: string | null
  behaviour: 'normal' | ServiceBehaviour
  relyingParty: RelyingParty
}

export interface WorldEnv extends Record<string, string> {
  SLACK_API_URL: string
  SLACK_TOKEN: string
  GITHUB_API_URL: string
  GITHUB_TOKEN: string
}

export interface World {
  /** The drill's id: its incident's id. */
  id: string
  /** The world folder. */
  dir: string
  /** The drill's incident folder (no journal yet): the run is to use it. */
  incident: IncidentLocation
  scenario: DrillScenario
  inventoryPath: string
  /** The leaked private JWK, "found" in a repository (or served by the JWKS, in jwks-serves-private). */
  leakPath: string
  leak: {kid: string; thumbprint: string; foundIn: string}
  logPaths: string[]
  logDir: string
  issuedLogPath: string
  denylistPath: string
  jwksPath: string
  keysDir: string
  /** What the playbook run needs in its environment to reach Slack and GitHub. */
  env: WorldEnv
  urls: {issuer: string; discovery: string; jwks: string; token: string; slack: string; github: string}
  services: WorldService[]
  /** Ids of the services a good response must bust the cache of (scenario.expect.cacheBust). */
  cacheBustServices: string[]
  users: DrillUser[]
  issuer: IssuerServer
  slack: FakeSlack
  github: FakeGitHub
  logs: MadeLogs
  /** Stops every server of the world. Idempotent; the files stay. */
  close(): Promise<void>
}

/**
 * @example const world = await buildWorld({home: '.jwkr', scenario: 'basic'})
 *   try { … run the playbook with world.env, world.inventoryPath, world.leakPath … } finally { await world.close() }
 */
export async function buildWorld(options: BuildWorldOptions): Promise<World> {
  const scenario = typeof options.scenario === 'string' ? await loadScenario(options.scenario) : options.scenario
  const count = options.services ?? scenario.services
  if (!Number.isInteger(count) || count < 1 || count > MAX_SERVICES) {
    throw new JwkrError('ERR_USAGE', `A drill world has 1 to ${MAX_SERVICES} services (asked for ${count}).`, {
      hint: 'Pass --services with a number from 1 to 50.',
      exitCode: 2,
    })
  }
  const plan = planServices(scenario, count, options.cacheSeconds)
  const now = options.now ?? new Date()
  const previous = await newSigningKey(`auth-${isoDate(new Date(now.getTime() - 45 * 86_400_000))}`)
  const leaked = await newSigningKey(`auth-${isoDate(now)}`)
  const leakedThumbprint = await calculateJwkThumbprint(leaked.privateJwk, 'sha256')
  const incident = await createIncident(options.home, {thumbprint: leakedThumbprint, now, drill: true})
  const dir = join(incident.dir, WORLD_DIR)
  const paths = {
    keys: join(dir, 'keys'),
    jwks: join(dir, 'issuer', 'jwks.json'),
    issued: join(dir, 'issuer', 'issued.log'),
    denylist: join(dir, 'denylist.json'),
    logs: join(dir, 'logs'),
    leak: join(dir, 'leak', 'leaked-key.json'),
    inventory: join(dir, 'jwkr.inventory.yaml'),
  }
  for (const folder of [dir, join(dir, 'issuer'), join(dir, 'leak'), paths.logs]) {
    await mkdir(folder, {recursive: true, mode: 0o700})
    await chmod(folder, 0o700)
  }
  for (const key of [previous, leaked]) await writePrivateKeyFile(join(paths.keys, `${key.kid}.private.jwk.json`), key.privateJwk)
  await writeFileAtomic(
    paths.jwks,
    `${JSON.stringify({keys: [publicHalf(previous.privateJwk), scenario.faults.jwksServesPrivate ? leaked.privateJwk : publicHalf(leaked.privateJwk)]}, null, 2)}\n`,
  )
  await writeDenylistFile(paths.denylist, emptyDenylist(now))
  await writePrivateKeyFile(paths.leak, scenario.faults.leakWithoutKid ? withoutKid(leaked.privateJwk) : leaked.privateJwk)

  const users = USERS.map((name) => ({sub: name, email: `${name}@example.com`}))
  const tokens = {
    slack: `xoxb-drill-${randomBytes(12).toString('hex')}`,
    github: `ghp_drill${randomBytes(16).toString('hex').slice(0, 31)}`,
  }
  const leakRepo = `${DRILL_ORG}/${plan[0]?.id ?? 'config'}`
  const leakFile = 'config/dev-signing-key.json'

  const closers: Array<() => Promise<void>> = []
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= Promise.allSettled([...closers].reverse().map((stop) => stop())).then(() => undefined)
    return closing
  }
  try {
    const issuer = await startIssuerServer({
      jwksFile: paths.jwks,
      keyDirs: [paths.keys, incident.artifactsDir],
      issuedLog: paths.issued,
      users,
      audiences: plan.map((service) => service.id),
      tokenLifetimeSeconds: scenario.world.tokenLifetimeSeconds,
    })
    closers.push(issuer.close)
    const slack = await startFakeSlack({
      token: tokens.slack,
      channels: [{name: NOTIFY_CHANNEL}, ...uniqueTeams(plan).map((team) => ({name: `${team}-oncall`}))],
      users: [
        ...uniqueTeams(plan).map((team) => ({name: `${team}-lead`, email: `${team}-lead@example.com`})),
        ...users.map((user) => ({name: user.sub, email: user.email})),
      ],
      faults: scenario.faults.slack.map((fault) => ({match: fault.method, replies: fault.replies, repeat: fault.repeat})),
      logFile: join(dir, 'slack.log.jsonl'),
    })
    closers.push(slack.close)
    const github = await startFakeGitHub({
      token: tokens.github,
      repos: [
        {fullName: NOTIFY_REPO, files: {'README.md': '# Security incidents\n\nOne issue per incident.\n'}},
        ...plan.map((service) => ({
          fullName: `${DRILL_ORG}/${service.id}`,
          files: {
            'README.md': `# ${service.id}\n\nOwned by ${service.team}.\n`,
            ...(`${DRILL_ORG}/${service.id}` === leakRepo && !scenario.faults.jwksServesPrivate
              ? {[leakFile]: `${JSON.stringify(leaked.privateJwk, null, 2)}\n`}
              : {}),
          },
        })),
      ],
      faults: scenario.faults.github.map((fault) => ({match: fault.route, replies: fault.replies, repeat: fault.repeat})),
      logFile: join(dir, 'github.log.jsonl'),
    })
    closers.push(github.close)

    const services: WorldService[] = []
    for (const spec of plan) {
      const relyingParty = await startRelyingParty({
        verifier: spec.verifier,
        jwksUri: issuer.jwksUri,
        issuer: issuer.issuer,
        audience: spec.id,
        requiredScope: spec.requiredScope ?? undefined,
        cacheMaxAgeMs: spec.cacheSeconds * 1000,
        cooldownMs: spec.behaviour === 'stubborn-cache' ? spec.cacheSeconds * 1000 : undefined,
        neverRefresh: spec.behaviour === 'never-refetch',
        denylistFile: spec.guarded ? paths.denylist : undefined,
        reloadPath: spec.reloadHook ? DEFAULT_RELOAD_PATH : null,
        publicMembersOnly: true,
      })
      closers.push(relyingParty.close)
      services.push({...spec, url: relyingParty.url, reloadUrl: relyingParty.reloadUrl, relyingParty})
    }
    await checkServicesAccept(issuer, services, users[0]?.sub ?? 'alice')

    const logs = await makeLogs({
      dir: paths.logs,
      issuedLog: paths.issued,
      issuer: issuer.issuer,
      services: plan.map((service) => service.id),
      users,
      previous,
      leaked,
      now,
      seed: options.seed,
    })
    await writeFileAtomic(
      paths.inventory,
      worldInventory({
        issuerId: ISSUER_ID,
        issuer: issuer.issuer,
        discovery: issuer.discoveryUrl,
        jwksFile: `./${relative(dir, paths.jwks)}`,
        services: services.map((service) => ({
          id: service.id,
          team: service.team,
          slack: `#${service.team}-oncall`,
          email: `${service.team}-lead@example.com`,
          probeUrl: service.url,
          reloadUrl: service.reloadUrl,
          declaredCacheSeconds: service.declaredCacheSeconds,
          verifier: VERIFIER_PROFILE_OF[service.verifier],
          probeToken: service.requiredScope === null ? null : {scope: service.requiredScope},
          repo: `${DRILL_ORG}/${service.id}`,
          logs: logs.serviceDirs[service.id] ? [`./${relative(dir, logs.serviceDirs[service.id] as string)}`] : [],
        })),
        slackChannel: `#${NOTIFY_CHANNEL}`,
        githubRepo: NOTIFY_REPO,
      }),
      0o600,
    )
    const env: WorldEnv = {
      SLACK_API_URL: slack.apiUrl,
      SLACK_TOKEN: tokens.slack,
      GITHUB_API_URL: github.apiUrl,
      GITHUB_TOKEN: tokens.github,
    }
    const foundIn = scenario.faults.jwksServesPrivate ? issuer.jwksUri : `${github.origin}/${leakRepo}/blob/main/${leakFile}`
    const cacheBustServices = [
      ...new Set(scenario.expect.cacheBust.map((position) => services[Math.min(position, count) - 1]?.id ?? '')),
    ].filter(Boolean)
    const world: World = {
      id: incident.id,
      dir,
      incident,
      scenario,
      inventoryPath: paths.inventory,
      leakPath: paths.leak,
      leak: {kid: leaked.kid, thumbprint: leakedThumbprint, foundIn},
      logPaths: logs.files,
      logDir: paths.logs,
      issuedLogPath: paths.issued,
      denylistPath: paths.denylist,
      jwksPath: paths.jwks,
      keysDir: paths.keys,
      env,
      urls: {
        issuer: issuer.issuer,
        discovery: issuer.discoveryUrl,
        jwks: issuer.jwksUri,
        token: issuer.tokenUrl,
        slack: slack.apiUrl,
        github: github.apiUrl,
      },
      services,
      cacheBustServices,
      users,
      issuer,
      slack,
      github,
      logs,
      close,
    }
    await writeManifest(world)
    return world
  } catch (error) {
    await close()
    if (error instanceof JwkrError) throw error
    throw new JwkrError('ERR_DRILL_WORLD_FAILED', `The drill world could not be built: ${(error as Error).message}`, {
      hint: `Nothing is left running. Its files are in ${dir}; run jwkr drill again, with --debug for details.`,
      cause: error,
    })
  }
}

interface ServicePlan {
  id: string
  team: string
  position: number
  cacheSeconds: number
  declaredCacheSeconds: number
  guarded: boolean
  behaviour: 'normal' | ServiceBehaviour
  reloadHook: boolean
  /** The library it verifies tokens with (its inventory entry names the matching verifier profile). */
  verifier: RelyingPartyVerifier
  /** The scope its tokens must carry (Auth0's SDK services), or null. */
  requiredScope: string | null
}

/**
 * Who the services are and how each behaves. A scenario's position beyond the world's size means its
 * last service; a misbehaving service never uses the denylist guard (the guard would hide the fault).
 * A service on Auth0's SDK requires the scope `read:<id>`.
 *
 * @throws JwkrError ERR_DRILL_SCENARIO_INVALID when a service's library cannot have what the scenario
 *   gives it (the denylist guard, a cache-bust hook, never refetching: UNSUPPORTED_OPTIONS).
 */
export function planServices(scenario: DrillScenario, count: number, cacheSeconds = scenario.world.cacheSeconds): ServicePlan[] {
  const plan = Array.from({length: count}, (_, index): ServicePlan => {
    const position = index + 1
    const usual = cacheSeconds[index % cacheSeconds.length] ?? 5
    const fault = scenario.faults.services.find((candidate) => Math.min(candidate.service, count) === position)
    const id = SERVICE_NAMES[index] ?? `service-${position}`
    const verifier = scenario.world.verifiers[index % scenario.world.verifiers.length] ?? 'jose'
    const base = {
      id,
      team: TEAMS[index % TEAMS.length] ?? 'ops',
      position,
      verifier,
      requiredScope: verifier === 'express-oauth2-jwt-bearer' ? `read:${id}` : null,
    }
    if (fault?.behaviour === 'stubborn-cache') {
      const seconds = fault.cacheSeconds ?? 600
      return {
        ...base,
        cacheSeconds: seconds,
        declaredCacheSeconds: fault.declaredCacheSeconds ?? seconds,
        guarded: false,
        behaviour: fault.behaviour,
        reloadHook: fault.reloadHook ?? true,
      }
    }
    if (fault?.behaviour === 'never-refetch') {
      return {
        ...base,
        cacheSeconds: FOREVER,
        declaredCacheSeconds: fault.declaredCacheSeconds ?? usual,
        guarded: false,
        behaviour: fault.behaviour,
        reloadHook: fault.reloadHook ?? false,
      }
    }
    return {
      ...base,
      cacheSeconds: usual,
      declaredCacheSeconds: usual,
      guarded: scenario.world.denylistGuard.includes(position),
      behaviour: 'normal' as const,
      reloadHook: false,
    }
  })
  for (const service of plan) refuseUnsupported(scenario, service)
  return plan
}

function refuseUnsupported(scenario: DrillScenario, service: ServicePlan): void {
  const unsupported = UNSUPPORTED_OPTIONS[service.verifier]
  const asked = [
    {option: 'guard', given: service.guarded, what: 'behind the denylist guard (world.denylistGuard)'},
    {option: 'reloadHook', given: service.reloadHook, what: 'a cache-bust hook (faults.services[].reloadHook)'},
    {option: 'neverRefresh', given: service.behaviour === 'never-refetch', what: 'a service that never refetches'},
  ] as const
  for (const {option, given, what} of asked) {
    const reason = unsupported[option]
    if (!given || reason === undefined) continue
    throw new JwkrError(
      'ERR_DRILL_SCENARIO_INVALID',
      `The drill scenario ${scenario.file} makes service ${service.position} (${service.id}, on ${service.verifier}) ${what}, which it cannot be: ${reason}.`,
      {
        hint: 'Give that position another library in world.verifiers, or move the guard or the fault to a service on jose or jwks-rsa.',
        details: {service: service.position, verifier: service.verifier, option},
      },
    )
  }
}

/** The key as found without its identifiers: what a PEM, or a key copied from a provider's config, gives. */
function withoutKid(jwk: JWK): JWK {
  const {kid: _kid, alg: _alg, use: _use, ...rest} = jwk
  return rest
}

/**
 * Every service must accept a fresh token before the leak is "found": else the drill would prove nothing.
 * Each gets a token with the scope it requires, if any.
 */
async function checkServicesAccept(issuer: IssuerServer, services: WorldService[], sub: string): Promise<void> {
  for (const service of services) {
    const {token} = await issuer.mint(sub, service.requiredScope === null ? {} : {scope: service.requiredScope})
    const response = await fetch(service.url, {headers: {authorization: `Bearer ${token}`}})
    await response.arrayBuffer()
    if (response.status !== 200)
      throw new Error(`the service ${service.id} refused a fresh token from the issuer (HTTP ${response.status})`)
  }
}

async function newSigningKey(kid: string): Promise<LogSigningKey> {
  const {privateKey} = await generateKeyPair('RS256', {modulusLength: 2048, extractable: true})
  return {kid, privateJwk: {...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig'}}
}

function publicHalf(jwk: JWK): JWK {
  const {kty, n, e, crv, x, y, kid, alg, use} = jwk
  return Object.fromEntries(
    Object.entries({kty, n, e, crv, x, y, kid, alg, use}).filter(([, value]) => value !== undefined),
  ) as JWK
}

function uniqueTeams(plan: ServicePlan[]): string[] {
  return [...new Set(plan.map((service) => service.team))]
}

/** world.json: the world's public facts, for a kept world and the drill report; env.sh for a shell (0600). */
async function writeManifest(world: World): Promise<void> {
  const manifest = {
    id: world.id,
    scenario: world.scenario.name,
    urls: world.urls,
    leak: {...world.leak, path: world.leakPath},
    inventory: world.inventoryPath,
    services: world.services.map(({relyingParty: _relyingParty, cacheSeconds, ...service}) => ({
      ...service,
      cacheSeconds: Number.isFinite(cacheSeconds) ? cacheSeconds : null,
    })),
    cacheBustServices: world.cacheBustServices,
    logs: world.logPaths,
    issuedLog: world.issuedLogPath,
    denylist: world.denylistPath,
  }
  await writeFileAtomic(join(world.dir, 'world.json'), `${JSON.stringify(manifest, null, 2)}\n`, 0o600)
  const exports = Object.entries(world.env).map(([name, value]) => `export ${name}='${value}'`)
  await writeFileAtomic(
    join(world.dir, 'env.sh'),
    `# source this file to talk to the drill's Slack and GitHub\n${exports.join('\n')}\n`,
    0o600,
  )
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10)
}
