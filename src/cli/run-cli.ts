// The entry both bin/run.js and bin/dev.js call: oclif's execute, except that an error no command
// caught (a mistyped command, a hook's failure) is printed as jwkr prints its own, through
// printError, with jwkr's exit codes, instead of oclif's " ›   Error: command x not found".
import {flush, run, type Interfaces} from '@oclif/core'

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
      const debug = process.argv.includes('--debug') || Boolean(process.env.DEBUG)
      printError(failure, debug && error instanceof Error ? error.stack : undefined)
      exitCode = failure.exitCode
    }
  }
  process.exit(exitCode)
}
