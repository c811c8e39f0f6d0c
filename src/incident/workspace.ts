// The incident workspace (ARCHITECTURE.md, The incident folder): the nearest `.jwkr/` up from the working
// directory, or --home / JWKR_HOME, holding `incidents/<id>/{journal.jsonl,artifacts/}` and, for drills, `drills/<id>/`.
// Folders are private to the user (0700): journals and artifacts describe a live compromise.
import {closest} from 'fastest-levenshtein'
import {statSync} from 'node:fs'
import {mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'

import {JwkrError} from '../core/errors.js'
import {readChainKey} from './chain-key.js'
import {isOwnerAlive, readLock, type LockOwner} from './lock.js'
import {foldIncident} from '../core/journal/state.js'
import type {IncidentStatus} from '../core/journal/types.js'
import {readJournal} from './verify-journal.js'

export const JOURNAL_FILE = 'journal.jsonl'
export const ARTIFACTS_DIR = 'artifacts'
/** A key given on stdin or inline, kept in the incident's artifacts/keys for every step and a resume. */
export const KEPT_KEY_FILE = 'leaked-key.source'
const INCIDENTS_DIR = 'incidents'
const DRILLS_DIR = 'drills'
/** Starts the id of a discarded dry run's scratch incident. */
const DRY_RUN_PREFIX = 'dry-run-'
/** Stands in for the thumbprint when the incident was opened without a key. */
const NO_KEY = 'nokey'
/** Incident ids are folder names: nothing that could climb out of the workspace. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
/** How many known ids a not-found error lists. */
const MAX_LISTED = 20

export interface IncidentLocation {
  id: string
  dir: string
  journalPath: string
  artifactsDir: string
  drill: boolean
}

export interface IncidentSummary {
  id: string
  dir: string
  drill: boolean
  /**
   * As folded from its journal, or `broken` when the journal fails verification (an edit, a deleted or
   * inserted line): what it says cannot be trusted, so no status is read from it (`jwkr incident verify`).
   */
  status: IncidentStatus | 'broken'
  openedAt: string | undefined
  lastEventAt: string | undefined
  /** Whole seconds since the incident was opened (undefined when its journal has no opening). */
  age: number | undefined
  thumbprint: string | null
  kid: string | null
  playbook: string | null
  /** Opened with --dry-run: it planned and changed nothing. */
  dryRun: boolean
  events: number
  /** Set when it was closed while containment was not proven (the responder chose to). */
  closedUnproven?: true
  /** False when the journal's chain is broken or its last line incomplete; `problem` says why. */
  intact: boolean
  problem?: string
  /** The process driving it now (alive here, or on another host where jwkr cannot check). */
  lockedBy?: LockOwner
}

/** The name of the workspace folder looked for in the working directory and its parents. */
export const HOME_DIR = '.jwkr'
/** Written into a new workspace: it holds journals and replacement private keys, never to be committed. */
const GITIGNORE = '# Written by jwkr: this folder holds incident journals and private keys. Never commit it.\n*\n'

/**
 * The workspace folder: `--home` first, then `JWKR_HOME`, then the nearest `.jwkr` folder in the
 * working directory or a parent (as git finds `.git`), else `.jwkr` in the working directory (new).
 */
export function resolveHome(options: {flag?: string; env?: NodeJS.ProcessEnv; cwd?: string} = {}): string {
  const cwd = resolve(options.cwd ?? process.cwd())
  const chosen = options.flag || (options.env ?? process.env).JWKR_HOME
  if (chosen) return resolve(cwd, chosen)
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, HOME_DIR)
    if (isDirectorySync(candidate)) return candidate
    if (dirname(dir) === dir) return join(cwd, HOME_DIR)
  }
}

function isDirectorySync(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/**
 * Makes the workspace folder (0700) with a `.gitignore` that ignores everything in it, and adds that
 * file to a workspace an older jwkr made without it. Says whether the folder is new.
 */
export async function ensureHome(home: string): Promise<{created: boolean}> {
  const created = !(await isDirectory(home))
  await guard(home, () => mkdir(home, {recursive: true, mode: 0o700}))
  await writeFile(join(home, '.gitignore'), GITIGNORE, {flag: 'wx', mode: 0o600}).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw workspaceError(home, error)
  })
  return {created}
}

