// What `jwkr key thumbprint` prints: one thumbprint (or RFC 9278 URI) per key that has one.
import {JwkrError} from '../errors.js'
import {thumbprintUri, type ThumbprintHash} from './thumbprint.js'
import type {KeySet} from './types.js'

export interface ThumbprintResult {
  hash: ThumbprintHash
  lines: string[]
}

export function thumbprintLines(set: KeySet, options: {hash: ThumbprintHash; uri: boolean}): ThumbprintResult {
  const values = set.keys.flatMap(({report}) => (report.thumbprints ? [report.thumbprints[options.hash]] : []))
  if (values.length === 0) {
    throw new JwkrError('ERR_KEY_INVALID', 'The input names a key (a JWT header) but holds no key material to thumbprint.', {
      hint: 'Pass the key itself, or the JWKS that holds it, and select it with --kid.',
    })
  }
  return {hash: options.hash, lines: values.map((value) => (options.uri ? thumbprintUri(options.hash, value) : value))}
}
