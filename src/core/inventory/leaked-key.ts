// Which key of a key source is the leaked one, and its identity as locate matches on it. Shared by
// `jwkr services locate` and the services.locate / code.scan / code.search steps, so that they all
// act on the key key.inspect reports.
import {JwkrError} from '../errors.js'
import type {KeySet, LoadedKey} from '../key/types.js'
import type {LeakedKeyRef} from './locate.js'

/**
 * The leaked key: the first key that exposes private material (or is a shared secret), else the first.
 *
 * @example const key = leakedKeyOf(await loadKeySource('leaked.json', {secrets}))
 */
export function leakedKeyOf(set: KeySet): LoadedKey {
  const key = set.keys.find(({report}) => report.private || report.thumbprintDerivedFromSecret) ?? set.keys[0]
  if (!key) throw new JwkrError('ERR_JWKS_EMPTY', 'The key source holds no key.', {hint: 'Pass the leaked key itself.'})
  return key
}

/** The thumbprint and kid to locate; a JWT header names a key without carrying it, so it cannot be located. */
export function leakedKeyRef(key: LoadedKey): LeakedKeyRef {
  const {thumbprint, kid} = key.report
  if (thumbprint === null) {
    throw new JwkrError(
      'ERR_KEY_INVALID',
      `The key source only names a key${kid === null ? '' : ` (kid "${kid}")`}: locate matches on the key's RFC 7638 thumbprint, never on its kid alone.`,
      {hint: 'Pass the key itself, or the JWKS that holds it (with --kid to pick it).'},
    )
  }
  return {thumbprint, kid}
}
