// The entry both bin/run.js and bin/dev.js call: oclif's execute, except that an error no command
// caught (a mistyped command, a hook's failure) is printed as jwkr prints its own, through
// printError, with jwkr's exit codes, instead of oclif's " ›   Error: command x not found".
import {Config, flush, Plugin, run, type Interfaces} from '@oclif/core'
import {getHelpFlagAdditions, normalizeArgv} from '@oclif/core/help'
import {setLogger} from '@oclif/core/logger'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {jsonOutput} from '../core/escape-untrusted.js'
import {SecretRegistry} from '../core/secrets.js'
import {errorDocument, isExitError, toJwkrError} from './base-command.js'
import {printError} from './print-error.js'
import {prepareFitWidth} from './style.js'

export async function runCli(options: {dir: string; loadOptions?: Interfaces.LoadOptions}): Promise<void> {
  let exitCode = 0
  try {
    const argv = process.argv.slice(2)
    const loadOptions = withLogger(options.loadOptions ?? options.dir)
    // bin/run.js loads oclif's config itself (loadConfig), but with DEBUG set, where oclif's trace shows
    // how it loads, and for bin/dev.js, which hands its plugins over, oclif loads it.
    await run(argv, options.loadOptions || process.env.DEBUG ? loadOptions : await loadConfig(argv, loadOptions))
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
      secrets.addCommandLine(process.argv.slice(2))
      const debug = process.argv.includes('--debug') || Boolean(process.env.DEBUG)
      const document = errorDocument(failure, secrets)
      // --json asks for a document on stdout whatever went wrong, as every command's own errors are.
      if (process.argv.includes('--json')) {
        process.stdout.write(`${jsonOutput({error: document})}\n`)
      } else {
        const stack = debug && error instanceof Error && error.stack ? secrets.redact(error.stack) : undefined
        printError(document, stack)
      }
      exitCode = failure.exitCode
    }
  }
  process.exit(exitCode)
}

/**
 * oclif's config for a run of bin/run.js, its plugins loaded only when the run can need them (issue 18:
 * loading @oclif/plugin-help, -autocomplete and -version, their package.json and manifests, is ~6 ms of
 * every start). The config is loaded with the root plugin alone, as oclif loads it when given its
 * plugins; a run of one of jwkr's own commands, with no help or version flag, then runs with it: the
 * plugins only add their commands (help, autocomplete, version; none shares an id with jwkr's, and
 * oclif would pick jwkr's if one did) and no hook such a run calls. Any other run (help, version,
 * autocomplete, a mistyped command for the not-found hook's suggestions) first loads every plugin as
 * oclif does (`loadPluginsAndCommands({force: true})`), and so does a run where plugins of the user or
 * development plugins could be loaded.
 */
async function loadConfig(argv: string[], loadOptions: Interfaces.LoadOptions): Promise<Config> {
  const options =
    typeof loadOptions === 'string'
      ? {root: loadOptions.startsWith('file://') ? fileURLToPath(loadOptions) : loadOptions}
      : (loadOptions as Interfaces.LoadOptions & object)
  // The logger first, as oclif's run sets it (the plugin logs as it loads); then the root plugin as
  // oclif's plugin loader builds it when it is not given one.
  setLogger(options)
  const rootPlugin = new Plugin({isRoot: true, pjson: options.pjson, root: options.root})
  await rootPlugin.load()
  const config = await Config.load({...options, plugins: new Map([[rootPlugin.name, rootPlugin]])})
  if (!runsOwnCommand(config, argv)) await config.loadPluginsAndCommands({force: true})
  return config
}

/** Whether argv runs one of the root plugin's commands, with no help or version flag, and no other plugin could load. */
export function runsOwnCommand(config: Config, argv: string[]): boolean {
  const helpOrVersion = [...getHelpFlagAdditions(config), '--version', ...(config.pjson.oclif.additionalVersionFlags ?? [])]
  if (argv.length === 0 || argv.some((arg) => helpOrVersion.includes(arg))) return false
  // Plugins a user linked or installed (oclif reads them from the data directory), and development plugins.
  if (existsSync(join(config.dataDir, 'package.json')) || (config.pjson.oclif.devPlugins ?? []).length > 0) return false
  const [id] = normalizeArgv(config, argv)
  return id !== undefined && config.findCommand(id) !== undefined
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
