// Issue 15, conventions: -h, jwkr version / -v / --version, --no-color, "did you mean" for a
// mistyped command printed as jwkr prints its errors, and shell completion, through bin/dev.js as a
// user runs it.
import {execFile} from 'node:child_process'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {describe, expect, it} from 'vitest'

import {printOnTerminal} from '../helpers/pty.js'
import {projectRoot} from '../helpers/run.js'

const exec = promisify(execFile)

async function jwkr(...args: string[]): Promise<{stdout: string; stderr: string; code: number}> {
  try {
    const {stdout, stderr} = await exec('node', ['bin/dev.js', ...args], {cwd: projectRoot, env: {...process.env, NO_COLOR: ''}})
    return {stdout, stderr, code: 0}
  } catch (error) {
    const failed = error as {stdout: string; stderr: string; code: number}
    return {stdout: failed.stdout, stderr: failed.stderr, code: failed.code}
  }
}

describe('jwkr conventions', {timeout: 180_000}, () => {
  it('prints its version with `jwkr version`, -v and --version', async () => {
    for (const args of [['version'], ['-v'], ['--version']]) {
      const {stdout, code} = await jwkr(...args)
      expect(code).toBe(0)
      expect(stdout).toMatch(/^jwk-responder\/\d+\.\d+\.\d+ \S+ node-v\d+/)
    }
  })

  it('takes -h as --help', async () => {
    const {stdout, code} = await jwkr('incident', 'list', '-h')
    expect(code).toBe(0)
    expect(stdout).toContain('List incidents with their status and age.')
    expect(stdout).toContain('--columns=<value>')
  })

  it('answers a mistyped command with the nearest one, as a jwkr usage error (exit 2)', async () => {
    const {stdout, stderr, code} = await jwkr('incidnet', 'list')
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe(
      'Error: `incidnet list` is not a jwkr command. Did you mean `jwkr incident list`?\n→ Run `jwkr help` for every command.\n',
    )
    expect(stderr).not.toContain('›')
  })

  it('answers a mistyped command with a JSON error document on stdout under --json', async () => {
    const {stdout, stderr, code} = await jwkr('incidnet', 'list', '--json')
    expect(code).toBe(2)
    expect(stderr).toBe('')
    expect(JSON.parse(stdout)).toEqual({
      error: {
        code: 'ERR_USAGE',
        message: '`incidnet list` is not a jwkr command. Did you mean `jwkr incident list`?',
        hint: 'Run `jwkr help` for every command.',
        exitCode: 2,
        details: null,
      },
    })
  })

  it('never quotes back a bare secret pasted where the command name goes', async () => {
    const secret = 'i0SBE4pO6DynJxm4l7iYhFVuXcDEgL-Q-HDibgWKZVM'
    for (const args of [[secret], [secret, '--json']]) {
      const {stdout, stderr, code} = await jwkr(...args)
      expect(code).toBe(2)
      expect(stdout + stderr).toContain('is not a jwkr command')
      expect(stdout + stderr).not.toContain(secret)
    }
  })

  it('never quotes back a private key pasted where the command name goes', async () => {
    // Given a private JWK on the command line in place of a command (a paste into the wrong place)
    const d = 'UvZ3o5W4p-private-exponent-needle-q8Xw2LrT0aYb'
    const {stdout, stderr, code} = await jwkr(JSON.stringify({kty: 'RSA', n: 'AQAB', e: 'AQAB', d}))
    // Then it is refused as a usage error whose message does not hold the private value
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain('is not a jwkr command')
    expect(stderr).not.toContain(d)
  })

  it('prints shell completion setup (autocomplete)', async () => {
    const {stdout, code} = await jwkr('autocomplete', 'bash')
    expect(code).toBe(0)
    expect(stdout).toContain('jwkr autocomplete')
  })

  it('ends, with plain progress lines, on a terminal that does not say its width (0 columns)', async () => {
    // Given a pseudo-terminal of 0 columns (`script` run from a pipe, some container shells), where ora
    // counts a spinner's line as infinitely many and erases them forever
    const key = join(projectRoot, 'test/fixtures/logs/keys/leaked-rs256.json')
    for (const [args, report] of [
      [['tokens', 'scan', '--key', key, join(projectRoot, 'test/fixtures/logs/logs/access.log')], 'signed with the leaked key'],
      [['code', 'scan', '--key', key, join(projectRoot, 'test/fixtures/logs/logs')], 'No trace of the key'],
    ] as const) {
      // When a command that shows progress runs on it
      // (without CI in the environment: ora shows no spinner when it is there)
      const {exitCode, screen} = await printOnTerminal([...args], 0, {CI: undefined}, {raw: true, timeoutMs: 60_000})
      // Then it ends as on any terminal, its report printed, and never moves the cursor up to redraw
      expect({args: args.slice(0, 2), exitCode}).toEqual({args: args.slice(0, 2), exitCode: 0})
      expect(screen).toContain(report)
      expect(screen).not.toContain('\u001b[1A')
      expect(screen.length).toBeLessThan(100_000)
    }
  })

  it('--no-color turns colour off on a terminal', async () => {
    const coloured = await printOnTerminal(['playbook', 'list'], 100, {NO_COLOR: ''}, {raw: true})
    const plain = await printOnTerminal(['playbook', 'list', '--no-color'], 100, {NO_COLOR: ''}, {raw: true})
    expect(coloured.screen).toContain('\u001b[1m')
    for (const sgr of ['\u001b[1m', '\u001b[2m', '\u001b[31m', '\u001b[32m']) expect(plain.screen).not.toContain(sgr)
    expect(plain.screen).toContain('leaked-signing-key')
  })
})
