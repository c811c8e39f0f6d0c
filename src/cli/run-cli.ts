// The entry both bin/run.js and bin/dev.js call: oclif's execute, except that an error no command
// caught (a mistyped command, a hook's failure) is printed as jwkr prints its own, through
// printError, with jwkr's exit codes, instead of oclif's " ›   Error: command x not found".
import {flush, run, type Interfaces} from '@oclif/core'

import {SecretRegistry} from '../core/secrets.js'
import {isExitError, toJwkrError} from './base-command.js'
import {printError} from './print-error.js'
import {prepareFitWidth} from './style.js'

export async function runCli(options: {dir: string; loadOptions?: Interfaces.LoadOptions}): Promise<void> {
  let exitCode = 0
  try {
    await run(process.argv.slice(2), options.loadOptions ?? options.dir)
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
