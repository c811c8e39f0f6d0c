// How a path is shown to the person running jwkr: as they would type it from where they stand.
import {relative} from 'node:path'

/**
 * A path relative to `cwd` when it lies below it, absolute otherwise.
 *
 * @example displayPath('/work/ir/artifacts/rca.md', '/work/ir') // → 'artifacts/rca.md'
 */
export function displayPath(path: string, cwd: string): string {
  const shown = relative(cwd, path)
  return shown === '' || shown.startsWith('..') ? path : shown
}
