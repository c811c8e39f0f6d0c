// The leaked key is a value of the run, read once: `respond --key -` (stdin, which can be read only
// once) and an inline key both work, the key is kept in the incident's artifacts at 0600, the journal
// names that file and never the key, and a resumed run reads the same file.
import {spawnSync} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {readFile, readdir, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {tempHome} from '../helpers/engine-harness.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'
import {privateNeedles} from '../core/key/samples.js'

function leakedJwk(): Record<string, unknown> {
  return {...(generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({format: 'jwk'}) as object), kid: 'k1'}
}

async function journalOf(home: string): Promise<{text: string; opened: Record<string, unknown>}> {
  const [id] = await readdir(join(home, 'incidents'))
  const text = await readFile(join(home, 'incidents', id as string, 'journal.jsonl'), 'utf8')
  const opened = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as {type: string; data: Record<string, unknown>})
    .find((event) => event.type === 'incident.opened')?.data as Record<string, unknown>
  return {text, opened}
}

async function expectKeptInIncident(home: string, jwk: Record<string, unknown>, origin: string): Promise<void> {
  const {text, opened} = await journalOf(home)
  const kept = String((opened.inputs as Record<string, unknown>).key)
  expect(opened.source).toBe(origin)
  expect(kept).toMatch(/artifacts\/keys\/leaked-key\.source$/)
  expect((await stat(kept)).mode & 0o777).toBe(0o600)
  expect(JSON.parse(await readFile(kept, 'utf8'))).toEqual(jwk)
  for (const needle of privateNeedles(jwk)) expect(text).not.toContain(needle)
}

describe('respond reads the key once', () => {
  it('takes the key on stdin, keeps it in the incident (0600), and the journal names only that file', async () => {
    // Given a leaked key on stdin
    const home = await tempHome()
    const jwk = leakedJwk()
    // When respond reads it with --key -
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(projectRoot, 'bin/dev.js'),
        'respond',
        '--key',
        '-',
        '--playbook',
        'inspect-only',
        '--yes',
        '--home',
        home,
      ],
      {input: JSON.stringify(jwk), encoding: 'utf8', cwd: projectRoot, env: {...process.env, NO_COLOR: '1'}, timeout: 60_000},
    )
    // Then the run succeeds (every step read the key), and the key is kept in the incident, not the journal
    expect(result.status, result.stderr).toBe(0)
    for (const needle of privateNeedles(jwk)) expect(result.stdout + result.stderr).not.toContain(needle)
    await expectKeptInIncident(home, jwk, 'stdin')
  }, 60_000)

  it('takes an inline key the same way, and a resumed run reads the kept file', async () => {
    // Given a key passed inline
    const home = await tempHome()
    const jwk = leakedJwk()
    const first = await run(['respond', '--key', JSON.stringify(jwk), '--playbook', 'inspect-only', '--yes', '--home', home])
    expect(exitCodeOf(first.error), first.stderr).toBe(0)
    await expectKeptInIncident(home, jwk, 'inline')
    // When the incident is resumed
    const [id] = await readdir(join(home, 'incidents'))
    const resumed = await run(['incident', 'resume', id as string, '--yes', '--home', home])
    // Then it finds nothing to redo, and no private value was printed
    expect(exitCodeOf(resumed.error), resumed.stderr).toBe(0)
    for (const needle of privateNeedles(jwk))
      expect(first.stdout + first.stderr + resumed.stdout + resumed.stderr).not.toContain(needle)
  })

  it('takes an inline key given as --input key=… to playbook run the same way: its JSON never reaches the journal', async () => {
    // Given a key passed inline as the playbook's key input (JSON, which other inputs are parsed as)
    const home = await tempHome()
    const jwk = leakedJwk()
    // When the playbook runs
    const {stdout, stderr, error} = await run([
      'playbook',
      'run',
      'inspect-only',
      '--input',
      `key=${JSON.stringify(jwk)}`,
      '--yes',
      '--home',
      home,
    ])
    // Then every step read the key, which is kept in the incident, and no private value is in the journal or the output
    expect(exitCodeOf(error), stderr).toBe(0)
    await expectKeptInIncident(home, jwk, 'inline')
    for (const needle of privateNeedles(jwk)) expect(stdout + stderr).not.toContain(needle)
  })
})
