// The fault harness's world: a drill world (src/drill/build-world.ts) built and kept alive by the test
// process, so that its issuer, relying parties, Slack and GitHub outlive a run that is killed. The run
// itself goes to a child process (drill-runner.ts, optionally with fault-preload.ts) and is resumed
// with the real CLI (`jwkr incident resume ID --yes --json --home HOME`).
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {calculateJwkThumbprint, type JWK} from 'jose'

import {buildWorld, type World} from '../../src/drill/build-world.js'
import type {DrillScenario} from '../../src/drill/load-scenario.js'
import {drillRunOptions} from '../../src/drill/run-drill.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import type {EngineObserver, RunResult} from '../../src/playbook/engine.js'
import {builtinObservers} from '../../src/playbook/observers/index.js'
import {startRun} from '../../src/playbook/respond.js'
import {projectRoot} from '../helpers/run.js'
import {scriptedUi} from '../helpers/engine-harness.js'
import {FAULT_ENV, type FaultSpec} from './fault-spec.js'

/** What the child needs to run the drill's playbook against the world (JSON). */
export type WorldRef = Pick<
  World,
  'env' | 'leakPath' | 'logDir' | 'issuedLogPath' | 'denylistPath' | 'inventoryPath' | 'incident'
> & {
  home: string
}

export interface FaultWorld {
  world: World
  home: string
  id: string
  /** The environment a run in this world needs (the world's Slack and GitHub), as the drill gives it. */
  env: Record<string, string>
  /** Thumbprints in the issuer's JWKS before the run: the previous key and the leaked one. */
  thumbprintsBefore: string[]
  /** The leaked private JWK (its private members are needles for secrecy checks). */
  leaked: JWK
  /** Runs the drill's playbook in a child process, with a fault injected if given. */
  runChild(fault?: FaultSpec, options?: {env?: Record<string, string>; timeoutMs?: number}): Promise<ChildOutcome>
  /**
   * Runs the drill's playbook in this process (for faults injected from outside: proxies, Redis). `env`
   * overrides the world's; `observers` follow the run beside the built-in ones.
   */
  runHere(options?: RunHereOptions): Promise<RunResult>
  /** A jwkr command (bin/dev.js) in a child process with the world's environment, a fault injected if given. */
  runCli(args: string[], fault?: FaultSpec, options?: {env?: Record<string, string>; timeoutMs?: number}): Promise<ChildOutcome>
  /** `jwkr incident resume ID --yes --json --home HOME` (ID: the world's incident unless given). */
  resumeWithCli(options?: {id?: string; env?: Record<string, string>; timeoutMs?: number}): Promise<ChildOutcome>
  close(): Promise<void>
}

export interface RunHereOptions {
  env?: Record<string, string>
  observers?: EngineObserver[]
  /** The standard playbook by default; a file for a variant. */
  playbook?: string
  /** How long the proof may take (the drill's default: 60s). */
  deadline?: string
  signal?: AbortSignal
}

export interface ChildOutcome {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
}

export interface FaultWorldOptions {
  /** Default: the basic scenario. */
  scenario?: string | DrillScenario
  /** Default 2. */
  services?: number
  /** JWKS cache lifetimes of the services (default 1 s each: the proof does not wait on caches). */
  cacheSeconds?: number[]
}

const RUNNER = join(projectRoot, 'test/faults/drill-runner.ts')
const PRELOAD = join(projectRoot, 'test/faults/fault-preload.ts')
const CLI = join(projectRoot, 'bin/dev.js')

export async function startFaultWorld(options: FaultWorldOptions = {}): Promise<FaultWorld> {
  const root = await mkdtemp(join(tmpdir(), 'jwkr-faults-'))
  const home = join(root, '.jwkr')
  const world = await buildWorld({
    home,
    scenario: options.scenario ?? 'basic',
    services: options.services ?? 2,
    cacheSeconds: options.cacheSeconds ?? [1, 1],
  })
  const ref: WorldRef = {
    home,
    env: world.env,
    leakPath: world.leakPath,
    logDir: world.logDir,
    issuedLogPath: world.issuedLogPath,
    denylistPath: world.denylistPath,
    inventoryPath: world.inventoryPath,
    incident: world.incident,
  }
  const refFile = join(root, 'world-ref.json')
  await writeFile(refFile, JSON.stringify(ref), {mode: 0o600})
  const env = drillRunOptions(ref, {home, secrets: new SecretRegistry(), ui: scriptedUi({}, false), yes: true, env: {}})
    .env as Record<string, string>
  const jwks = JSON.parse(await readFile(world.jwksPath, 'utf8')) as {keys: JWK[]}
  const thumbprintsBefore = await Promise.all(jwks.keys.map((key) => calculateJwkThumbprint(key, 'sha256')))
  const leaked = JSON.parse(await readFile(world.leakPath, 'utf8')) as JWK
  const runCli: FaultWorld['runCli'] = (args, fault, run = {}) =>
    spawnOutcome(
      process.execPath,
      ['--import', 'tsx', '--disable-warning=ExperimentalWarning', ...(fault ? ['--import', PRELOAD] : []), CLI, ...args],
      {...env, ...(fault ? {[FAULT_ENV]: JSON.stringify(fault)} : {}), ...run.env},
      run.timeoutMs,
    )
  return {
    world,
    home,
    id: world.id,
    env,
    thumbprintsBefore,
    leaked,
    runChild: (fault, run = {}) =>
      spawnOutcome(
        process.execPath,
        ['--import', 'tsx', ...(fault ? ['--import', PRELOAD] : []), RUNNER, refFile],
        {...(fault ? {[FAULT_ENV]: JSON.stringify(fault)} : {}), ...run.env},
        run.timeoutMs,
      ),
    runHere: (run = {}) => {
      const base = drillRunOptions(ref, {
        home,
        secrets: new SecretRegistry(),
        ui: scriptedUi({}, false),
        yes: true,
        env: {},
        deadline: run.deadline,
        signal: run.signal,
      })
      return startRun({
        ...base,
        env: {...base.env, ...run.env},
        playbook: run.playbook ?? base.playbook,
        observers: [...builtinObservers(), ...(run.observers ?? [])],
      })
    },
    runCli,
    resumeWithCli: (run = {}) =>
      runCli(['incident', 'resume', run.id ?? world.id, '--yes', '--json', '--home', home], undefined, run),
    close: async () => {
      await world.close()
      await rm(root, {recursive: true, force: true})
    },
  }
}

/** Runs a process to its end (or SIGKILLs it after `timeoutMs`), collecting its output. */
function spawnOutcome(command: string, args: string[], env: Record<string, string>, timeoutMs = 150_000): Promise<ChildOutcome> {
  const started = Date.now()
  const child = spawn(command, args, {
    cwd: projectRoot,
    env: {...process.env, ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr, ms: Date.now() - started})
    })
  })
}
