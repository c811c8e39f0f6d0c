// Opens a local file in the desktop's default application (the HTML RCA in a browser): the
// platform's own opener (xdg-open, open, start), or the program JWKR_OPENER names. The command is
// chosen by a pure function, so tests check what would run without starting a browser.
import {spawn} from 'node:child_process'

import {JwkrError} from '../../core/errors.js'

export interface OpenerCommand {
  command: string
  args: string[]
}

/**
 * The command that opens `file` on this platform.
 *
 * @example openerCommand('/tmp/rca.html', {platform: 'linux', env: {}}) // {command: 'xdg-open', args: ['/tmp/rca.html']}
 */
export function openerCommand(file: string, options: {platform: NodeJS.Platform; env: NodeJS.ProcessEnv}): OpenerCommand {
  const chosen = options.env.JWKR_OPENER?.trim()
  if (chosen) return {command: chosen, args: [file]}
  if (options.platform === 'darwin') return {command: 'open', args: [file]}
  // `start` is a cmd built-in; its first quoted argument is a window title.
  if (options.platform === 'win32') return {command: 'cmd', args: ['/c', 'start', '""', file]}
  return {command: 'xdg-open', args: [file]}
}

/** Starts the opener and waits until it has started (not until the browser closes). */
export async function openFile(
  file: string,
  options: {platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv} = {},
): Promise<OpenerCommand> {
  const opener = openerCommand(file, {platform: options.platform ?? process.platform, env: options.env ?? process.env})
  await new Promise<void>((resolve, reject) => {
    const child = spawn(opener.command, opener.args, {detached: true, stdio: 'ignore'})
    child.once('error', (error) =>
      reject(
        new JwkrError('ERR_USAGE', `Could not open ${file} with ${opener.command}: ${error.message}`, {
          hint: `Open the file yourself, or name a program in JWKR_OPENER (e.g. JWKR_OPENER=firefox).`,
        }),
      ),
    )
    child.once('spawn', () => {
      child.unref()
      resolve()
    })
  })
  return opener
}
