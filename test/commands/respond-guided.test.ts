// The guided run on a real pseudo-terminal: before each step the responder sees what it is, why it
// exists and what it will do, and answers proceed / skip / abort with the keyboard.
import {describe, expect, it} from 'vitest'

import {tempHome} from '../helpers/engine-harness.js'
import {keys, runOnTerminal} from '../helpers/pty.js'

const respond = (home: string) => ['respond', '--key', 'examples/leaked-signing-key.json', '--home', home]
const question = (title: string) => new RegExp(`Run "${title}"\\?[\\s\\S]*Proceed`)
const goAhead = /Start locating and containing it\?[\s\S]*Proceed/

describe('a guided run on a terminal', {timeout: 60_000}, () => {
  it('shows each step with its reason and plan, and proceeds when told to', async () => {
    const home = await tempHome()
    const result = await runOnTerminal(
      respond(home),
      [
        {waitFor: question('Identify the leaked key'), send: keys.enter},
        {waitFor: question('Record a note'), send: keys.enter},
        {waitFor: goAhead, send: keys.enter},
      ],
      {},
      45_000,
      keys.enter,
    )
    // Then the run completes, but without an inventory nothing was contained: exit 4, and the outcome line says so
    expect(result.exitCode).toBe(4)
    expect(result.screen).toContain('Containment not attempted')
    expect(result.screen).toContain('Every later step matches on the key')
    expect(result.screen).toContain('Read the key and compute its thumbprint (no network).')
    expect(result.screen).toMatch(/Incident \S+: completed/)
  })

  it('skips a step when the responder picks skip', async () => {
    const home = await tempHome()
    const result = await runOnTerminal(
      respond(home),
      [
        {waitFor: question('Identify the leaked key'), send: keys.enter},
        {waitFor: question('Record a note'), send: keys.down + keys.enter},
        {waitFor: goAhead, send: keys.enter},
      ],
      {},
      45_000,
      keys.enter,
    )
    expect(result.exitCode).toBe(4)
    expect(result.screen).toMatch(/triage\s+core\.note\s+skipped/)
  })

  it('stops when the responder aborts, and says how to resume', async () => {
    const home = await tempHome()
    const result = await runOnTerminal(respond(home), [
      {waitFor: question('Identify the leaked key'), send: keys.enter},
      {waitFor: question('Record a note'), send: keys.down + keys.down + keys.enter},
    ])
    expect(result.exitCode).toBe(1)
    expect(result.screen).toMatch(/Incident \S+: aborted/)
  })
})
