// Issue 15, Install: the package is not published, so the README installs it from a tarball made by
// `npm pack`. This packs the repository, installs the tarball globally into a temporary prefix, and
// runs the installed `jwkr` from outside the repository. It builds and installs (minutes), so it runs
// where JWKR_TEST_INSTALL is set: .ci/run sets it.
import {execFile} from 'node:child_process'
import {mkdtemp, readdir, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {describe, expect, it} from 'vitest'

import {projectRoot} from '../helpers/run.js'

const exec = promisify(execFile)

describe.runIf(process.env.JWKR_TEST_INSTALL)('npm install -g from a packed tarball', {timeout: 900_000}, () => {
  it('installs, and the installed jwkr runs outside the repository', async () => {
    // Given the repository packed into a tarball
    const scratch = await mkdtemp(join(tmpdir(), 'jwkr-install-'))
    await exec('npm', ['pack', '--pack-destination', scratch], {cwd: projectRoot})
    const [tarball] = (await readdir(scratch)).filter((name) => name.endsWith('.tgz'))
    expect(tarball).toMatch(/^jwk-responder-\d+\.\d+\.\d+\.tgz$/)
    // When it is installed globally into a fresh prefix, as the README says
    const prefix = join(scratch, 'prefix')
    await exec('npm', ['install', '-g', '--prefix', prefix, join(scratch, tarball ?? ''), '--no-audit', '--no-fund'], {
      cwd: scratch,
    })
    // Then `jwkr version` runs from anywhere, and so does a command with its bundled playbooks
    const jwkr = join(prefix, 'bin', 'jwkr')
    const version = await exec(jwkr, ['version'], {cwd: scratch})
    expect(version.stdout).toMatch(/^jwk-responder\/\d+\.\d+\.\d+ /)
    const playbooks = await exec(jwkr, ['playbook', 'list', '--columns', 'playbook', '--no-header'], {cwd: scratch})
    expect(playbooks.stdout.split('\n')).toContain('leaked-signing-key')
    // And it starts from the bundled build (issue 18): `key thumbprint` loads oclif from the bundle's
    // chunks, not from node_modules file by file, and no SDK (a count of modules, never a time)
    const log = join(scratch, 'modules.txt')
    const installed = join(prefix, 'lib', 'node_modules', 'jwk-responder')
    const thumbprint = await exec(
      process.execPath,
      [
        '--import',
        join(projectRoot, 'test/helpers/module-log.mjs'),
        join(installed, 'bin/run.js'),
        'key',
        'thumbprint',
        join(installed, 'examples/leaked-signing-key.json'),
      ],
      {cwd: scratch, env: {...process.env, JWKR_MODULE_LOG: log}},
    )
    expect(thumbprint.stdout.trim()).toBe('ctrVioBNyS21qaggw9wJbbzKbpG2TpIsKRipETuogFQ')
    const modules = (await readFile(log, 'utf8')).split('\n').filter((line) => line.includes(installed))
    expect(
      modules.filter((module) => /node_modules\/(@oclif\/core|@slack|@octokit|handlebars|ky|msw|ioredis|express)\//.test(module)),
    ).toEqual([])
    expect(modules.length).toBeLessThanOrEqual(60)
  })
})
