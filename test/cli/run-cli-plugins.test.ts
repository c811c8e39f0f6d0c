// bin/run.js loads oclif's plugins (help, autocomplete, version) only for a run that can need them
// (src/cli/run-cli.ts, issue 18): a run of one of jwkr's own commands, with no help or version flag and
// no plugin of the user's, runs with the root plugin alone; every other run loads them all, as oclif does.
import {Config, Plugin} from '@oclif/core'
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {runsOwnCommand} from '../../src/cli/run-cli.js'
import {projectRoot} from '../helpers/run.js'

/** oclif's config with jwkr's own plugin only, read from the sources, as loadConfig loads it first. */
async function rootOnlyConfig(): Promise<Config> {
  const rootPlugin = new Plugin({root: projectRoot, isRoot: true, ignoreManifest: true})
  await rootPlugin.load()
  return Config.load({root: projectRoot, plugins: new Map([[rootPlugin.name, rootPlugin]])})
}

const saved = process.env.XDG_DATA_HOME
afterEach(() => {
  if (saved === undefined) delete process.env.XDG_DATA_HOME
  else process.env.XDG_DATA_HOME = saved
})

describe('which runs bin/run.js starts without the plugins', () => {
  it.each([
    [['key', 'thumbprint', 'leaked.json'], true],
    [['key', 'thumbprint', 'leaked.json', '--json', '--hash', 'sha512'], true],
    [['incident', 'list'], true],
    [['respond', '--key', 'leaked.json'], true],
    [['key', 'thumbprint', 'leaked.json', '--help'], false],
    [['key', 'thumbprint', '-h'], false],
    [['--version'], false],
    [['-v'], false],
    [['version'], false],
    [['help', 'key'], false],
    [['autocomplete', 'bash'], false],
    [['create', 'autocomplete'], false],
    [['versio'], false],
    [['incidnet', 'list'], false],
    [['key'], false],
    [[], false],
  ])('%j → %s', {timeout: 60_000}, async (argv, own) => {
    process.env.XDG_DATA_HOME = await mkdtemp(join(tmpdir(), 'jwkr-data-'))
    expect(runsOwnCommand(await rootOnlyConfig(), argv)).toBe(own)
  })

  it('loads them all when the user has plugins of their own in the data directory', {timeout: 60_000}, async () => {
    // Given a data directory holding a package.json, where oclif finds user and linked plugins
    const data = await mkdtemp(join(tmpdir(), 'jwkr-data-'))
    await mkdir(join(data, 'jwkr'))
    await writeFile(join(data, 'jwkr', 'package.json'), JSON.stringify({oclif: {plugins: []}}))
    process.env.XDG_DATA_HOME = data
    // Then even one of jwkr's own commands starts with every plugin
    expect(runsOwnCommand(await rootOnlyConfig(), ['key', 'thumbprint', 'leaked.json'])).toBe(false)
  })
})
