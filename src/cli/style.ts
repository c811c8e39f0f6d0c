// Terminal colours, on only when the stream is a terminal and NO_COLOR is unset (ARCHITECTURE.md, Output and exit codes),
// and the one way text is made fit for a terminal: escaped, and wrapped to its width.
import pc from 'picocolors'

import {terminalOutput} from '../core/escape-untrusted.js'

export type Style = ReturnType<typeof pc.createColors>

type Stream = {isTTY?: boolean; columns?: number}

/** wrap-ansi, once a terminal needs it: importing it builds an Intl.Segmenter (string-width), a pipe never does. */
let wrapAnsi: typeof import('wrap-ansi').default | undefined

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
 * Loads what fitWidth wraps with, when one of the streams is a terminal that says its width; nothing
 * for pipes, which fitWidth leaves alone (issue 18: not a cost of every start). The base command and
 * run-cli call it before they print.
 */
export async function prepareFitWidth(...streams: Stream[]): Promise<void> {
  if (wrapAnsi === undefined && streams.some(wraps)) wrapAnsi = (await import('wrap-ansi')).default
}

function wraps(stream: Stream): boolean {
  return stream.isTTY === true && (stream.columns ?? 0) > 0
}

/**
 * Whether a live line (a spinner, a countdown) may be redrawn in place on this stream: a terminal that
 * says its width, and not TERM=dumb. A pseudo-terminal without a width (`script` run from a pipe, some
 * container and CI shells) reports 0 columns; ora then counts its line as infinitely many and erases
 * them forever, and the command never ends. Everything else gets plain lines.
 *
 * @example const spinner = redrawsInPlace(process.stderr) ? ora({stream: process.stderr}).start() : null
 */
export function redrawsInPlace(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  return wraps(stream) && env.TERM !== 'dumb'
}

/**
 * Text wrapped at word boundaries to the width of a terminal, each line's indent kept on the lines it
 * wraps into; unchanged for a pipe (a script reads whole lines) or a terminal that does not say its width.
 * The wrapper is loaded by prepareFitWidth, not here: before it has run, text is left as it is.
 *
 * @example await prepareFitWidth(process.stdout)
 * process.stdout.write(fitWidth(forTerminal(text, process.stdout), process.stdout))
 */
export function fitWidth(text: string, stream: Stream): string {
  const wrap = wrapAnsi
  if (!wraps(stream) || wrap === undefined) return text
  const width = stream.columns ?? 0
  return text
    .split('\n')
    .map((line) => {
      const indent = /^ */.exec(line)?.[0] ?? ''
      const room = Math.max(20, width - indent.length)
      return wrap(line.slice(indent.length), room, {hard: true})
        .split('\n')
        .map((part) => indent + part)
        .join('\n')
    })
    .join('\n')
}
