// The outcome of a response, as the responder reads it: a step that did nothing is skipped with its
// reason in words (never ✓), and the run ends with one outcome line and an exit code that match —
// containment proven (0), not proven or not attempted (4, saying what is missing), or not what the
// playbook does (0). `--json` carries the same outcome.
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {readJournal, tempHome} from '../helpers/engine-harness.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

const example = join(projectRoot, 'examples/leaked-signing-key.json')

interface Step {
  id: string
  uses: string
  status: string
  reason?: string
  outputs: Record<string, unknown> | null
}
interface Result {
  incident: string
  status: string
  steps: Step[]
  outcome: {status: string; exitCode: number; summary: string; missing: string[]}
}

/** The steps of the standard playbook that contain the key or prove it, and the two that tell people. */
const CONTAINMENT = ['locate', 'rotate', 'invalidate', 'bust-caches', 'check', 'prove']
const NOTIFY = ['notify-slack', 'notify-github']

const byId = (result: Result) => new Map(result.steps.map((step) => [step.id, step]))

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

describe('the outcome of jwkr respond', {timeout: 60_000}, () => {
  let home: string
  const saved = {...process.env}
  beforeEach(async () => {
    home = await tempHome()
    for (const name of ['JWKR_INVENTORY', 'SLACK_TOKEN', 'GITHUB_TOKEN', 'REDIS_URL']) delete process.env[name]
  })
  afterEach(() => {
    process.env = {...saved}
  })

  it('without an inventory: every containment step skipped with its reason in words, "containment not attempted", exit 4', async () => {
    // Given no inventory, and neither SLACK_TOKEN nor GITHUB_TOKEN
    // When the responder runs the standard playbook unattended, with --json
    const {stdout, error} = await run(['respond', '--key', example, '--yes', '--home', home, '--json'])
    // Then it exits 4, and the JSON document carries the outcome with what is missing
    expect(exitCodeOf(error)).toBe(4)
    const result = JSON.parse(stdout) as Result
    expect(result.outcome).toMatchObject({status: 'not-attempted', exitCode: 4})
    expect(result.outcome.missing.join('\n')).toMatch(/no inventory/)
    expect(result.outcome.summary).toMatch(/^containment not attempted: .*no inventory/)
    // And no step that contains, proves or notifies shows as succeeded: each is skipped with a reason in words
    const steps = byId(result)
    for (const id of [...CONTAINMENT, ...NOTIFY]) {
      expect(steps.get(id), id).toMatchObject({status: 'skipped', outputs: null})
    }
    for (const id of CONTAINMENT) expect(steps.get(id)?.reason, id).toMatch(/^no inventory/)
    expect(steps.get('notify-slack')?.reason).toMatch(/^SLACK_TOKEN not set/)
    expect(steps.get('notify-github')?.reason).toMatch(/^GITHUB_TOKEN not set/)
    // And no skip reason shows an expression
    for (const step of result.steps) expect(step.reason ?? '', step.id).not.toContain('${{')
    expect(steps.get('scan')?.reason).toBe('its condition is false: the input scanPaths was not given')
    // And the journal ends with the same outcome
    const finished = (await readJournal(home, result.incident)).filter((event) => event.type === 'run.finished').at(-1)
    expect(finished?.data).toMatchObject({status: 'completed', outcome: 'not-attempted', missing: result.outcome.missing})
  })

  it('without an inventory, the step lines show the skips and the outcome line names what is missing', async () => {
    // Given no inventory and no SLACK_TOKEN
    // When the responder runs the standard playbook unattended, without --json
    const {stdout, stderr, error} = await run(['respond', '--key', example, '--yes', '--home', home])
    // Then the notify and containment lines say skipped, with their reasons, and none says succeeded
    expect(exitCodeOf(error)).toBe(4)
    expect(stderr).toMatch(/↷ notify-slack\s+skipped: SLACK_TOKEN not set/)
    expect(stderr).toMatch(/↷ rotate\s+skipped: no inventory/)
    for (const id of [...CONTAINMENT, ...NOTIFY]) expect(stderr).not.toMatch(new RegExp(`✓ ${id}\\s`))
    // And the closing block gives the outcome, with its exit code, then the next command
    expect(stdout).toMatch(/^Containment not attempted: .*no inventory.* \(exit 4\)\nNext: /m)
  })

  it('with every endpoint unreachable: nothing shows as contained, containment not proven, exit 4', async () => {
    // Given an inventory whose issuer and service answer on a port where nothing listens
    const port = await closedPort()
    const base = `http://127.0.0.1:${port}`
    await mkdir(join(home, 'keys'))
    await writeFile(join(home, 'keys/auth.jwks.json'), '{"keys":[]}')
    const inventory = join(home, 'inventory.yaml')
    await writeFile(
      inventory,
      `version: 1
issuers:
  - id: auth-main
    issuer: ${base}/
    jwksUri: ${base}/jwks.json
    keySource: {type: jwks-file, path: ./keys/auth.jwks.json}
services:
  - id: billing
    team: payments
    contacts: {email: payments@example.com}
    trusts: [auth-main]
    probe: {url: ${base}/api/me, method: GET}
`,
    )
    // When the responder runs the standard playbook with a short proof deadline
    const {stdout, error} = await run([
      'respond',
      '--key',
      example,
      '--inventory',
      inventory,
      '--input',
      'proveDeadline=2s',
      '--input',
      'proveInterval=1s',
      '--yes',
      '--home',
      home,
      '--json',
    ])
    // Then it exits 4 with an outcome that is not proven (or not attempted), naming what is missing
    expect(exitCodeOf(error)).toBe(4)
    const result = JSON.parse(stdout) as Result
    expect(['not-proven', 'not-attempted']).toContain(result.outcome.status)
    expect(result.outcome.exitCode).toBe(4)
    expect(result.outcome.missing.join('\n')).toMatch(/billing/)
    // And nothing that changes or proves anything shows as succeeded: nothing located, nothing rotated or denied
    const steps = byId(result)
    expect(steps.get('rotate')).toMatchObject({status: 'skipped', reason: expect.stringMatching(/^no issuer publishes the key/)})
    expect(steps.get('invalidate')).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/^no issuer publishes the key.*nothing was denied/),
    })
    expect(steps.get('bust-caches')).toMatchObject({status: 'skipped', reason: expect.stringMatching(/^no dependent service/)})
    expect(steps.get('prove')?.status).toBe('failed')
    expect(steps.get('check')?.outputs).toMatchObject({contained: false})
  })

  it('the inspect-only playbook contains nothing and says so: exit 0', async () => {
    // Given the inspect-only playbook, which declares contains: false
    // When it runs on the leaked key
    const {stdout, error} = await run(['respond', '--key', example, '--playbook', 'inspect-only', '--yes', '--home', home])
    // Then it exits 0, and its outcome line says containment is not in its scope
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toMatch(/Containment not in scope: playbook inspect-only does not attempt it \(exit 0\)/)
    const json = await run(['playbook', 'run', 'inspect-only', '--key', example, '--yes', '--home', home, '--json'])
    expect(exitCodeOf(json.error)).toBe(0)
    expect((JSON.parse(json.stdout) as Result).outcome).toEqual({
      status: 'not-applicable',
      exitCode: 0,
      summary: 'containment not in scope: playbook inspect-only does not attempt it',
      missing: [],
    })
  })

  it('a public key is not a leak: the standard playbook ends with containment not needed, exit 0', async () => {
    // Given the public half of the example key
    const jwk = JSON.parse(await readFile(example, 'utf8')) as Record<string, string>
    const file = join(home, 'public.json')
    await writeFile(file, JSON.stringify({kty: jwk.kty, n: jwk.n, e: jwk.e, kid: jwk.kid}))
    // When the standard playbook runs on it
    const {stdout, error} = await run(['respond', '--key', file, '--yes', '--home', home, '--json'])
    // Then every containment step is skipped by its condition, and the run exits 0: nothing needed containing
    expect(exitCodeOf(error)).toBe(0)
    const result = JSON.parse(stdout) as Result
    expect(result.outcome).toMatchObject({status: 'not-applicable', exitCode: 0, missing: []})
    expect(result.outcome.summary).toMatch(/^containment not needed: the key holds no private material/)
    expect(byId(result).get('rotate')?.reason).toBe("its condition is false: step inspect's output private is false")
  })

  it('incident resume ends with the outcome too: a run waiting for approval, resumed without an inventory, exits 4', async () => {
    // Given a run that stopped before its first gate (no terminal, no --yes)
    const first = await run(['respond', '--key', example, '--home', home, '--json'])
    expect(exitCodeOf(first.error)).toBe(1)
    const waiting = JSON.parse(first.stdout) as Result
    expect(waiting.outcome).toMatchObject({exitCode: 1})
    // When it is resumed with --yes
    const resumed = await run(['incident', 'resume', waiting.incident, '--yes', '--home', home, '--json'])
    // Then it ends with containment not attempted, exit 4
    expect(exitCodeOf(resumed.error)).toBe(4)
    expect((JSON.parse(resumed.stdout) as Result).outcome).toMatchObject({status: 'not-attempted', exitCode: 4})
  })
})
