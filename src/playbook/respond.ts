// Opening and resuming incidents: the service behind `jwkr respond`, `jwkr playbook run` and
// `jwkr incident resume`. Identifies the key first (so bad input fails before anything is
// written), opens the incident folder and journal under a lock, and hands over to the engine.
import {mkdir, mkdtemp, readFile, rm} from 'node:fs/promises'
import {hostname, tmpdir, userInfo} from 'node:os'
import {dirname, join, relative} from 'node:path'

import {removeLeftoverTempFiles, writeFileAtomic} from '../adapters/fs/atomic-file.js'
import {readSource} from '../adapters/input/read-source.js'
import {loadKeys} from '../core/key/load-keys.js'
import {JwkrError} from '../core/errors.js'
import type {KeyReport} from '../core/key/types.js'
import type {SecretRegistry} from '../core/secrets.js'
import {createChainKey, readChainKey} from '../incident/chain-key.js'
import {
  hasOpening,
  interruptedIncidentFor,
  lockKeyForOpening,
  secondIncidentError,
  unfinishedIncidentFor,
} from '../incident/incident-for-key.js'
import {Journal} from '../incident/journal.js'
import {acquireLock, type IncidentLock} from '../incident/lock.js'
import type {ReconcileWindow} from '../incident/reconcile-effect.js'
import {foldIncident} from '../core/journal/state.js'
import {createIncident, findIncident, KEPT_KEY_FILE, type IncidentLocation} from '../incident/workspace.js'
import {runPlaybook, type EngineObserver, type EngineUi, type RunResult} from './engine.js'
import {inputsFromInventory} from './inventory-inputs.js'
import {builtinObservers} from './observers/index.js'
import {finalDocumentsObserver, type FinalDocumentsRun} from './observers/final-documents.js'
import {loadPlaybook, resolvePlaybook, type Playbook} from './load-playbook.js'
import {createRegistry, type StepRegistry} from './registry.js'
import {builtinSteps} from './steps/index.js'

export interface RunCommonOptions {
  home: string
  secrets: SecretRegistry
  ui: EngineUi
  yes: boolean
  signal?: AbortSignal
  env?: Record<string, string | undefined>
  now?: () => Date
  /** The steps available to the playbook (default: the built-in steps). */
  registry?: StepRegistry
  /** Followers of the run (default: the built-in observers for this environment). */
  observers?: EngineObserver[]
  /** How long a resume looks for an interrupted effect before making it again (default RECONCILE_WINDOW). */
  reconcileWindow?: ReconcileWindow
}

export interface StartOptions extends RunCommonOptions {
  /** A built-in playbook name, a file path, or a playbook built in memory (jwkr step run). */
  playbook: string | Playbook
  inputs: Record<string, unknown>
  inventoryPath: string | null
  dryRun: boolean
  /**
   * A dry run keeps nothing: its incident lives in a scratch workspace removed once the plan is made
   * (what the commands ask; issue 15: dry runs left incidents `open`). Without it (tests of a step's
   * plan) the dry run's journal stays where it can be read.
   */
  discardDryRun?: boolean
  drill?: boolean
  /** An incident folder made already (a drill's, next to its world); default: a new one. */
  incident?: IncidentLocation
  /** Open a new incident even when the key has an unfinished one (jwkr respond --new). */
  newIncident?: boolean
}

export interface ResumeOptions extends RunCommonOptions {
  id: string
  inventoryPath?: string | null
}

const PLAYBOOK_COPY = 'playbook.yaml'

/** Opens a new incident and runs the playbook in it (a discarded dry run: in a scratch workspace). */
export async function startRun(options: StartOptions): Promise<RunResult> {
  if (options.dryRun && options.discardDryRun && options.incident === undefined && !options.drill) {
    const scratch = await mkdtemp(join(tmpdir(), 'jwkr-dry-run-'))
    try {
      return await openAndRun({...options, home: scratch}, {scratch: true})
    } finally {
      await rm(scratch, {recursive: true, force: true})
    }
  }
  return openAndRun(options)
}

