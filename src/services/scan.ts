// One call for `jwkr code scan` and the `code.scan` playbook step: the needles of one leaked key,
// searched for in files on disk. Private needles are registered as secrets before anything runs, so
// no output path can print them even if a bug let one through.
import {JwkrError} from '../core/errors.js'
import {keyNeedles} from '../core/key/needles.js'
import type {KeySet, LoadedKey} from '../core/key/types.js'
import type {SecretRegistry} from '../core/secrets.js'
import type {ScanHit} from '../adapters/scan/file-scanner.js'
import {scanPaths, type ScanPathsOptions, type ScanSummary} from '../adapters/scan/scan-paths.js'

export interface CodeScanOptions extends ScanPathsOptions {
  secrets: SecretRegistry
}

/** How far a scan has come, as `onProgress` reports it. */
export type CodeScanProgress = Parameters<NonNullable<ScanPathsOptions['onProgress']>>[0]

export interface CodeScanResult {
  /** RFC 7638 thumbprint of the key searched for (null for a JWT header, which only names a key). */
  thumbprint: string | null
  kid: string | null
  /** How many strings were searched for, and how many of them are private material. */
  needles: {total: number; private: number}
  hits: ScanHit[]
  filesScanned: number
  bytesScanned: number
  skipped: ScanSummary['skipped']
}

/**
 * @example const result = await scanForKey(set.keys[0], ['.'], {secrets, hidden: false, gitignore: true, maxFileSize: 10 << 20})
 */
export async function scanForKey(key: LoadedKey, paths: readonly string[], options: CodeScanOptions): Promise<CodeScanResult> {
  const needles = keyNeedles(key)
  for (const needle of needles) if (!needle.public) options.secrets.add(needle.value)
  if (needles.length === 0) {
    throw new JwkrError('ERR_KEY_INVALID', 'The key gives nothing distinctive to search for.', {
      hint: 'A JWT header names its key by kid, and a kid shorter than 8 characters is too common to search for: pass the key itself, or the JWKS that holds it.',
    })
  }
  const summary = await scanPaths(paths, needles, options)
  return {
    thumbprint: key.report.thumbprint,
    kid: key.report.kid,
    needles: {total: needles.length, private: needles.filter((needle) => !needle.public).length},
    ...summary,
  }
}

/** The one key to search for: a source holding several (a JWKS) needs --kid or --thumbprint. */
export function singleKey(set: KeySet): LoadedKey {
  const [first, ...rest] = set.keys
  if (!first) throw new JwkrError('ERR_JWKS_EMPTY', 'The key source holds no key.', {hint: 'Pass the leaked key itself.'})
  if (rest.length > 0) {
    const available = set.keys.map(({report}) => `${report.kid ?? '(no kid)'} ${report.thumbprint ?? ''}`.trim())
    throw new JwkrError('ERR_KEY_AMBIGUOUS', `The key source holds ${set.keys.length} keys; jwkr code scan searches for one.`, {
      hint: `Choose it with --kid or --thumbprint: ${available.join('; ')}.`,
      details: {available},
    })
  }
  return first
}
