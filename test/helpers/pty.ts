// Drives a jwkr command on a real pseudo-terminal (util-linux `script`), answering prompts as a
// person would: wait for a question on the screen, then press keys.
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {setTimeout as sleep} from 'node:timers/promises'
import {stripVTControlCharacters} from 'node:util'

import {projectRoot} from './run.js'

export const keys = {enter: '\r', down: '\u001b[B', ctrlC: '\u0003'}

export interface TerminalStep {
  /** Wait until the screen (everything printed so far, after the previous step) matches. */
  waitFor: RegExp
  /** Then type this. */
  send: string
}

/** The footer @inquirer/prompts shows under a select: a question is waiting for an answer. */
const PROMPT_FOOTER = /navigate • ⏎ select|\(y\/N\)|\(Y\/n\)/

export interface TerminalRun {
  exitCode: number | null
  screen: string
}

/** Runs `node bin/dev.js ARGS` on a pseudo-terminal and plays the steps; resolves when it exits. */
export async function runOnTerminal(
  args: string[],
  steps: TerminalStep[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
  /** After the scripted steps, answer every further question with this (e.g. Enter: proceed). */
  thenAnswer?: string,
  /** The terminal's width (default 120). */
  columns = 120,
): Promise<TerminalRun> {
  const child = spawnOnTerminal(args, {columns, rows: 40}, {...env, NO_COLOR: '1', LINES: '40'})
  let screen = ''
  child.stdout.on('data', (chunk: Buffer) => {
    screen += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    screen += chunk.toString('utf8')
  })
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  const deadline = Date.now() + timeoutMs
  let from = 0
  for (const step of steps) {
    while (!step.waitFor.test(screen.slice(from))) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL')
        throw new Error(`Timed out waiting for ${step.waitFor} on the terminal. Screen:\n${screen}`)
      }
      await sleep(50)
    }
    from = screen.length
    await sleep(100)
    child.stdin.write(step.send)
  }
  if (thenAnswer !== undefined) {
    while (child.exitCode === null && Date.now() < deadline) {
      if (PROMPT_FOOTER.test(screen.slice(from))) {
        from = screen.length
        await sleep(100)
        child.stdin.write(thenAnswer)
      }
      await sleep(50)
    }
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(1000, deadline - Date.now()))
  const exitCode = await exited
  clearTimeout(timer)
  child.stdin.end()
  return {exitCode, screen}
}

/** Runs `node bin/dev.js ARGS` on a pseudo-terminal COLUMNS wide and returns what it printed, escapes removed. */
export async function printOnTerminal(
  args: string[],
  columns: number,
  env: NodeJS.ProcessEnv = {},
  /** raw: the bytes as printed, escapes and all; timeoutMs: killed after this long (exit code null). */
  options: {raw?: boolean; timeoutMs?: number} = {},
): Promise<{exitCode: number | null; screen: string}> {
  const child = spawnOnTerminal(args, {columns, rows: 50}, env)
  // Nothing to type: its input ends at once, as /dev/null's would.
  child.stdin.end()
  let screen = ''
  child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')))
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve))
  clearTimeout(timer)
  if (options.raw) return {exitCode, screen}
  // What stays on the screen: a carriage return or a cursor move to column 1 (a spinner's next frame)
  // rewrites the line it is on.
  // eslint-disable-next-line no-control-regex -- matching the terminal's escape sequence is the point
  const lines = stripVTControlCharacters(screen.replace(/\u001b\[1?G/g, '\r'))
    .split('\n')
    .map((line) => line.replace(/\r$/, '').split('\r').at(-1) ?? '')
  return {exitCode, screen: lines.join('\n')}
}

/**
 * `node bin/dev.js ARGS` under util-linux `script`, on a terminal COLUMNS×ROWS. The shell `script` starts
 * execs node, so node is the terminal's only process: a Ctrl-C reaches node alone, and the exit code
 * `script` reports is node's (a shell left waiting would be interrupted too and report 130 itself).
 */
function spawnOnTerminal(
  args: string[],
  size: {columns: number; rows: number},
  env: NodeJS.ProcessEnv,
): ChildProcessWithoutNullStreams {
  const command = ['node', 'bin/dev.js', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  return spawn('script', ['-qfec', `stty cols ${size.columns} rows ${size.rows}; exec ${command}`, '/dev/null'], {
    cwd: projectRoot,
    env: {...process.env, ...env, COLUMNS: String(size.columns), TERM: 'xterm'},
    stdio: 'pipe',
  })
}

/**
 * Environment that makes the command print how it ended (`[exit-trace] exit CODE`, a process.exit
 * or a signal it sent itself, with where from): a test whose exit code is wrong shows why.
 */
export const exitTrace: NodeJS.ProcessEnv = {
  NODE_OPTIONS:
    `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(join(projectRoot, 'test/helpers/exit-trace.mjs')).href}`.trim(),
}
