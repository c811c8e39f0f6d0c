// The base of every jwkr command: --json, --debug, exit codes of ARCHITECTURE.md, and redaction of every
// string that leaves the process through the command (stdout, stderr, JSON, errors), escaped for
// where it goes (core/escape-untrusted.ts): a kid holding an escape sequence never reaches the
// terminal raw.
import {Command, Errors, Flags, ux, type Interfaces} from '@oclif/core'
import {format} from 'node:util'

import {ExitCode, JwkrError} from '../core/errors.js'
import {jsonOutput} from '../core/escape-untrusted.js'
import {SecretRegistry} from '../core/secrets.js'
import {printError} from './print-error.js'
import {createStyle, fitWidth, forTerminal, prepareFitWidth, type Style} from './style.js'

/** What stands in for a text that could not be redacted. */
const WITHHELD = '[withheld: it could not be redacted]'

export abstract class JwkrCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    debug: Flags.boolean({
      description: 'Print stack traces with errors (also when DEBUG is set).',
      helpGroup: 'GLOBAL',
    }),
    'no-color': Flags.boolean({
      description: 'Print without colour (also when NO_COLOR is set, or the output is not a terminal).',
      helpGroup: 'GLOBAL',
    }),
  }

  /** Every secret this run has seen; all output passes through it. */
  protected readonly secrets = new SecretRegistry()

  /** Colours for stdout: on only when stdout is a terminal and NO_COLOR is unset. */
  protected get style(): Style {
    return createStyle(process.stdout)
  }

  /**
   * Whether output is wrapped to the terminal's width. False for commands whose lines are values to
   * copy or pipe whole (`key thumbprint --uri`): they skip the wrapper and its loading at start-up.
   */
  static wrapsOutput = true

  override async init(): Promise<void> {
    if ((this.constructor as typeof JwkrCommand).wrapsOutput) await prepareFitWidth(process.stdout, process.stderr)
    await super.init()
  }

  // Format first, then redact: a secret passed as a format argument must not slip past.
  override log(message = '', ...args: unknown[]): void {
    super.log(fitWidth(forTerminal(this.secrets.redact(format(message, ...args)), process.stdout), process.stdout))
  }

  override logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(fitWidth(forTerminal(this.secrets.redact(format(message, ...args)), process.stderr), process.stderr))
  }

  // Written here rather than by oclif, whose colouring tokenizer overflows the stack on large documents.
  override logJson(json: unknown): void {
    ux.stdout(jsonOutput(this.secrets.redactValue(json)))
  }

  override warn(input: string | Error): string | Error {
    const text = this.secrets.redact(typeof input === 'string' ? input : input.message)
    if (!this.jsonEnabled())
      process.stderr.write(forTerminal(`${createStyle(process.stderr).yellow('Warning:')} ${text}\n`, process.stderr))
    return input
  }

  protected override async catch(error: Interfaces.CommandError): Promise<never> {
    if (isExitError(error)) throw error
    // A usage error quotes the argument it refused ("Unexpected argument: {…}"), which may be an
    // inline key or a bare secret that was never parsed: register what looks private on the command line first.
    this.secrets.addCommandLine(this.argv)
    const failure = toJwkrError(error)
    const document = this.#errorDocument(failure)
    if (this.jsonEnabled()) {
      ux.stdout(jsonOutput({error: document}))
    } else {
      const stack =
        this.debugEnabled() && error instanceof Error && error.stack ? this.#redactedOr(error.stack, WITHHELD) : undefined
      printError(document, stack)
    }
    throw new Errors.ExitError(failure.exitCode)
  }

  #errorDocument(failure: JwkrError) {
    return errorDocument(failure, this.secrets)
  }

  #redactedOr(text: string, fallback: string): string {
    return redactedOr(this.secrets, text, fallback)
  }

  private debugEnabled(): boolean {
    return this.argv.includes('--debug') || Boolean(process.env.DEBUG)
  }
}

/**
 * An error oclif threw, known by its shape as well as its class: the built CLI bundles its own copy of
 * @oclif/core (scripts/bundle-cli.mjs), while the help, version and autocomplete plugins throw from
 * the copy in node_modules, whose classes are others.
 */
function isOclifError(error: unknown): error is Errors.CLIError {
  if (error instanceof Errors.CLIError) return true
  return error instanceof Error && typeof (error as {oclif?: unknown}).oclif === 'object'
}

/** oclif's signal that a command has finished with an exit code (and has printed what it had to say). */
export function isExitError(error: unknown): error is Errors.ExitError {
  return error instanceof Errors.ExitError || (isOclifError(error) && error.code === 'EEXIT')
}

/**
 * The error as it may be shown (the `{error: …}` document of --json, and the lines on stderr): redacted,
 * or withheld where redaction itself fails (never raw). Commands and the CLI's own errors share it.
 */
export function errorDocument(failure: JwkrError, secrets: SecretRegistry) {
  const withheld = `An error (${failure.code}) occurred whose message cannot be shown safely: it may hold private key material.`
  const message = redactedOr(secrets, failure.message, withheld)
  const hint = failure.hint === undefined ? null : redactedOr(secrets, failure.hint, WITHHELD)
  let details: unknown
  try {
    details = secrets.redactValue(failure.details ?? null)
  } catch {
    details = null
  }
  return {code: failure.code, message, hint, exitCode: failure.exitCode, details}
}

function redactedOr(secrets: SecretRegistry, text: string, fallback: string): string {
  try {
    return secrets.redact(text)
  } catch {
    return fallback
  }
}

/** Maps anything thrown to a JwkrError: usage errors keep exit 2, unknown errors become ERR_INTERNAL. */
export function toJwkrError(error: unknown): JwkrError {
  if (error instanceof JwkrError) return error
  if (isOclifError(error)) {
    const exit = error.oclif?.exit
    const message =
      error.message
        .replace(/^Error: /, '')
        .split('\nSee more help with')[0]
        ?.trim() ?? error.message
    return new JwkrError('ERR_USAGE', message, {
      exitCode: exit === 2 || exit === undefined ? ExitCode.usage : ExitCode.failure,
      hint: 'Run the command with --help to see its arguments, flags and examples.',
      cause: error,
    })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new JwkrError('ERR_INTERNAL', `Unexpected error: ${message}`, {
    hint: 'This is a bug in jwkr. Rerun with --debug for the stack trace and report it.',
    cause: error,
  })
}