/**
 * A new incident id: the UTC date, then the first 6 characters of the key's thumbprint in lower case
 * (anything but a-z0-9 becomes `x`), or `nokey` without one; `-2`, `-3`… when already taken.
 *
 * @example
 * newIncidentId('3F9a1cQ…', new Date('2026-11-29T03:12:00Z'), new Set()) // '2026-11-29-3f9a1c'
 */
export function newIncidentId(thumbprint: string | null, now: Date, existing: ReadonlySet<string>): string {
  const base = `${now.toISOString().slice(0, 10)}-${idKeyPart(thumbprint)}`
  if (!existing.has(base)) return base
  let n = 2
  while (existing.has(`${base}-${n}`)) n++
  return `${base}-${n}`
}

/** Whether an incident id was made for this thumbprint (on any day): `2026-11-29-3f9a1c` or `…-3f9a1c-2`. */
export function isIdForKey(id: string, thumbprint: string): boolean {
  const match = /^\d{4}-\d{2}-\d{2}-(.+?)(?:-\d+)?$/.exec(id)
  return match?.[1] === idKeyPart(thumbprint)
}

function idKeyPart(thumbprint: string | null): string {
  return (
    thumbprint
      ?.trim()
      .slice(0, 6)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x') || NO_KEY
  )
}

/** Creates a new incident's folder and its artifacts folder; the journal is the caller's to create. */
export async function createIncident(
  home: string,
  options: {thumbprint: string | null; now: Date; drill?: boolean; dryRun?: boolean},
): Promise<IncidentLocation> {
  const drill = options.drill === true
  const root = join(home, drill ? DRILLS_DIR : INCIDENTS_DIR)
  await ensureHome(home)
  await guard(home, () => mkdir(root, {recursive: true, mode: 0o700}))
  // Another process may take the same id between our look and our mkdir: then look again.
  for (let attempt = 0; attempt < 100; attempt++) {
    // A dry run's scratch incident is named as what it is: its id can never be taken for a real incident's.
    const known = new Set(await knownIds(home))
    const id = `${options.dryRun ? DRY_RUN_PREFIX : ''}${newIncidentId(options.thumbprint, options.now, known)}`
    const location = locate(home, id, drill)
    try {
      await mkdir(location.dir, {mode: 0o700})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw workspaceError(home, error)
    }
    await guard(home, () => mkdir(location.artifactsDir, {mode: 0o700}))
    return location
  }
  throw new JwkrError('ERR_INTERNAL', `Could not find a free incident id in ${home}.`)
}

/** Finds an incident (or drill) by id, or explains which ids exist. */
export async function findIncident(home: string, id: string): Promise<IncidentLocation> {
  if (SAFE_ID.test(id)) {
    for (const drill of [false, true]) {
      const location = locate(home, id, drill)
      if (await isDirectory(location.dir)) return location
    }
  }
  const known = await knownIds(home)
  if (known.length === 0) {
    throw new JwkrError('ERR_INCIDENT_NOT_FOUND', `There is no incident ${JSON.stringify(id)}: the workspace ${home} has none.`, {
      hint: 'Start one with jwkr respond --key FILE, or point --home (or JWKR_HOME) at the workspace that holds it.',
    })
  }
  const shown =
    known.length > MAX_LISTED ? `${known.slice(-MAX_LISTED).join(', ')} and ${known.length - MAX_LISTED} older` : known.join(', ')
  throw new JwkrError('ERR_INCIDENT_NOT_FOUND', `There is no incident ${JSON.stringify(id)} in ${home}.`, {
    hint: `Did you mean ${closest(id, known)}? Known incidents: ${shown}. jwkr incident list --drills shows them all.`,
    details: {known},
  })
}

/** Every incident with its status folded from its journal, newest first; drills only when asked. */
export async function listIncidents(home: string, options: {drills?: boolean; now?: Date} = {}): Promise<IncidentSummary[]> {
  const now = options.now ?? new Date()
  const roots = options.drills ? [false, true] : [false]
  const summaries: IncidentSummary[] = []
  for (const drill of roots) {
    for (const id of await subdirectories(join(home, drill ? DRILLS_DIR : INCIDENTS_DIR))) {
      summaries.push(await summarise(locate(home, id, drill), now))
    }
  }
  return summaries.sort((a, b) => (b.openedAt ?? '').localeCompare(a.openedAt ?? '') || b.id.localeCompare(a.id))
}

