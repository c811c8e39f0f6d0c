// Runs a jwkr command in-process through @oclif/test, always from the TypeScript sources: the
// command class is imported through vitest (so a stale dist/ or manifest can never be tested), and
// captureOutput collects stdout, stderr, the result and the error (with its exit code).
import {captureOutput} from '@oclif/test'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {Command, Config} from '@oclif/core'

type CommandClass = (new (argv: string[], config: Config) => Command) & typeof Command

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url))

/** `run(['key', 'inspect', 'file.json', '--json'])`: topics and verbs first, as on the command line. */
export async function run<T = unknown>(args: string[]) {
  let file: string | undefined
  let split = 0
  for (let i = args.length; i > 0 && file === undefined; i--) {
    const base = join(projectRoot, 'src/commands', ...args.slice(0, i))
    file = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate))
    split = i
  }
  if (file === undefined) throw new Error(`No command in src/commands for ${args.join(' ')}`)
  const module = (await import(/* @vite-ignore */ file)) as {default: CommandClass}
  return captureOutput<T>(() => module.default.run(args.slice(split), {root: projectRoot, ignoreManifest: true}))
}

/** The exit code of a captured error (oclif's ExitError carries it in `oclif.exit`). */
export function exitCodeOf(error: Error | undefined): number {
  if (!error) return 0
  return (error as Error & {oclif?: {exit?: number}}).oclif?.exit ?? 1
}
