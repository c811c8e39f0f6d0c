// Lines of a few byte offsets of a plain file, counted after the scan: counting every newline while
// scanning is half the cost of a scan, and only the examples shown need a line. One pass with one
// buffer, up to the furthest offset asked for.
import {closeSync, openSync, readSync} from 'node:fs'

import {countNewlines} from '../../core/tokens/find-tokens.js'

const BUFFER_BYTES = 1024 * 1024

/**
 * The 1-based line of each offset; an offset the file no longer reaches (it changed) is left out.
 *
 * @example linesAt('access.log', [0, 5120]) // Map {0 => 1, 5120 => 42}
 */
export function linesAt(path: string, offsets: readonly number[]): Map<number, number> {
  const wanted = [...new Set(offsets)].sort((a, b) => a - b)
  const lines = new Map<number, number>()
  if (wanted.length === 0) return lines
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return lines
  }
  try {
    const buffer = Buffer.allocUnsafe(BUFFER_BYTES)
    let newlines = 0
    let next = 0
    for (let position = 0; next < wanted.length;) {
      const read = readSync(fd, buffer, 0, BUFFER_BYTES, position)
      if (read === 0) break
      let counted = 0
      for (; next < wanted.length && (wanted[next] as number) < position + read; next++) {
        const at = (wanted[next] as number) - position
        newlines += countNewlines(buffer, counted, at)
        counted = at
        lines.set(wanted[next] as number, newlines + 1)
      }
      newlines += countNewlines(buffer, counted, read)
      position += read
    }
  } finally {
    closeSync(fd)
  }
  return lines
}
