// The base command, through a small command defined here: redaction of every output path, errors
// mapped to exit codes with no stack unless --debug or DEBUG, and --json error documents.
import {Errors, Flags} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {afterEach, describe, expect, it} from 'vitest'

import {JwkrCommand, toJwkrError} from '../../src/cli/base-command.js'
import {JwkrError} from '../../src/core/errors.js'
import {projectRoot} from '../helpers/run.js'

const SECRET = 'tok_9fQ2xLm4Vz8Rw1Kp'

/** Registers a secret, then says it every way a command can, then fails as asked. */
class Leaky extends JwkrCommand {
  static override flags = {fail: Flags.string({options: ['none', 'jwkr', 'plain', 'exit3']})}

  async run(): Promise<{said: string}> {
    const {flags} = await this.parse(Leaky)
    this.secrets.add(SECRET)
    this.log(`plain ${SECRET}`)
    this.log('format %s', SECRET)
    this.logToStderr(`stderr ${SECRET}`)
    this.warn(`warn ${SECRET}`)
    if (flags.fail === 'jwkr') throw new JwkrError('ERR_KEY_INVALID', `bad key ${SECRET}`, {hint: `try ${SECRET}`})
    if (flags.fail === 'plain') throw new TypeError(`boom ${SECRET}`)
    if (flags.fail === 'exit3') throw new JwkrError('ERR_STEP_FAILED', 'a step failed', {exitCode: 3})
    return {said: SECRET}
  }
}

function leaky(args: string[]) {
  return captureOutput<{said: string}>(() => Leaky.run(args, {root: projectRoot}))
}

function exitOf(error: Error | undefined): number | undefined {
  return (error as Error & {oclif?: {exit?: number}})?.oclif?.exit
}

afterEach(() => {
  delete process.env.DEBUG
})

describe('JwkrCommand output', () => {
  it('redacts registered secrets in log (also format arguments), logToStderr and warn', async () => {
    const {stdout, stderr, error} = await leaky([])
    expect(error).toBeUndefined()
    expect(stdout).toBe('plain [REDACTED]\nformat [REDACTED]\n')
    expect(stderr).toBe('stderr [REDACTED]\nWarning: warn [REDACTED]\n')
  })

  it('redacts the --json document, and prints nothing else on stdout', async () => {
    const {stdout, stderr, result} = await leaky(['--json'])
    expect(JSON.parse(stdout)).toEqual({said: '[REDACTED]'})
    expect(result).toEqual({said: SECRET})
    expect(stderr).not.toContain(SECRET)
  })
})

describe('JwkrCommand errors', () => {
  it('prints a JwkrError as an error line and a hint line, redacted, exit 1, no stack', async () => {
    const {stdout, stderr, error} = await leaky(['--fail', 'jwkr'])
    expect(exitOf(error)).toBe(1)
    expect(stderr.split('\n').slice(-3)).toEqual(['Error: bad key [REDACTED]', '→ try [REDACTED]', ''])
    expect(stdout + stderr).not.toContain(SECRET)
    expect(stderr).not.toMatch(/\n\s+at /)
  })

  it('keeps the exit code a JwkrError carries', async () => {
    const {error} = await leaky(['--fail', 'exit3'])
    expect(exitOf(error)).toBe(3)
  })

  it('turns an unexpected error into ERR_INTERNAL with exit 1 and a bug-report hint', async () => {
    const {stderr, error} = await leaky(['--fail', 'plain'])
    expect(exitOf(error)).toBe(1)
    expect(stderr).toContain('Error: Unexpected error: boom [REDACTED]\n→ This is a bug in jwkr. Rerun with --debug')
    expect(stderr).not.toMatch(/\n\s+at /)
  })

  it('adds the redacted stack with --debug, and with DEBUG set', async () => {
    const withFlag = await leaky(['--fail', 'plain', '--debug'])
    expect(withFlag.stderr).toMatch(/TypeError: boom \[REDACTED\]\n\s+at /)
    process.env.DEBUG = '1'
    const withEnv = await leaky(['--fail', 'plain'])
    expect(withEnv.stderr).toMatch(/\n\s+at /)
    expect(withFlag.stderr + withEnv.stderr).not.toContain(SECRET)
  })

  it('prints one JSON error document on stdout with --json', async () => {
    const {stdout, stderr, error} = await leaky(['--fail', 'jwkr', '--json'])
    expect(exitOf(error)).toBe(1)
    expect(JSON.parse(stdout)).toEqual({
      error: {code: 'ERR_KEY_INVALID', message: 'bad key [REDACTED]', hint: 'try [REDACTED]', exitCode: 1, details: null},
    })
    expect(stderr).not.toContain(SECRET)
  })

  it('maps a usage error to exit 2', async () => {
    const {stderr, error} = await leaky(['--fail', 'sometimes'])
    expect(exitOf(error)).toBe(2)
    expect(stderr).toMatch(
      /^Error: Expected --fail=sometimes to be one of: none, jwkr, plain, exit3\n→ Run the command with --help/,
    )
  })
})

describe('toJwkrError', () => {
  it('returns a JwkrError as it is', () => {
    const error = new JwkrError('ERR_INPUT_EMPTY', 'x')
    expect(toJwkrError(error)).toBe(error)
  })

  it('keeps usage errors at exit 2 and other CLI errors at exit 1', () => {
    expect(toJwkrError(new Errors.CLIError('Error: bad flag\nSee more help with --help'))).toMatchObject({
      code: 'ERR_USAGE',
      message: 'bad flag',
      exitCode: 2,
    })
    expect(toJwkrError(new Errors.CLIError('went wrong', {exit: 1}))).toMatchObject({code: 'ERR_USAGE', exitCode: 1})
  })

  it('wraps anything else as ERR_INTERNAL, keeping the cause', () => {
    const cause = new RangeError('nope')
    expect(toJwkrError(cause)).toMatchObject({code: 'ERR_INTERNAL', message: 'Unexpected error: nope', exitCode: 1, cause})
    expect(toJwkrError('a string')).toMatchObject({message: 'Unexpected error: a string'})
  })
})

/** A command whose redaction itself fails, as the regular-expression redaction once did on a large secret. */
class RedactionFails extends JwkrCommand {
  async run(): Promise<void> {
    this.secrets.add(SECRET)
    this.secrets.redact = () => {
      throw new SyntaxError(`Invalid regular expression: /${SECRET}/: too large`)
    }
    throw new JwkrError('ERR_KEY_INVALID', `bad key ${SECRET}`, {hint: `try ${SECRET}`})
  }
}

describe('JwkrCommand errors when redaction itself fails', () => {
  it('withholds the message instead of printing it raw, human and --json', async () => {
    for (const args of [[], ['--json'], ['--debug']]) {
      const {stdout, stderr, error} = await captureOutput(() => RedactionFails.run(args, {root: projectRoot}))
      expect(exitOf(error)).toBe(1)
      expect(stdout + stderr).not.toContain(SECRET)
      expect(stdout + stderr).toContain('ERR_KEY_INVALID')
    }
  })
})
