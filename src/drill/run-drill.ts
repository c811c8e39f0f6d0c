// `jwkr drill`: build a world on loopback, leak its key, run the real standard playbook against it,
// and score the response. The drill's incident is a real incident (marked as a drill), so the same
// reports, timeline and verification work on it afterwards.
import {readFile, readdir} from 'node:fs/promises'
import {join, relative} from 'node:path'

import type {ExitCodeValue} from '../core/errors.js'
import type {SecretRegistry} from '../core/secrets.js'
import type {JournalEvent} from '../core/journal/types.js'
import type {EngineUi, RunResult} from '../playbook/engine.js'
import {startRun, type StartOptions} from '../playbook/respond.js'
import {writeFileAtomic} from '../adapters/fs/atomic-file.js'
import {buildWorld, type World} from './build-world.js'
import {loadScenario} from './load-scenario.js'
import {scoreDrill, type DrillScorecard, type WorldFacts} from './scorecard.js'

export interface DrillOptions {
  home: string
  scenario: string
  services?: number
  yes: boolean
  keep: boolean
  /** How long the proof may go on past the time every cache should have dropped the key (default 60s). */
  deadline?: string
  ui: EngineUi
  secrets: SecretRegistry
  env: Record<string, string | undefined>
  signal?: AbortSignal
  /** Told once the world is up (for progress and for --keep). */
  onWorld?: (world: World) => void
  /**
   * With keep: called with the result while the world still runs (to show it and wait for Ctrl-C);
   * the world is closed when it returns.
   */
  whileKept?: (result: DrillResult) => Promise<void>
}

export interface DrillResult {
  drill: string
  scenario: string
  status: RunResult['status']
  contained: boolean
  passed: boolean
  /**
   * The drill's exit code, the process's: 0 passed, 1 contained but an expectation missed or not
   * checked, 4 containment not proven, 130 interrupted (drillExitCode). The run's own outcome code
   * (what `jwkr respond` would exit with) is scorecard.outcome.runExitCode.
   */
  exitCode: ExitCodeValue
  scorecard: DrillScorecard
  world: {
    dir: string
    kept: boolean
    urls: World['urls']
    services: Array<{id: string; url: string}>
    /** `source` it to reach the world's Slack and GitHub from a shell. */
    envFile: string
    inventory: string
  }
  /** Set when Ctrl-C stopped the run: the step it stopped at. A drill is not resumable once its process ends. */
  interrupted?: {step: string | null}
  steps: RunResult['steps']
  /** Where the scorecard and the reports were written. */
  artifacts: string
}

/** The playbook's knobs for a world whose caches live seconds, not minutes. */
const DRILL_INPUTS = {proveInterval: '1s', tokenLifetime: '5m'}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const scenario = await loadScenario(options.scenario)
  const world = await buildWorld({home: options.home, scenario, ...(options.services ? {services: options.services} : {})})
  const closeOnSignal = (): void => void world.close()
  options.signal?.addEventListener('abort', closeOnSignal, {once: true})
  try {
    options.onWorld?.(world)
    const run = await startRun(drillRunOptions(world, options))
    const scorecard = scoreDrill({
      events: await readEvents(world.incident.journalPath),
      scenario,
      world: await factsOf(world),
      runStatus: run.status,
      now: new Date(),
      interrupted: run.interrupted !== undefined,
    })
    await writeFileAtomic(join(world.incident.artifactsDir, 'scorecard.json'), `${JSON.stringify(scorecard, null, 2)}\n`, 0o600)
    const result: DrillResult = {
      drill: world.id,
      scenario: scenario.name,
      status: run.status,
      contained: scorecard.contained,
      passed: scorecard.passed,
      exitCode: scorecard.outcome.exitCode,
      scorecard,
      world: {
        dir: world.dir,
        kept: options.keep,
        urls: world.urls,
        services: world.services.map((s) => ({id: s.id, url: s.url})),
        envFile: join(world.dir, 'env.sh'),
        inventory: world.inventoryPath,
      },
      steps: run.steps,
      artifacts: world.incident.artifactsDir,
      ...(run.interrupted ? {interrupted: run.interrupted} : {}),
    }
    if (options.keep && !run.interrupted) await options.whileKept?.(result)
    return result
  } finally {
    options.signal?.removeEventListener('abort', closeOnSignal)
    await world.close()
  }
}

/**
 * What the drill hands the playbook run: the standard playbook, the world's Slack and GitHub in the
 * environment, its key, logs and denylist as inputs, in the world's incident. Exported so that the
 * fault harness (test/faults) runs exactly the drill's run in a process it can kill, and resumes it.
 */
export function drillRunOptions(
  world: Pick<World, 'env' | 'leakPath' | 'logDir' | 'issuedLogPath' | 'denylistPath' | 'inventoryPath' | 'incident'>,
  options: Pick<DrillOptions, 'home' | 'secrets' | 'ui' | 'yes' | 'signal' | 'env' | 'deadline'>,
): StartOptions {
  return {
    home: options.home,
    secrets: options.secrets,
    ui: options.ui,
    yes: options.yes,
    signal: options.signal,
    env: {...options.env, ...world.env, JWKR_GITHUB_WRITE_INTERVAL_MS: '0'},
    playbook: 'leaked-signing-key',
    inputs: {
      key: world.leakPath,
      logs: [world.logDir],
      issuedLog: world.issuedLogPath,
      denylistFile: world.denylistPath,
      ...DRILL_INPUTS,
      proveDeadline: options.deadline ?? '60s',
    },
    inventoryPath: world.inventoryPath,
    dryRun: false,
    drill: true,
    incident: world.incident,
  }
}

async function readEvents(journalPath: string): Promise<JournalEvent[]> {
  const text = await readFile(journalPath, 'utf8')
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as JournalEvent)
}

async function factsOf(world: World): Promise<WorldFacts> {
  const messages = world.slack.records.filter((record) => record.ok)
  const artifacts = await readdir(world.incident.artifactsDir, {recursive: true}).catch(() => [] as string[])
  return {
    services: world.services.map((service) => ({
      id: service.id,
      verifier: service.verifier,
      behaviour: service.behaviour,
      guarded: service.guarded,
      cacheSeconds: service.cacheSeconds,
    })),
    slack: {
      posts: messages.filter((record) => record.method === 'chat.postMessage').length,
      updates: messages.filter((record) => record.method === 'chat.update').length,
    },
    github: {issues: world.github.repos.reduce((count, repo) => count + repo.issues.length, 0)},
    artifacts: artifacts
      .map(String)
      .filter((name) => /\.(md|html|txt)$/.test(name))
      .map((name) => relative(world.dir, join(world.incident.artifactsDir, name)))
      .sort(),
    cacheBustServices: world.cacheBustServices,
  }
}
