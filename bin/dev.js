#!/usr/bin/env -S node --import tsx --disable-warning=ExperimentalWarning
// Development entry: runs the TypeScript sources in src/ without a build. The plugins are loaded
// here with the manifest of the root plugin ignored, so a manifest left by a build never hides a
// new command or runs stale code.
import {Plugin} from '@oclif/core'
import {readFileSync} from 'node:fs'
import {register} from 'tsx/esm/api'
import {fileURLToPath} from 'node:url'

// `node bin/dev.js` (as the tests run it) skips the shebang's --import tsx: register it here.
register()
const {runCli} = await import('../src/cli/run-cli.ts')

process.env.NODE_ENV ??= 'development'
const root = fileURLToPath(new URL('..', import.meta.url))
const {oclif} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const plugins = [
  new Plugin({root, isRoot: true, ignoreManifest: true}),
  ...oclif.plugins.map(
    (name) => new Plugin({root: fileURLToPath(new URL(`../node_modules/${name}/`, import.meta.url)), type: 'core'}),
  ),
]
await Promise.all(plugins.map((plugin) => plugin.load()))
await runCli({dir: import.meta.url, loadOptions: {root, plugins: new Map(plugins.map((p) => [p.name, p]))}})
