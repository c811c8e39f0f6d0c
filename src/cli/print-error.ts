// How an error looks on stderr, for a command's own errors and for oclif's (a mistyped command,
// a flag oclif refused before any command ran): "Error: what went wrong" then "→ what to do".
import {createStyle, fitWidth, forTerminal} from './style.js'

/** @example printError({message: 'No such incident.', hint: 'Run jwkr incident list.'}) */
export function printError(document: {message: string; hint?: string | null}, stack?: string): void {
  const style = createStyle(process.stderr)
  const lines = [`${style.red('Error:')} ${document.message}`]
  if (document.hint) lines.push(`${style.dim('→')} ${document.hint}`)
  if (stack) lines.push(stack)
  process.stderr.write(`${fitWidth(forTerminal(lines.join('\n'), process.stderr), process.stderr)}\n`)
}
