// Drives a jwkr command on a real pseudo-terminal (util-linux `script`), answering prompts as a
// person would: wait for a question on the screen, then press keys.
import {spawn} from 'node:child_process'
import {setTimeout as sleep} from 'node:timers/promises'

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
  const command = ['node', 'bin/dev.js', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const child = spawn('script', ['-qfec', `stty cols ${columns} rows 40; ${command}`, '/dev/null'], {
    cwd: projectRoot,
    env: {...process.env, ...env, NO_COLOR: '1', COLUMNS: String(columns), LINES: '40', TERM: 'xterm'},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
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