async function openAndRun(options: StartOptions, where: {scratch?: boolean} = {}): Promise<RunResult> {
  const now = options.now ?? (() => new Date())
  const registry = options.registry ?? createRegistry(builtinSteps())
  const playbook = typeof options.playbook === 'string' ? await resolvePlaybook(options.playbook, registry) : options.playbook
  const inputs = withDefaults(playbook, options.inputs)
  const inputNotes = await inputsFromInventory(playbook, inputs, options.inventoryPath, options.secrets)
  // The key is read once: stdin can be read only once, and an inline key must not reach the journal.
  const given = typeof inputs.key === 'string' ? await readSource(inputs.key) : null
  const key = given === null ? null : await identify(given.text, options.secrets)
  const {incident, journal, lock} = await openIncident(options, {
    playbook,
    registry,
    inputs,
    inputNotes,
    given,
    key,
    now,
    scratch: where.scratch === true,
  })
  const runIncident = {id: incident.id, dir: incident.dir, artifactsDir: incident.artifactsDir, drill: options.drill ?? false}
  try {
    return await runPlaybook({
      playbook,
      registry,
      journal,
      secrets: options.secrets,
      incident: runIncident,
      inputs,
      inventoryPath: options.inventoryPath,
      ui: options.ui,
      yes: options.yes,
      dryRun: options.dryRun,
      env: options.env,
      signal: options.signal,
      now,
      observers: observersOf(options, {
        events: () => journal.events(),
        incident: runIncident,
        inventoryPath: options.inventoryPath,
        now,
      }),
      reconcileWindow: options.reconcileWindow,
    })
  } finally {
    await journal.close()
    await lock.release()
  }
}

interface Opening {
  playbook: Playbook
  registry: StepRegistry
  /** Changed here: a key given on stdin or inline becomes the path of its copy in the incident. */
  inputs: Record<string, unknown>
  /** Inputs taken from the inventory, in words (journaled with the opening; the run's header shows them). */
  inputNotes: string[]
  given: {text: string; origin: string} | null
  key: KeyReport | null
  now: () => Date
  /** A discarded dry run's scratch workspace: the incident's id says dry-run. */
  scratch: boolean
}

/**
 * The incident's folder, lock and journal. A run that can change anything for a key first takes the
 * key's opening lock, refuses when the key already has an unfinished incident, and takes over one
 * that was interrupted while being opened. The journal appears with its opening events at once, so
 * a crash before it leaves an incident that was never opened, and a crash after it one that resumes.
 */
async function openIncident(
  options: StartOptions,
  opening: Opening,
): Promise<{incident: IncidentLocation; journal: Journal; lock: IncidentLock}> {
  const {playbook, registry, inputs, inputNotes, given, key, now, scratch} = opening
  const thumbprint = key?.thumbprint ?? null
  const guarded =
    thumbprint !== null && !options.incident && !options.drill && !options.dryRun && changesAnything(playbook, registry)
  const keyLock = guarded ? await lockKeyForOpening(options.home, thumbprint) : undefined
  try {
    let incident = options.incident
    let reopened = false
    if (keyLock && thumbprint !== null) {
      const open = await unfinishedIncidentFor(options.home, thumbprint)
      if (open && !options.newIncident) throw secondIncidentError(open)
      incident = await interruptedIncidentFor(options.home, thumbprint, given?.text ?? null)
      reopened = incident !== undefined
    }
    incident ??= await createIncident(options.home, {thumbprint, now: now(), drill: options.drill ?? false, dryRun: scratch})
    const lock = await acquireLock(incident.dir)
    try {
      if (reopened) {
        options.ui.notice?.(
          `Incident ${incident.id} was interrupted while being opened (nothing ran): opening it again from the top.`,
        )
        await rm(incident.journalPath, {force: true})
      }
      const chainKey = await createChainKey(incident.dir, options.secrets)
      await writeFileAtomic(join(incident.dir, PLAYBOOK_COPY), playbook.text, 0o600)
      if (given !== null && given.origin !== inputs.key) inputs.key = await keepKeyInIncident(given.text, incident.artifactsDir)
      const opened = {
        id: incident.id,
        thumbprint,
        kid: key?.kid ?? null,
        kty: key?.kty ?? null,
        alg: key?.alg ?? null,
        source: given?.origin ?? null,
        drill: options.drill ?? false,
        playbook: playbook.name,
        inputs,
        ...(inputNotes.length > 0 ? {inputNotes} : {}),
        inventory: options.inventoryPath,
        dryRun: options.dryRun,
        startedBy: whoami(),
        ...(reopened ? {reopened: 'the first opening was interrupted before its journal was written'} : {}),
      }
      const journal = await Journal.create(incident.journalPath, {secrets: options.secrets, now, chainKey}, [
        {type: 'incident.opened', data: opened},
        {type: 'playbook.loaded', data: playbookLoaded(playbook, registry)},
      ])
      return {incident, journal, lock}
    } catch (error) {
      await lock.release()
      throw error
    }
  } finally {
    await keyLock?.release()
  }
}

