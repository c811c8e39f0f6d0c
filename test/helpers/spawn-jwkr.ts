// Runs bin/dev.js as its own process (what a responder's shell does), for tests that need a real
// process: two at once, a working directory of their own, an environment of their own.
import {spawn} from 'node:child_process'
import {join} from 'node:path'

import {projectRoot} from './run.js'

export interface Finished {
  code: number | null
  stdout: string
  stderr: string
}

export interface SpawnOptions {
  cwd?: string
  env?: Record<string, string>
  /** Send `signal` once stdout and stderr together match `output` (as `kill` or a service manager would). */
  signalWhen?: {output: RegExp; signal: NodeJS.Signals}
}

/** @example const {code, stdout} = await spawnJwkr(['respond', '--key', 'leaked.json', '--json'], {env}) */
export function spawnJwkr(args: string[], options: SpawnOptions = {}): Promise<Finished> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin/dev.js'), ...args], {
    cwd: options.cwd ?? projectRoot,
    env: {...process.env, ...options.env, NO_COLOR: '1'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let signalled = false
  const watch = (): void => {
    if (!options.signalWhen || signalled || !options.signalWhen.output.test(stdout + stderr)) return
    signalled = true
    child.kill(options.signalWhen.signal)
  }
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    watch()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    watch()
  })
  return new Promise((resolve) => child.once('close', (code) => resolve({code, stdout, stderr})))
}
