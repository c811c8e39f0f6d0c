// Terminal colours, on only when the stream is a terminal and NO_COLOR is unset (ARCHITECTURE.md, Output and exit codes),
// and the one way text is made fit for a terminal: escaped, and wrapped to its width.
import pc from 'picocolors'
import wrapAnsi from 'wrap-ansi'

import {terminalOutput} from '../core/escape-untrusted.js'

export type Style = ReturnType<typeof pc.createColors>

/** On for a terminal; off with NO_COLOR, or --no-color on the command line (read as supports-color reads it). */
export function colorEnabled(
  stream: {isTTY?: boolean},
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv,
): boolean {
  if (argv.includes('--no-color')) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true
  return stream.isTTY === true
}

export function createStyle(stream: {isTTY?: boolean}): Style {
  return pc.createColors(colorEnabled(stream))
}

/**
 * Text for a stream: control characters shown escaped (a kid cannot clear or rewrite the screen),
 * jwkr's own colours kept where colour is on.
 *
 * @example process.stderr.write(forTerminal(`${style.red('✗')} ${kid}\n`, process.stderr))
 */
export function forTerminal(text: string, stream: {isTTY?: boolean}): string {
  return terminalOutput(text, {colour: colorEnabled(stream)})
}

/**
 * Text wrapped at word boundaries to the width of a terminal, each line's indent kept on the lines it
 * wraps into; unchanged for a pipe (a script reads whole lines) or a terminal that does not say its width.
 *
 * @example process.stdout.write(fitWidth(forTerminal(text, process.stdout), process.stdout))
 */
export function fitWidth(text: string, stream: {isTTY?: boolean; columns?: number}): string {
  const width = stream.columns ?? 0
  if (stream.isTTY !== true || width <= 0) return text
  return text
    .split('\n')
    .map((line) => {
      const indent = /^ */.exec(line)?.[0] ?? ''
      const room = Math.max(20, width - indent.length)
      return wrapAnsi(line.slice(indent.length), room, {hard: true})
        .split('\n')
        .map((part) => indent + part)
        .join('\n')
    })
    .join('\n')
}
