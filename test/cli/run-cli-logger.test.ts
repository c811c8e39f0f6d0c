// oclif's debug lines (DEBUG=oclif:*) still print when asked for: run-cli.ts gives oclif a silent logger
// only when DEBUG is unset, where oclif's own logger (the debug package) drops every line anyway.
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {projectRoot} from '../helpers/run.js'

function thumbprint(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'DEBUG'))
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'bin/dev.js'), 'key', 'thumbprint', 'examples/leaked-signing-key.json'],
    {cwd: projectRoot, encoding: 'utf8', env: {...clean, NO_COLOR: '1', ...env}, timeout: 60_000},
  )
  return {status: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe("oclif's logger", () => {
  it('prints oclif:* debug lines on stderr with DEBUG=oclif:*', {timeout: 60_000}, () => {
    const {status, stdout, stderr} = thumbprint({DEBUG: 'oclif:*'})
    expect(status).toBe(0)
    expect(stdout).toMatch(/^[\w-]{43}\n$/)
    expect(stderr).toMatch(/oclif:main process\.argv/)
    expect(stderr).toMatch(/oclif:.*plugin/)
  })

  it('prints nothing with DEBUG unset or empty', {timeout: 60_000}, () => {
    for (const env of [{}, {DEBUG: ''}] as Record<string, string>[]) {
      const {status, stdout, stderr} = thumbprint(env)
      expect({status, stderr}).toEqual({status: 0, stderr: ''})
      expect(stdout).toMatch(/^[\w-]{43}\n$/)
    }
  })
})
