// Untrusted text per sink (core/escape-untrusted.ts): a kid or claim made of terminal escape
// sequences, carriage returns, C1 controls and bidirectional overrides reaches no terminal, JSON
// document, Slack message or report raw. Then the same through the commands and the Slack bodies.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {generateKeyPairSync} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import pc from 'picocolors'
import {describe, expect, it} from 'vitest'

import {escapeFor, jsonOutput, terminalOutput, type DocumentFormat} from '../../src/core/escape-untrusted.js'
import {buildSlackStatus, buildStepReply, type SlackStatusFacts} from '../../src/core/notify/slack-status.js'
import {exitCodeOf, run} from '../helpers/run.js'

/** Clears the screen, homes the cursor, sets the window title, returns to the line start, a C1 CSI, a right-to-left override. */
const HOSTILE = 'k1\u001b[2J\u001b[H\u001b]0;pwned\u0007\r\u009b31m\u202eevil'
// eslint-disable-next-line no-control-regex -- the characters no sink may pass on
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/

describe('terminalOutput', () => {
  it('shows every control character escaped, keeping line breaks and tabs', () => {
    expect(terminalOutput(`kid ${HOSTILE}\n\tnext`, {colour: false})).toBe(
      'kid k1\\x1b[2J\\x1b[H\\x1b]0;pwned\\x07\\x0d\\x9b31m\\u202eevil\n\tnext',
    )
  })

  it("keeps jwkr's own colours when colour is on, and escapes every other sequence", () => {
    const style = pc.createColors(true)
    const ours = `${style.red(style.bold('EXPOSED'))} ${style.dim('kid')} ${style.green('ok')} ${style.yellow('!')} ${style.cyan('ref')}`
    expect(terminalOutput(ours, {colour: true})).toBe(ours)
    expect(terminalOutput(`${style.bold('kid')} ${HOSTILE}`, {colour: true})).toBe(
      `${style.bold('kid')} k1\\x1b[2J\\x1b[H\\x1b]0;pwned\\x07\\x0d\\x9b31m\\u202eevil`,
    )
  })

  it('turns CRLF into a line break, not a return to the start of the line', () => {
    expect(terminalOutput('a\r\nb\rc', {colour: false})).toBe('a\nb\\x0dc')
  })
})

describe('jsonOutput', () => {
  it('escapes what JSON.stringify leaves raw, and the value reads back unchanged', () => {
    const text = jsonOutput({kid: HOSTILE, claims: ['\u2028', '\u007f']})
    expect(text).not.toMatch(RAW_CONTROL)
    expect(text).toContain('\\u009b31m\\u202eevil')
    expect(JSON.parse(text)).toEqual({kid: HOSTILE, claims: ['\u2028', '\u007f']})
  })
})

describe('escapeFor, for any text', () => {
  it.each<DocumentFormat>(['md', 'html', 'txt', 'mrkdwn'])('leaves no control or bidirectional character in %s', (format) => {
    fc.assert(
      fc.property(fc.string({unit: 'binary', maxLength: 80}), (text) => {
        expect(escapeFor(format, text)).not.toMatch(RAW_CONTROL)
      }),
      {numRuns: 300, examples: [[HOSTILE]]},
    )
  })
})

describe('Slack messages', () => {
  const facts: SlackStatusFacts = {
    incident: 'INC-1',
    drill: false,
    severity: 'critical',
    thumbprint: 'abc',
    kid: HOSTILE,
    publishedKids: [HOSTILE],
    phase: 'locate',
    status: 'running',
    contained: null,
    nextStep: `Rotate ${HOSTILE}`,
    failedSteps: [HOSTILE],
    updatedAt: '2024-05-01T00:00:00.000Z',
  }

  it('carry no control character of a kid, a step title or an error, in blocks or fallback text', () => {
    const status = buildSlackStatus(facts)
    const reply = buildStepReply('rotate', {
      status: 'failed',
      title: HOSTILE,
      error: {code: 'ERR_X', message: `failed on ${HOSTILE}`},
      outputs: {kid: HOSTILE},
    } as never)
    for (const message of [status, reply]) {
      expect(JSON.stringify(message.blocks)).not.toMatch(/\\u00(0[0-8]|1[0-9a-f]|7f|[89][0-9a-f])|\\r|\u202e/)
      expect(message.text).not.toMatch(RAW_CONTROL)
    }
  })
})

describe('jwkr key inspect of a key whose kid is made of escape sequences', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jwkr-untrusted-'))
  const file = join(dir, 'hostile.json')
  writeFileSync(file, JSON.stringify({...generateKeyPairSync('ed25519').publicKey.export({format: 'jwk'}), kid: HOSTILE}))

  it('prints it escaped on the terminal', async () => {
    const {stdout, error} = await run(['key', 'inspect', file])
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).not.toMatch(RAW_CONTROL)
    expect(stdout).toContain('k1\\x1b[2J\\x1b[H\\x1b]0;pwned\\x07\\x0d\\x9b31m\\u202eevil')
  })

  it('gives it exactly with --json, with no raw control character in the text', async () => {
    const {stdout, error} = await run(['key', 'inspect', file, '--json'])
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).not.toMatch(RAW_CONTROL)
    expect((JSON.parse(stdout) as {keys: Array<{kid: string}>}).keys[0]?.kid).toBe(HOSTILE)
  })

  it('escapes it in an error message too', async () => {
    const {stderr, error} = await run(['key', 'inspect', file, '--kid', `x${HOSTILE}`])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).not.toMatch(RAW_CONTROL)
  })
})
