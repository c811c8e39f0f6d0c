// Whether a drill's incident can be resumed: its world (issuer, services, Slack, GitHub on loopback)
// lives in the process that built it, so once that process is gone a resume would probe dead ports
// for a minute and fail. Asks the world's issuer, as world.json recorded it, whether it is still
// there; refuses with what to do instead when it is not.
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {JwkrError} from '../core/errors.js'
import type {IncidentLocation} from '../incident/workspace.js'

const WORLD_MANIFEST = join('world', 'world.json')
const ASK_MS = 1500

/**
 * @throws JwkrError ERR_DRILL_WORLD_GONE when the drill's world is no longer running.
 * @example if (location.drill) await assertDrillWorldRunning(location)
 */
export async function assertDrillWorldRunning(location: IncidentLocation): Promise<void> {
  const manifest = await readFile(join(location.dir, WORLD_MANIFEST), 'utf8')
    .then((text) => JSON.parse(text) as {scenario?: unknown; urls?: {discovery?: unknown; issuer?: unknown}})
    .catch(() => undefined)
  const discovery = typeof manifest?.urls?.discovery === 'string' ? manifest.urls.discovery : undefined
  if (discovery && (await answersAs(discovery, manifest?.urls?.issuer))) return
  const scenario = typeof manifest?.scenario === 'string' ? manifest.scenario : 'basic'
  throw new JwkrError(
    'ERR_DRILL_WORLD_GONE',
    `Drill ${location.id} cannot be resumed: its world (the issuer, services, Slack and GitHub on loopback) ended with the process that ran it.`,
    {
      hint: `Run a new drill with jwkr drill --scenario ${scenario}; jwkr drill report ${location.id} shows what this one did.`,
      details: {incident: location.id},
    },
  )
}

/** Whether the issuer's discovery document still answers with the issuer the world recorded. */
async function answersAs(discovery: string, issuer: unknown): Promise<boolean> {
  try {
    const response = await fetch(discovery, {signal: AbortSignal.timeout(ASK_MS)})
    if (!response.ok) return false
    const body = (await response.json()) as {issuer?: unknown}
    return body.issuer === issuer
  } catch {
    return false
  }
}
