// The common part of `jwkr respond`, `jwkr playbook run` and `jwkr incident resume`: wire the
// engine to the terminal (or not), stop cleanly on Ctrl-C, and turn the run's status into output
// and the exit code of ARCHITECTURE.md.
import {Errors} from '@oclif/core'
import {existsSync} from 'node:fs'
import {resolve} from 'node:path'

import {ExitCode, JwkrError} from '../core/errors.js'
import type {SecretRegistry} from '../core/secrets.js'
import {resolveHome} from '../incident/workspace.js'
import type {EngineUi, RunHeader, RunResult} from '../playbook/engine.js'
import type {JwkrCommand} from './base-command.js'
import {createEngineUi} from './engine-ui.js'
import {listenForInterrupt} from './interrupt.js'
import {exitCodeFor, interruptedLine, renderRun} from './render-run.js'

export interface RunContext {
  home: string
  ui: EngineUi
  signal: AbortSignal
  env: Record<string, string | undefined>
}

export interface PlaybookCommandHost {
  command: JwkrCommand
  secrets: SecretRegistry
  json: boolean
  yes: boolean
  home: string | undefined
  /** A dry run keeps no incident, so makes no workspace either. */
  dryRun?: boolean
}

/**
 * The host of a command that runs a playbook, from its shared flags (`runFlags`: --yes, --home, --dry-run).
 *
 * @example runPlaybookCommand(playbookHost(this, this.secrets, flags), (context) => startRun({...}))
 */
export function playbookHost(
  command: JwkrCommand,
  secrets: SecretRegistry,
  flags: {yes: boolean; home?: string; 'dry-run'?: boolean},
): PlaybookCommandHost {
  return {command, secrets, json: command.jsonEnabled(), yes: flags.yes, home: flags.home, dryRun: flags['dry-run'] === true}
}

/**
 * Runs `start` with the run view and the one Ctrl-C handler, prints the closing block, and exits with
 * the right code: 130 after Ctrl-C, with the incident paused (run.interrupted journaled, lock released).
 */
export async function runPlaybookCommand(
  host: PlaybookCommandHost,
  start: (context: RunContext) => Promise<RunResult>,
): Promise<RunResult> {
  const interruption = listenForInterrupt()
  const interactive = !host.yes && !host.json && process.stdin.isTTY === true && process.stderr.isTTY === true
  const home = resolveHome({flag: host.home})
  if (!host.json && !host.dryRun && !existsSync(home)) {
    const why = host.home
      ? 'named by --home'
      : process.env.JWKR_HOME
        ? 'named by JWKR_HOME'
        : 'no .jwkr folder here or in a parent folder (JWKR_HOME or --home choose another)'
    host.command.logToStderr(`Creating the jwkr workspace ${home}: ${why}.`)
  }
  let header: RunHeader | undefined
  try {
    const result = await start({
      home,
      ui: createEngineUi({
        secrets: host.secrets,
        interactive,
        quiet: host.json,
        interruption,
        onHeader: (opening) => {
          header = opening
        },
      }),
      signal: interruption.signal,
      env: process.env,
    })
    const code = exitCodeFor(result)
    if (host.json) {
      if (code !== ExitCode.ok) host.command.logJson(result)
    } else {
      host.command.log(renderRun(result, header))
      if (result.interrupted) host.command.logToStderr(interruptedLine(result))
      else if (result.status === 'waiting' && result.waitingFor) {
        throw new JwkrError('ERR_APPROVAL_REQUIRED', result.waitingFor, {
          hint: `Continue with: jwkr incident resume ${result.incident} --yes`,
        })
      }
    }
    if (code !== ExitCode.ok) throw new Errors.ExitError(code)
    return result
  } catch (error) {
    // Ctrl-C before the run began (the key being read, the incident being opened): nothing to resume.
    if (interruption.signal.aborted && !(error instanceof Errors.ExitError)) {
      if (!host.json) host.command.logToStderr('Interrupted before the run began: nothing ran.')
      throw new Errors.ExitError(ExitCode.interrupted)
    }
    throw error
  } finally {
    interruption.dispose()
  }
}

/** `--inventory` > JWKR_INVENTORY > ./jwkr.inventory.yaml when it exists > none. */
export function resolveInventoryPath(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string | null {
  const given = flag ?? env.JWKR_INVENTORY
  if (given !== undefined && given !== '') {
    const path = resolve(cwd, given)
    if (!existsSync(path)) {
      throw new JwkrError('ERR_INVENTORY_NOT_FOUND', `No inventory at ${given}.`, {
        hint: 'Check the path, or run without --inventory: steps that need one are skipped.',
      })
    }
    return path
  }
  const fallback = resolve(cwd, 'jwkr.inventory.yaml')
  return existsSync(fallback) ? fallback : null
}

/**
 * `--input name=value` pairs → an object; JSON values (numbers, booleans, arrays, objects) are typed,
 * except the key's: `key` is a source (a path, `-`, or the key itself), kept as text so that a key given
 * inline is kept in the incident's artifacts like `--key`'s, and its JSON never reaches the journal.
 */
export function parseInputs(pairs: string[] | undefined): Record<string, unknown> {
  const inputs: Record<string, unknown> = {}
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=')
    if (at <= 0) {
      throw new JwkrError('ERR_USAGE', `--input ${pair} is not NAME=VALUE.`, {
        hint: 'Write it like --input key=leaked.json',
        exitCode: ExitCode.usage,
      })
    }
    const name = pair.slice(0, at)
    const value = pair.slice(at + 1)
    inputs[name] = name !== 'key' && /^(true|false|-?\d+(\.\d+)?|\[.*\]|\{.*\})$/s.test(value) ? parseJsonOr(value) : value
  }
  return inputs
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
