// The flow shared by the IdPs that generate their own keys (Auth0, Okta, Vault): record the key set
// before changing it, then ask the IdP to rotate until the leaked key neither signs nor is next in
// line (a leaked *next* key takes two rotations). A rotation always creates a key, so a stage is
// known to be done when the list holds a thumbprint the set before it did not: that is its check().
import {JwkrError} from '../../core/errors.js'
import {findByThumbprint} from './key-material.js'
import type {ChangeResult, EffectRunner, KeyRef, SourceKey} from './issuer-key-store.js'

/** What the source held before jwkr changed anything (the ref of the `snapshot` stage). */
export interface Snapshot extends Record<string, unknown> {
  found: boolean
  kid: string | null
  status: string | null
  thumbprints: string[]
}

export interface RotationLoop {
  list: () => Promise<SourceKey[]>
  /** True when the leaked key (undefined: no longer listed) can no longer sign tokens. */
  retired: (leaked: SourceKey | undefined) => boolean
  /** The IdP's rotate call. */
  rotate: () => Promise<void>
  /** e.g. 'POST https://tenant.auth0.com/api/v2/keys/signing/rotate' */
  description: string
  maxRotations: number
}

/**
 * Records which keys the source holds before any change. On resume the recorded set is what later
 * checks compare with, since by then the source has changed.
 */
export async function takeSnapshot(
  run: EffectRunner,
  list: () => Promise<SourceKey[]>,
  thumbprint: string,
  what: string,
): Promise<Snapshot> {
  const read = async (): Promise<Snapshot> => {
    const keys = await list()
    const leaked = findByThumbprint(keys, thumbprint)
    return {
      found: leaked !== undefined,
      kid: leaked?.kid ?? null,
      status: leaked?.status ?? null,
      thumbprints: keys.map((key) => key.thumbprint),
    }
  }
  // Reading twice changes nothing, so an interrupted snapshot is simply taken again.
  return run('snapshot', `Record the keys of ${what} before changing them`, read, read)
}

/** Rotates until `retired` holds; returns the key list after the last rotation. */
export async function rotateUntilRetired(
  run: EffectRunner,
  thumbprint: string,
  snapshot: Snapshot,
  loop: RotationLoop,
  stages: string[],
): Promise<SourceKey[]> {
  let before = snapshot.thumbprints
  for (let round = 1; round <= loop.maxRotations; round++) {
    const keys = await loop.list()
    if (loop.retired(findByThumbprint(keys, thumbprint))) return keys
    const stage = `rotate-${round}`
    const since = before
    const ref = await run(
      stage,
      loop.description,
      async () => {
        await loop.rotate()
        return {thumbprints: (await loop.list()).map((key) => key.thumbprint)}
      },
      async () => {
        const now = (await loop.list()).map((key) => key.thumbprint)
        return now.some((value) => !since.includes(value)) ? {thumbprints: now} : undefined
      },
    )
    before = Array.isArray(ref.thumbprints) ? (ref.thumbprints as string[]) : []
    stages.push(stage)
  }
  const keys = await loop.list()
  if (!loop.retired(findByThumbprint(keys, thumbprint))) {
    throw new JwkrError('ERR_IDP_CONFLICT', `The leaked key can still sign after ${loop.maxRotations} rotations.`, {
      hint: 'It may belong to another key set of this IdP, or something rotated it back: list the keys (jwkr key rotate --dry-run) and check the inventory.',
      details: {thumbprint},
    })
  }
  return keys
}

export function keyRef(key: {kid: string | null; thumbprint: string} | undefined | null): KeyRef {
  return {kid: key?.kid ?? null, thumbprint: key?.thumbprint ?? null}
}

/** The result of a change that found no leaked key: nothing was touched. */
export function notFoundResult(
  issuerId: string,
  source: string,
  thumbprint: string,
  where: string,
  stages: string[],
): ChangeResult {
  return {
    issuerId,
    source,
    outcome: 'not-found',
    added: [],
    removed: [],
    signingSwitched: null,
    leakedStillListed: false,
    stages,
    warnings: [`The leaked key (thumbprint ${thumbprint}) is not in ${where}; nothing was changed there.`],
  }
}
