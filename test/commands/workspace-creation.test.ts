// The first run in a new workspace says where the workspace is and why that folder was chosen.
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

const example = join(projectRoot, 'examples/leaked-signing-key.json')
const saved = process.env.JWKR_HOME

afterEach(() => {
  if (saved === undefined) delete process.env.JWKR_HOME
  else process.env.JWKR_HOME = saved
})

describe('creating the workspace', () => {
  it('names JWKR_HOME or --home as the reason, not a missing .jwkr folder', async () => {
    const base = await mkdtemp(join(tmpdir(), 'jwkr-new-home-'))
    // Given JWKR_HOME naming a folder that does not exist yet
    process.env.JWKR_HOME = join(base, 'by-env')
    const byEnv = await run(['playbook', 'run', 'inspect-only', '--key', example, '--yes'])
    expect(exitCodeOf(byEnv.error)).toBe(0)
    expect(byEnv.stderr).toContain(`Creating the jwkr workspace ${join(base, 'by-env')}: named by JWKR_HOME.`)
    // Given --home naming another (it wins over JWKR_HOME)
    const byFlag = await run(['playbook', 'run', 'inspect-only', '--key', example, '--yes', '--home', join(base, 'by-flag')])
    expect(exitCodeOf(byFlag.error)).toBe(0)
    expect(byFlag.stderr).toContain(`Creating the jwkr workspace ${join(base, 'by-flag')}: named by --home.`)
    expect(byFlag.stderr).not.toContain('no .jwkr folder')
  }, 60_000)
})
