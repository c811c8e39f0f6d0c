#!/usr/bin/env -S node --import tsx --disable-warning=ExperimentalWarning
// Development entry: runs the TypeScript sources in src/ without a build. The plugins are loaded
// here with the manifest of the root plugin ignored, so a manifest left by a build never hides a
// new command or runs stale code.
import {execute, Plugin} from '@oclif/core'
import {fileURLToPath} from 'node:url'

process.env.NODE_ENV ??= 'development'
const root = fileURLToPath(new URL('..', import.meta.url))
const helpRoot = fileURLToPath(new URL('../node_modules/@oclif/plugin-help/', import.meta.url))
const plugins = [new Plugin({root, isRoot: true, ignoreManifest: true}), new Plugin({root: helpRoot, type: 'core'})]
await Promise.all(plugins.map((plugin) => plugin.load()))
await execute({development: true, dir: import.meta.url, loadOptions: {root, plugins: new Map(plugins.map((p) => [p.name, p]))}})
