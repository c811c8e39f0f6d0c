// The entry both bin/run.js and bin/dev.js call: oclif's execute, except that an error no command
// caught (a mistyped command, a hook's failure) is printed as jwkr prints its own, through
// printError, with jwkr's exit codes, instead of oclif's " ›   Error: command x not found".
import {flush, run, type Interfaces} from '@oclif/core'
import {fileURLToPath} from 'node:url'

import {SecretRegistry} from '../core/secrets.js'
import {isExitError, toJwkrError} from './base-command.js'
import {printError} from './print-error.js'
import {prepareFitWidth} from './style.js'

export async function runCli(options: {dir: string; loadOptions?: Interfaces.LoadOptions}): Promise<void> {
  let exitCode = 0
  try {
    await run(process.argv.slice(2), withLogger(options.loadOptions ?? options.dir))
    await flush()
  } catch (error) {
    if (isExitError(error)) {
      // A command that failed has printed its error already; ExitError carries only its code.
      exitCode = error.oclif.exit ?? 1
    } else {
      const failure = toJwkrError(error)
      await prepareFitWidth(process.stderr)
      // No command ran, so none registered the command line: a key pasted where the command name goes
      // would be quoted back by the "not a jwkr command" message. Register what looks private first.
      const secrets = new SecretRegistry()
      for (const arg of process.argv.slice(2)) secrets.addFromText(arg)
      const debug = process.argv.includes('--debug') || Boolean(process.env.DEBUG)
      const stack = debug && error instanceof Error && error.stack ? secrets.redact(error.stack) : undefined
      printError({message: secrets.redact(failure.message), hint: failure.hint && secrets.redact(failure.hint)}, stack)
      exitCode = failure.exitCode
    }
  }
  process.exit(exitCode)
}

const silent = (): void => {}

/** A logger that prints nothing: what oclif's debug-based logger is when DEBUG is unset. */
function silentLogger(namespace: string): Interfaces.Logger {
  const child = (name: string): Interfaces.Logger => silentLogger(`${namespace}:${name}`)
  return {child, debug: silent, error: silent, info: silent, namespace, trace: silent, warn: silent}
}

/**
 * oclif logs through the debug package, which reads DEBUG once, when it loads: with DEBUG unset every
 * line is dropped, so a silent logger prints the same and spares every run loading debug (~3 ms of the
 * start, bench/cold-start.mjs). With DEBUG set, or options that are not a path or plain options (a
 * Config, a logger of the caller's), the options are oclif's as given.
 */
function withLogger(loadOptions: Interfaces.LoadOptions): Interfaces.LoadOptions {
  if (process.env.DEBUG) return loadOptions
  if (typeof loadOptions === 'string') {
    const root = loadOptions.startsWith('file://') ? fileURLToPath(loadOptions) : loadOptions
    return {root, logger: silentLogger('oclif')}
  }
  if (loadOptions === undefined || Object.getPrototypeOf(loadOptions) !== Object.prototype || 'logger' in loadOptions) {
    return loadOptions
  }
  return {...loadOptions, logger: silentLogger('oclif')}
}
