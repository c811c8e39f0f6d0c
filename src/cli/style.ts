// Terminal colours, on only when the stream is a terminal and NO_COLOR is unset (ARCHITECTURE.md, Output and exit codes),
// and the one way text is made fit for a terminal.
import pc from 'picocolors'

import {terminalOutput} from '../core/escape-untrusted.js'

export type Style = ReturnType<typeof pc.createColors>

export function colorEnabled(stream: {isTTY?: boolean}, env: NodeJS.ProcessEnv = process.env): boolean {
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
