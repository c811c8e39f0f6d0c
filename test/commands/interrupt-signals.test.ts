// A run stopped by SIGTERM (kill, a service manager, a container stop) or SIGHUP (the SSH session
// went away) pauses like Ctrl-C: run.interrupted journaled with what stopped it, the lock released,
// exit 130, and `jwkr incident resume` finishes it. Without a handler node would die at once and
// leave the incident as a crash does.
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {tempHome} from '../helpers/engine-harness.js'
import {run} from '../helpers/run.js'
import {spawnJwkr} from '../helpers/spawn-jwkr.js'

const SLOW = `apiVersion: jwkr/v1
kind: Playbook
name: slow
steps:
  - id: first
    uses: core.note
    with: {text: before}
  - id: soak
    uses: core.wait
    with: {duration: 4s}
  - id: last
    uses: core.note
    with: {text: after}
`

describe('a playbook run stopped by a signal', {timeout: 90_000}, () => {
  it.each(['SIGTERM', 'SIGHUP'] as const)('%s pauses the incident at its step (exit 130), and it resumes', async (signal) => {
    // Given a run in its 4-second step
    const home = await tempHome()
    const playbook = join(await mkdtemp(join(tmpdir(), 'jwkr-playbook-')), 'slow.yaml')
    await writeFile(playbook, SLOW)
    // When the signal comes once the first step is done
    const result = await spawnJwkr(['playbook', 'run', playbook, '--home', home], {
      signalWhen: {output: /✓ first/, signal},
    })
    // Then the run stopped, paused at that step (not killed, not finished), and says how to go on
    const id = /Incident (\d{4}-\d\d-\d\d-\w+)/.exec(result.stdout + result.stderr)?.[1] ?? ''
    expect({code: result.code, id: id !== ''}).toEqual({code: 130, id: true})
    expect(result.stderr).toContain(
      `Interrupted: incident ${id} is paused at step soak. Resume with \`jwkr incident resume ${id}\``,
    )
    // And the journal names what stopped it; the lock is free, so a resume finishes the run
    const shown = await run(['incident', 'show', id, '--home', home, '--json'])
    expect(shown.result).toMatchObject({status: 'paused', interrupted: `interrupted (${signal})`})
    const resumed = await run(['incident', 'resume', id, '--home', home, '--yes', '--json'])
    expect(resumed.error).toBeUndefined()
    expect(resumed.result).toMatchObject({status: 'completed'})
  })
})
