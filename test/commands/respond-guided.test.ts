// The guided run on a real pseudo-terminal: a header, one line per step saying what it did, questions
// only where a person decides (the go-ahead gate here: without an inventory there is nothing else to
// change), and Ctrl-C at a prompt or during a step pausing the incident so that it resumes.
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stripVTControlCharacters} from 'node:util'
import {describe, expect, it} from 'vitest'

import {tempHome} from '../helpers/engine-harness.js'
import {keys, runOnTerminal} from '../helpers/pty.js'
import {exitCodeOf, run} from '../helpers/run.js'

const respond = (home: string) => ['respond', '--key', 'examples/leaked-signing-key.json', '--home', home]
const goAhead = /Start locating and containing it\?[\s\S]*Yes, go on/
/** Every question answered on the screen (@inquirer prints a ✔ line for each). */
const answered = (screen: string) => [
  ...new Set((stripVTControlCharacters(screen).match(/✔ [^\n\r]*/g) ?? []).map((line) => line.trim())),
]
const incidentOf = (screen: string) => /Incident (\d{4}-\d\d-\d\d-\w+)/.exec(screen)?.[1] ?? ''

describe('a guided run on a terminal', {timeout: 90_000}, () => {
  it('opens with a header, shows each step’s result in words, and asks only at the go-ahead', async () => {
    const home = await tempHome()
    const result = await runOnTerminal(respond(home), [{waitFor: goAhead, send: keys.enter}], {}, 60_000, keys.enter)
    // Then the header names the incident, the inventory (none) and what will be skipped, in words
    expect(result.screen).toMatch(/Incident \S+ · playbook leaked-signing-key/)
    expect(result.screen).toContain('Inventory: none — the steps that need one are skipped')
    expect(result.screen).toMatch(/Will skip: locate, baseline, rotate, invalidate, bust-caches, check, prove — no inventory/)
    expect(result.screen).toMatch(/^ {13}scan — the input scanPaths was not given$/m)
    expect(result.screen).toMatch(/^ {13}tokens — the input logs was not given$/m)
    expect(result.screen).not.toContain('${{')
    // And each step has one line saying what it did
    expect(result.screen).toMatch(/✓ inspect {7}private RSA \(RS256\) key, severity critical, kid example-signing-2026/)
    expect(result.screen).toMatch(/↷ not-a-leak {4}skipped: step inspect's output private is true/)
    expect(result.screen).toMatch(/✓ go-ahead {6}approved/)
    // And the one question was the decision, not a generic Run "X"?
    expect(answered(result.screen)).toEqual(['✔ The key is private and exposed. Start locating and containing it? Yes, go on'])
    expect(result.screen).not.toMatch(/Run ".*"\?/)
    // And the closing block gives the outcome, the exit code and the next command
    expect(result.exitCode).toBe(4)
    expect(result.screen).toMatch(/Incident \S+: completed \(\d+ succeeded, \d+ skipped\)/)
    expect(result.screen).toMatch(/Containment not attempted.*\(exit 4\)/s)
    expect(result.screen).toMatch(/Next: jwkr report rca --incident \S+/)
  })

  it('stops the run at the go-ahead when the responder answers No', async () => {
    const home = await tempHome()
    const result = await runOnTerminal(respond(home), [{waitFor: goAhead, send: keys.down + keys.enter}])
    const id = incidentOf(result.screen)
    // Then nothing was done: containment not attempted, exit 4 as the README's exit codes say
    expect(result.exitCode).toBe(4)
    expect(result.screen).toMatch(/Incident \S+: aborted by the responder/)
    expect(result.screen).toMatch(
      /Containment not attempted: [\s\S]*the\s+responder stopped the run before it finished \(exit 4\)/,
    )
    expect(result.screen).toContain(
      'Stopped: The responder answered No at "go-ahead": declined at a decision, nothing after it ran.',
    )
    expect(result.screen).toMatch(/Next: jwkr incident resume \S+/)
    // And it is listed as stopped (aborted), not paused, and --json says so too
    const list = await run(['incident', 'list', '--home', home, '--json'])
    expect(list.result).toMatchObject({incidents: [{id, status: 'aborted'}]})
  })

  it('Ctrl-C at a prompt pauses the incident (exit 130, no bug report), and it resumes', async () => {
    const home = await tempHome()
    const result = await runOnTerminal(respond(home), [{waitFor: goAhead, send: keys.ctrlC}])
    const id = incidentOf(result.screen)
    expect(result.exitCode).toBe(130)
    expect(result.screen).toContain(
      `Interrupted: incident ${id} is paused at step go-ahead. Resume with \`jwkr incident resume ${id}\``,
    )
    expect(result.screen).not.toMatch(/bug in jwkr|force closed/)
    expect(result.screen).toMatch(new RegExp(`Incident ${id}: paused at step go-ahead`))
    expect(result.screen).not.toMatch(/aborted|stopped the run/)
    // Then the list says where it stands: paused, neither `running` nor `aborted`
    const list = await run(['incident', 'list', '--home', home, '--json'])
    expect(list.result).toMatchObject({incidents: [{id, status: 'paused'}]})
    const table = await run(['incident', 'list', '--home', home])
    expect(table.stdout).toMatch(new RegExp(`${id}\\tpaused\\t`))
    // And it resumes at the go-ahead
    const resumed = await run(['incident', 'resume', id, '--home', home, '--yes', '--json'])
    expect(exitCodeOf(resumed.error)).toBe(4)
    expect(JSON.parse(resumed.stdout)).toMatchObject({incident: id, status: 'completed'})
  })

  it('Ctrl-C during a step pauses the incident at that step (exit 130), and it resumes', async () => {
    const home = await tempHome()
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-playbook-'))
    const playbook = join(dir, 'slow.yaml')
    await writeFile(
      playbook,
      'apiVersion: jwkr/v1\nkind: Playbook\nname: slow\nsteps:\n' +
        '  - id: first\n    uses: core.note\n    with: {text: before}\n' +
        '  - id: soak\n    uses: core.wait\n    with: {duration: 8s}\n' +
        '  - id: last\n    uses: core.note\n    with: {text: after}\n',
    )
    const result = await runOnTerminal(
      ['playbook', 'run', playbook, '--home', home],
      [{waitFor: /soak \d+s · \d+s left/, send: keys.ctrlC}],
    )
    const id = incidentOf(result.screen)
    expect(result.exitCode).toBe(130)
    expect(result.screen).toContain(
      `Interrupted: incident ${id} is paused at step soak. Resume with \`jwkr incident resume ${id}\``,
    )
    expect(result.screen).toMatch(/✓ first {9}noted in the timeline/)
    // Then the journal says so, and the lock is free: a resume runs the step again and finishes
    const shown = await run(['incident', 'show', id, '--home', home, '--json'])
    expect(shown.result).toMatchObject({status: 'paused', interrupted: 'interrupted (Ctrl-C)'})
    await writeFile(playbook, '') // the incident runs its own copy of the playbook, not the file
    const resumed = await run(['incident', 'resume', id, '--home', home, '--yes', '--json'])
    expect(resumed.error).toBeUndefined()
    expect(resumed.result).toMatchObject({status: 'completed'})
  })
})
