// The live line of a long wait (a step running, containment being proven): on a terminal one line
// that updates in place every second (a spinner, a countdown); without one, the same line printed as
// a heartbeat at least every 30 s, so a log shows the run is alive and where it stands.
import ora, {type Ora} from 'ora'
import wrapAnsi from 'wrap-ansi'

import {formatDuration} from '../core/duration.js'
import {redrawsInPlace} from './style.js'

export interface StatusLine {
  /** Shows (or replaces) the live line; `text` is read again every second on a terminal, at each heartbeat otherwise. */
  show(text: () => string): void
  /** Removes the live line, before a normal line is printed. */
  clear(): void
}

export interface StatusLineOptions {
  stream: NodeJS.WritableStream & {isTTY?: boolean; columns?: number}
  /** Made fit for the stream (redacted, escaped). */
  format: (text: string) => string
  /** Without a terminal: how often the line is printed while it shows (default 20 s, below the 30 s promised). */
  heartbeatMs?: number
  /** On a terminal: how often the line is read again (default 1 s). */
  refreshMs?: number
}

export const HEARTBEAT_MS = 20_000

export function createStatusLine(options: StatusLineOptions): StatusLine {
  return redrawsInPlace(options.stream) ? terminalLine(options) : heartbeatLine(options)
}

function terminalLine(options: StatusLineOptions): StatusLine {
  let spinner: Ora | undefined
  let timer: NodeJS.Timeout | undefined
  return {
    show(text) {
      // One line that fits: a line the terminal wraps cannot be rewritten in place.
      const render = (): string => fitStatusLine(options.format(text()), (options.stream as {columns?: number}).columns)
      if (spinner) spinner.text = render()
      // isEnabled: the terminal was checked above. Left to ora, a CI variable in the environment turns
      // the line off on a real terminal: it is printed once and never updated.
      else spinner = ora({text: render(), stream: options.stream, discardStdin: false, isEnabled: true}).start()
      clearInterval(timer)
      timer = setInterval(() => {
        if (spinner) spinner.text = render()
      }, options.refreshMs ?? 1000)
      timer.unref()
    },
    clear() {
      clearInterval(timer)
      timer = undefined
      spinner?.stop()
      spinner = undefined
    },
  }
}

function heartbeatLine(options: StatusLineOptions): StatusLine {
  let timer: NodeJS.Timeout | undefined
  let current: (() => string) | undefined
  return {
    show(text) {
      current = text
      if (timer) return
      timer = setInterval(() => {
        if (current) options.stream.write(`  … ${options.format(current())}\n`)
      }, options.heartbeatMs ?? HEARTBEAT_MS)
      timer.unref()
    },
    clear() {
      clearInterval(timer)
      timer = undefined
      current = undefined
    },
  }
}

/**
 * Text cut to the terminal's width (minus the spinner), with an ellipsis. Cut by display width, not by
 * characters: a CJK character or an emoji takes two columns, and a line one column too wide wraps, and
 * a wrapped line cannot be rewritten in place. wrap-ansi (already the project's wrapper) measures it.
 */
export function fitStatusLine(text: string, columns: number | undefined): string {
  const room = (columns ?? 80) - 3
  const cut = (width: number): string[] => wrapAnsi(text, width, {hard: true, wordWrap: false, trim: false}).split('\n')
  if (cut(room).length <= 1) return text
  return `${cut(room - 1)[0] ?? ''}…`
}

/** `next check in 4s`, counted from now: for a status line read again every second. */
export function nextCheckIn(nextAt: string | undefined, now: Date): string | undefined {
  if (nextAt === undefined) return undefined
  const left = Date.parse(nextAt) - now.getTime()
  return left > 0 ? `next check in ${formatDuration(Math.ceil(left / 1000) * 1000)}` : 'checking'
}
