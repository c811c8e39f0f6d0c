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

/** @example const {code, stdout} = await spawnJwkr(['respond', '--key', 'leaked.json', '--json'], {env}) */
export function spawnJwkr(args: string[], options: {cwd?: string; env?: Record<string, string>} = {}): Promise<Finished> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin/dev.js'), ...args], {
    cwd: options.cwd ?? projectRoot,
    env: {...process.env, ...options.env, NO_COLOR: '1'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve) => child.once('close', (code) => resolve({code, stdout, stderr})))
}