/** How many drills the workspace keeps (`incident list` and `--incident` defaults leave them out). */
export async function countDrills(home: string): Promise<number> {
  return (await subdirectories(join(home, DRILLS_DIR))).length
}

/** The incident opened last (drills aside), for a command whose --incident was left out. */
export async function latestIncident(home: string): Promise<IncidentSummary> {
  const [latest] = await listIncidents(home)
  if (latest) return latest
  const drills = await countDrills(home)
  throw new JwkrError('ERR_INCIDENT_NOT_FOUND', `No incidents yet in ${home}.`, {
    hint:
      drills > 0
        ? `A drill is never picked by default: name one with --incident ID (jwkr incident list --drills shows the ${drills === 1 ? 'one' : drills} here).`
        : 'Name one with --incident ID (and --home for another workspace), or start one with jwkr respond --key <leaked key>.',
  })
}

async function summarise(location: IncidentLocation, now: Date): Promise<IncidentSummary> {
  let text = ''
  let problem: string | undefined
  try {
    text = await readFile(location.journalPath, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    problem = 'It has no journal (it was interrupted while being opened).'
  }
  const chainKey = await readChainKey(location.dir).catch((error: Error) => {
    problem ??= error.message
    return undefined
  })
  const {events, broken} = readJournal(text, {chainKey})
  if (events.length === 0 && !problem && !broken) {
    problem = 'Its journal has no events (it was interrupted while being opened, or the journal was emptied).'
  }
  const state = foldIncident(events)
  // The chain was checked above (readJournal): a journal that fails it is shown broken, never by the
  // status of the events before the break (a tampered closed incident read as `running`).
  const tampered = broken !== undefined && broken.incomplete !== true
  const owner = await readLock(location.dir)
  const age =
    state.openedAt === undefined ? undefined : Math.max(0, Math.floor((now.getTime() - Date.parse(state.openedAt)) / 1000))
  return {
    id: location.id,
    dir: location.dir,
    drill: location.drill,
    status: tampered ? 'broken' : state.status,
    ...(!tampered && state.status === 'closed' && state.closedUnproven ? {closedUnproven: true as const} : {}),
    openedAt: state.openedAt,
    lastEventAt: state.lastEventAt,
    age,
    thumbprint: state.thumbprint,
    kid: state.kid,
    playbook: state.playbookLoaded?.name ?? state.playbook,
    dryRun: events.find((event) => event.type === 'incident.opened')?.data.dryRun === true,
    events: events.length,
    intact: problem === undefined && broken === undefined,
    ...(problem || broken ? {problem: problem ?? broken?.reason} : {}),
    ...(owner && isOwnerAlive(owner) !== false ? {lockedBy: {pid: owner.pid, host: owner.host, since: owner.since}} : {}),
  }
}

function locate(home: string, id: string, drill: boolean): IncidentLocation {
  const dir = join(home, drill ? DRILLS_DIR : INCIDENTS_DIR, id)
  return {id, dir, journalPath: join(dir, JOURNAL_FILE), artifactsDir: join(dir, ARTIFACTS_DIR), drill}
}

async function knownIds(home: string): Promise<string[]> {
  const ids = [...(await subdirectories(join(home, INCIDENTS_DIR))), ...(await subdirectories(join(home, DRILLS_DIR)))]
  return ids.sort()
}

async function subdirectories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, {withFileTypes: true})
    return entries.filter((entry) => entry.isDirectory() && SAFE_ID.test(entry.name)).map((entry) => entry.name)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

/** Turns a file-system failure in the workspace into an error that says what to fix. */
async function guard<T>(home: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action()
  } catch (error) {
    throw workspaceError(home, error)
  }
}

function workspaceError(home: string, error: unknown): JwkrError {
  const code = (error as NodeJS.ErrnoException).code
  return new JwkrError('ERR_WORKSPACE_UNWRITABLE', `Cannot create an incident in ${home}: ${code ?? (error as Error).message}.`, {
    hint: 'Choose a workspace you can write to with --home or JWKR_HOME (it defaults to .jwkr in the current folder).',
    cause: error,
  })
}
