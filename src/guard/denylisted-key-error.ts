// The error a guarded key resolver throws for a denied key. It is a jose error (JOSEError), so a
// relying party that already answers 401 to jose's verification errors answers 401 to this one too.
import {errors} from 'jose'

import type {DenylistEntry} from '../core/containment/denylist.js'

/** How the token matched the denylist. */
export type DenylistMatchKind = 'thumbprint' | 'kid+iss'

export interface DenylistMatch {
  by: DenylistMatchKind
  thumbprint: string
  /** The entry, when the denylist has one for it (a bare thumbprint in Redis has none). */
  entry: DenylistEntry | undefined
}

export class DenylistedKeyError extends errors.JOSEError {
  static override code = 'ERR_JWKR_KEY_DENYLISTED'
  override code = 'ERR_JWKR_KEY_DENYLISTED'
  readonly match: DenylistMatch

  constructor(match: DenylistMatch) {
    const what = match.by === 'thumbprint' ? `key ${match.thumbprint}` : `key "${match.entry?.kid}" of ${match.entry?.iss}`
    super(`The token is signed with a denied key (${what}, reason: ${match.entry?.reason ?? 'listed'}).`)
    this.match = match
  }
}