/** Whether a playbook has a step with side effects: only such runs can collide on a key. */
function changesAnything(playbook: Playbook, registry: StepRegistry): boolean {
  return playbook.steps.some((step) => registry.get(step.uses).sideEffects)
}

function playbookLoaded(playbook: Playbook, registry: StepRegistry): Record<string, unknown> {
  return {
    name: playbook.name,
    file: playbook.file,
    digest: playbook.digest,
    contains: playbook.contains,
    steps: playbook.steps.map((step) => ({
      id: step.id,
      uses: step.uses,
      title: step.title ?? registry.get(step.uses).title,
      ...(step.phase === undefined ? {} : {phase: step.phase}),
    })),
  }
}

/** Continues an incident at its first unfinished step, with the playbook it started with. */
export async function resumeRun(options: ResumeOptions): Promise<RunResult> {
  const now = options.now ?? (() => new Date())
  const incident = await findIncident(options.home, options.id)
  const lock = await acquireLock(incident.dir)
  let journal: Journal | undefined
  try {
    if (!(await hasOpening(incident))) {
      // The draft of the journal a kill left behind says nothing: nothing ran.
      await removeLeftoverTempFiles(incident.dir)
      throw interruptedOpening(incident)
    }
    const chainKey = await readChainKey(incident.dir, options.secrets)
    journal = await Journal.open(incident.journalPath, {secrets: options.secrets, now, chainKey})
    const state = foldIncident(journal.events())
    if (state.status === 'closed') {
      throw new JwkrError('ERR_INCIDENT_CLOSED', `Incident ${incident.id} is closed.`, {
        hint: 'Open a new incident with jwkr respond, or read this one with jwkr incident show.',
      })
    }
    const registry = options.registry ?? createRegistry(builtinSteps())
    const playbook = await savedPlaybook(incident.dir, registry)
    const inputs = state.inputs ?? {}
    // Steps done before the crash will not run again, so register the key's secrets here.
    if (typeof inputs.key === 'string') {
      await readSource(inputs.key)
        .then(({text}) => identify(text, options.secrets))
        .catch(() => undefined)
    }
    // Temp files of atomic writes that a kill left behind: the files they were to replace are whole.
    const leftovers = await removeLeftoverTempFiles(incident.dir)
    const removed = leftovers.map((path) => relative(incident.dir, path))
    await journal.append('incident.resumed', {by: whoami(), ...(removed.length > 0 ? {removedTempFiles: removed} : {})})
    if (!state.playbookLoaded) {
      // Opened by a jwkr that wrote its opening events one at a time, and interrupted between them.
      options.ui.notice?.(`Incident ${incident.id} was interrupted while being opened: starting its playbook from the top.`)
      await journal.append('playbook.loaded', playbookLoaded(playbook, registry))
    }
    const opened = journal.events().find((event) => event.type === 'incident.opened')?.data ?? {}
    const inventoryPath = options.inventoryPath ?? (typeof opened.inventory === 'string' ? opened.inventory : null)
    const runIncident = {id: incident.id, dir: incident.dir, artifactsDir: incident.artifactsDir, drill: state.drill ?? false}
    const events = journal.events.bind(journal)
    return await runPlaybook({
      playbook,
      registry,
      journal,
      secrets: options.secrets,
      incident: runIncident,
      inputs,
      inventoryPath,
      ui: options.ui,
      yes: options.yes,
      dryRun: false,
      env: options.env,
      signal: options.signal,
      now,
      observers: observersOf(options, {events, incident: runIncident, inventoryPath, now}),
      reconcileWindow: options.reconcileWindow,
    })
  } finally {
    await journal?.close()
    await lock.release()
  }
}

