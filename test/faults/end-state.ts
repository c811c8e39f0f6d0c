// The end state a response must reach however it was interrupted, checked against the world itself
// (the issuer's JWKS, the denylist file, the fake Slack and GitHub) and the incident's journal. Each
// check that fails is one line in the returned list, so a test shows every problem of a kill point at once.
import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {calculateJwkThumbprint, type JWK} from 'jose'

import {NOTICE_EVENT_TYPE, STATUS_EVENT_TYPE} from '../../src/adapters/slack/messages.js'
import {NOTIFY_REPO} from '../../src/drill/build-world.js'
import type {JournalEvent} from '../../src/core/journal/types.js'
import type {IncidentLocation} from '../../src/incident/workspace.js'
import {verifyIncident} from '../../src/incident/verify-incident.js'
import type {FaultWorld} from './fault-world.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const

/** The incident a check looks at: the world's own (a drill's), or one a CLI run opened in the same home. */
export type IncidentRef = Pick<IncidentLocation, 'id' | 'dir' | 'journalPath'>

/** The journal's events (complete lines only). */
export async function journalEvents(incident: IncidentRef): Promise<JournalEvent[]> {
  const text = await readFile(incident.journalPath, 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JournalEvent]
      } catch {
        return []
      }
    })
}

interface CheckOptions {
  /** Texts the processes printed, checked for the leaked key's private members. */
  outputs?: string[]
  incident?: IncidentRef
}

/** Everything wrong with the world and the incident after a response that should be complete; [] when all is well. */
export async function endStateProblems(faultWorld: FaultWorld, options: CheckOptions = {}): Promise<string[]> {
  return [
    ...(await containmentProblems(faultWorld)),
    ...notificationProblems(faultWorld),
    ...(await journalProblems(faultWorld, options)),
  ]
}

/** The issuer publishes one replacement and not the leaked key; the denylist lists the leaked key once. */
export async function containmentProblems(faultWorld: FaultWorld): Promise<string[]> {
  const {world} = faultWorld
  const problems: string[] = []
  const leakedThumbprint = world.leak.thumbprint
  const jwks = JSON.parse(await readFile(world.jwksPath, 'utf8')) as {keys: JWK[]}
  const published = await Promise.all(jwks.keys.map((key) => calculateJwkThumbprint(key, 'sha256')))
  if (published.includes(leakedThumbprint)) problems.push('the leaked key is still in the JWKS')
  const replacements = published.filter((thumbprint) => !faultWorld.thumbprintsBefore.includes(thumbprint))
  if (replacements.length !== 1) problems.push(`${replacements.length} replacement keys published (want 1)`)
  const served = (await (await fetch(world.urls.jwks)).json()) as {keys: JWK[]}
  const servedThumbprints = await Promise.all(served.keys.map((key) => calculateJwkThumbprint(key, 'sha256')))
  if (servedThumbprints.includes(leakedThumbprint)) problems.push('the issuer still serves the leaked key')
  const denylist = JSON.parse(await readFile(world.denylistPath, 'utf8')) as {entries: Array<{thumbprint: string}>}
  const denied = denylist.entries.filter((entry) => entry.thumbprint === leakedThumbprint).length
  if (denied !== 1) problems.push(`the denylist lists the leaked key ${denied} times (want 1)`)
  return problems
}

/** One GitHub tracking issue, one Slack status message, one notice in each team's channel. */
export function notificationProblems(faultWorld: FaultWorld): string[] {
  const {world} = faultWorld
  const problems: string[] = []
  const issues = world.github.repos.find((repo) => repo.fullName === NOTIFY_REPO)?.issues ?? []
  if (issues.length !== 1) problems.push(`${issues.length} GitHub tracking issues (want 1)`)
  const ours = (type: string) => world.slack.messages.filter((message) => message.metadata?.event_type === type)
  const statuses = ours(STATUS_EVENT_TYPE).length
  if (statuses !== 1) problems.push(`${statuses} Slack status messages (want 1)`)
  const notices = new Map<string, number>()
  for (const message of ours(NOTICE_EVENT_TYPE)) notices.set(message.channel, (notices.get(message.channel) ?? 0) + 1)
  const teams = new Set(world.services.map((service) => service.team))
  if (notices.size !== teams.size || [...notices.values()].some((count) => count !== 1)) {
    problems.push(`Slack notices per team channel: ${JSON.stringify([...notices.values()])} (want 1 in each of ${teams.size})`)
  }
  return problems
}

/**
 * The journal: the run finished completed with the proof, every effect's intent has its result (or a
 * recorded repeat), the chain verifies, no temporary file is left, and no private member of the leaked
 * key was printed or journaled.
 */
export async function journalProblems(
  faultWorld: FaultWorld,
  {outputs = [], incident = faultWorld.world.incident}: CheckOptions = {},
): Promise<string[]> {
  const problems: string[] = []
  const events = await journalEvents(incident)
  const finished = events.filter((event) => event.type === 'run.finished').at(-1)
  if (finished?.data.status !== 'completed') problems.push(`the run did not finish completed (${String(finished?.data.status)})`)
  problems.push(...unresolvedEffects(events))
  const proved = events.some((event) => event.type === 'step.succeeded' && event.data.step === 'prove')
  if (!proved) problems.push('the proof (step prove) never succeeded')
  try {
    const verified = await verifyIncident(faultWorld.home, incident.id)
    if (verified.chain !== 'keyed' || verified.warnings.length > 0) {
      problems.push(`incident verify: ${verified.chain} chain, warnings ${JSON.stringify(verified.warnings)}`)
    }
  } catch (error) {
    problems.push(`incident verify failed: ${(error as Error).message}`)
  }
  const leftovers = await tempFiles(incident.dir)
  if (leftovers.length > 0) problems.push(`temporary files left: ${leftovers.join(', ')}`)
  const texts = [...outputs, await readFile(incident.journalPath, 'utf8').catch(() => '')]
  for (const member of PRIVATE_MEMBERS) {
    const value = faultWorld.leaked[member]
    if (typeof value === 'string' && texts.some((text) => text.includes(value))) {
      problems.push(`the leaked key's private member ${member} was printed or journaled`)
    }
  }
  return problems
}

/** Effects whose intent was never followed by a done, nor by a recorded repeat that then got one. */
export function unresolvedEffects(events: readonly JournalEvent[]): string[] {
  const problems: string[] = []
  events.forEach((event, index) => {
    if (event.type !== 'effect.intent') return
    const key = event.data.key
    const resolved = events
      .slice(index + 1)
      .some((later) => (later.type === 'effect.done' || later.type === 'effect.repeated') && later.data.key === key)
    if (!resolved) problems.push(`effect ${String(key)} has an intent (line ${event.seq}) and no result`)
  })
  return problems
}

export async function tempFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir, {recursive: true}).catch(() => [] as string[])
  return names
    .map(String)
    .filter((name) => /\.tmp$|\.tmp\./.test(name))
    .map((name) => join('…', name))
}
