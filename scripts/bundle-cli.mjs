#!/usr/bin/env node
// The fast build of the CLI (issue 18), run by `npm run build` after tsc: each command of
// src/commands, the entry of bin/run.js (src/cli/run-cli.ts) and the command_not_found hook are
// bundled with esbuild over tsc's own output in dist/, in place, so that oclif's manifest and its lazy
// loading of one command stay as they are (dist/commands/<topic>/<verb>.js, found through
// oclif.manifest.json).
//
// What a bundle holds: src/cli, the command itself, and @oclif/core with its dependencies, which is
// the cost it removes: oclif's ~200 CommonJS files load as one shared chunk (dist/chunks/) instead of
// one file at a time. Everything else stays a plain import:
// - the rest of src (services, core, adapters, …) is imported from tsc's output in dist/, so that each
//   module exists once in the process (one JwkrError class, one secret registry), and files that find
//   their neighbours through import.meta.url (templates, playbooks, workers) keep their place;
// - other packages are imported from node_modules, loaded only by the commands that use them.
//
//   node scripts/bundle-cli.mjs        (after `tsc -p tsconfig.build.json`; before `oclif manifest`)
import {build} from 'esbuild'
import {mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, relative, resolve, sep} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = join(root, 'src')
const dist = join(root, 'dist')
const bundledDirs = [join(src, 'cli'), join(src, 'commands')]
/** Stands for dist/ in an import the bundle leaves to tsc's output; replaced by a relative path below. */
const DIST = '#jwkr-dist/'

const isBundled = (file) => bundledDirs.some((dir) => file.startsWith(dir + sep))

/** Imports of src outside cli and commands point at tsc's output; packages other than oclif's core stay packages. */
const externals = {
  name: 'jwkr-externals',
  setup(esbuild) {
    esbuild.onResolve({filter: /^\.\.?\//}, (args) => {
      if (!args.importer.startsWith(src + sep)) return undefined
      const target = resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts')
      if (isBundled(target)) return undefined
      return {path: DIST + relative(src, target).split(sep).join('/').replace(/\.ts$/, '.js'), external: true}
    })
    esbuild.onResolve({filter: /^[^./]/}, (args) => {
      const fromSource = args.importer.startsWith(src + sep)
      if (fromSource && !/^@oclif\/core(\/|$)/.test(args.path)) return {path: args.path, external: true}
      return undefined
    })
  },
}

function sources(dir) {
  return readdirSync(dir, {withFileTypes: true, recursive: true})
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
}

const chunks = join(dist, 'chunks')
rmSync(chunks, {recursive: true, force: true})
const result = await build({
  entryPoints: [...sources(join(src, 'commands')), join(src, 'cli/run-cli.ts'), join(src, 'cli/command-not-found.ts')],
  outdir: dist,
  outbase: src,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // oclif's core loads TypeScript only to run a plugin's .ts sources (development): never in this build.
  external: ['typescript'],
  plugins: [externals],
  // oclif's core is CommonJS and calls require() for plugins and lazily loaded modules.
  banner: {
    js: "import {createRequire as __jwkrCreateRequire} from 'node:module';const require = __jwkrCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
  write: false,
})

for (const file of result.outputFiles) {
  const toDist = relative(dirname(file.path), dist).split(sep).join('/') || '.'
  const text = file.text.replaceAll(`"${DIST}`, `"${toDist}/`)
  mkdirSync(dirname(file.path), {recursive: true})
  writeFileSync(file.path, text)
}
console.log(`bundled the CLI: ${result.outputFiles.length} files in ${relative(root, dist)}/`)