/** The refusal to resume an incident whose opening was never journaled: there is nothing to resume. */
function interruptedOpening(incident: IncidentLocation): JwkrError {
  return new JwkrError(
    'ERR_INCIDENT_INCOMPLETE',
    `Incident ${incident.id} was interrupted while being opened: its journal records no opening, so no step ran and nothing was changed.`,
    {
      hint: incident.drill
        ? "Run jwkr drill again: a drill's world ended with the process that was interrupted, so this one cannot go on."
        : 'Run jwkr respond --key FILE again with the same key: it opens this incident again from the top.',
      details: {incident: incident.id, journal: incident.journalPath},
    },
  )
}

/** The run's followers: the given ones (default: the built-in ones), and the redraft of its documents at its end. */
function observersOf(options: {observers?: EngineObserver[]}, run: FinalDocumentsRun): EngineObserver[] {
  return [...(options.observers ?? builtinObservers()), finalDocumentsObserver(run)]
}

async function savedPlaybook(dir: string, registry: StepRegistry): Promise<Playbook> {
  const file = join(dir, PLAYBOOK_COPY)
  const text = await readFile(file, 'utf8').catch(() => {
    throw new JwkrError('ERR_PLAYBOOK_NOT_FOUND', `The incident has no copy of its playbook (${file}).`, {
      hint: "Start a new run with jwkr respond; the journal keeps this incident's history.",
    })
  })
  return loadPlaybook(text, file, registry)
}

/**
 * A key given on stdin or inline, kept in the incident's artifacts (0600) where every step and a resumed
 * run read it; the journal then names that file, never the key. Returns the file's path.
 */
async function keepKeyInIncident(text: string, artifactsDir: string): Promise<string> {
  const path = join(artifactsDir, 'keys', KEPT_KEY_FILE)
  await mkdir(dirname(path), {recursive: true, mode: 0o700})
  await writeFileAtomic(path, text, 0o600, {keepMode: false})
  return path
}

async function identify(text: string, secrets: SecretRegistry): Promise<KeyReport | null> {
  const {keys} = await loadKeys(text, {secrets})
  return keys.find(({report}) => report.private || report.thumbprintDerivedFromSecret)?.report ?? keys[0]?.report ?? null
}

function withDefaults(playbook: Playbook, given: Record<string, unknown>): Record<string, unknown> {
  const inputs: Record<string, unknown> = {}
  const missing: string[] = []
  for (const [name, spec] of Object.entries(playbook.inputs ?? {})) {
    if (given[name] !== undefined) inputs[name] = given[name]
    else if (spec.default !== undefined) inputs[name] = spec.default
    else if (spec.required) missing.push(name)
  }
  const unknown = Object.keys(given).filter((name) => !(name in (playbook.inputs ?? {})))
  if (unknown.length > 0) {
    throw new JwkrError('ERR_USAGE', `The playbook ${playbook.name} has no input ${unknown.map((n) => `"${n}"`).join(', ')}.`, {
      hint: `Its inputs: ${Object.keys(playbook.inputs ?? {}).join(', ') || 'none'}.`,
      exitCode: 2,
    })
  }
  if (missing.length > 0) {
    throw new JwkrError(
      'ERR_USAGE',
      `The playbook ${playbook.name} needs the input ${missing.map((n) => `"${n}"`).join(', ')}.`,
      {
        hint: `Pass it with --input ${missing[0]}=VALUE${missing.includes('key') ? ' (or --key FILE)' : ''}.`,
        exitCode: 2,
      },
    )
  }
  return inputs
}

function whoami(): {user: string; host: string} {
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {
    // no passwd entry (containers): keep 'unknown'
  }
  return {user, host: hostname()}
}
