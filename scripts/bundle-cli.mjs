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
import {mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {dirname, join, relative, resolve, sep} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = join(root, 'src')
const dist = join(root, 'dist')
const bundledDirs = [join(src, 'cli'), join(src, 'commands')]
/** Stands for dist/ in an import the bundle leaves to tsc's output; replaced by a relative path below. */
const DIST = '#jwkr-dist/'

const isBundled = (file) => bundledDirs.some((dir) => file.startsWith(dir + sep))

/**
 * Packages bundled with src/cli: oclif's core, and picocolors, which only src/cli/style.ts imports (a
 * CommonJS file loaded through the ES module loader at every start, ~1–2 ms; it keeps no state, and
 * nothing outside the bundle imports it).
 */
const BUNDLED_PACKAGES = /^(@oclif\/core(\/|$)|picocolors$)/

/** Imports of src outside cli and commands point at tsc's output; other packages stay packages. */
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
      if (fromSource && !BUNDLED_PACKAGES.test(args.path)) return {path: args.path, external: true}
      return undefined
    })
  },
}

/** Stands for the file of oclif's packages (below) in a require the bundle leaves out; replaced below. */
const OCLIF_DEPS = '#jwkr-oclif-deps/'
const OCLIF_DEPS_FILE = 'chunks/oclif-deps.cjs'
/** Packages oclif's core requires at every start: they stay in its chunk. */
const OCLIF_START_PACKAGES = new Set(['get-package-type'])

/**
 * The packages oclif's core requires (semver, minimatch, ejs, cli-spinners, wrap-ansi, debug, …) are
 * required only on first use (lazyOclif below), and a run of one command uses none of them, but in
 * oclif's chunk their ~420 KB were read and parsed at every start. They go to a file of their own,
 * dist/chunks/oclif-deps.cjs, which oclif's chunk requires when one of them is first needed; each
 * package is still one instance, resolved from oclif's directory as oclif resolves it.
 */
const oclifDeps = (required) => ({
  name: 'oclif-deps',
  setup(esbuild) {
    esbuild.onResolve({filter: /^[^./#]/}, (args) => {
      if (args.kind !== 'require-call' || !/[\\/]@oclif[\\/]core[\\/]lib[\\/]/.test(args.importer)) return undefined
      if (args.path.startsWith('node:') || args.path.startsWith('@oclif/core') || args.path === 'typescript') return undefined
      if (OCLIF_START_PACKAGES.has(args.path)) return undefined
      required.add(args.path)
      return {path: OCLIF_DEPS + args.path, external: true}
    })
  },
})

/** dist/chunks/oclif-deps.cjs: one CommonJS bundle of the packages, each loaded when first asked for by name. */
async function bundleOclifDeps(required) {
  const names = [...required].sort()
  const cases = names.map((name) => `    case ${JSON.stringify(name)}: return require(${JSON.stringify(name)})`).join('\n')
  const contents = `module.exports = function oclifDependency(name) {\n  switch (name) {\n${cases}\n  }\n  throw new Error('oclif-deps.cjs holds no ' + name)\n}\n`
  const result = await build({
    stdin: {
      contents,
      resolveDir: realpathSync(join(root, 'node_modules/@oclif/core/lib')),
      sourcefile: 'oclif-deps.cjs',
      loader: 'js',
    },
    outfile: join(dist, OCLIF_DEPS_FILE),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['typescript'],
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    write: false,
  })
  return {files: result.outputFiles.map((file) => ({path: file.path, text: file.text})), metafile: result.metafile}
}

/**
 * oclif's core requires all of itself and its packages as it loads; most of it is never used by one
 * run of one command. Each top-level `const x_1 = require("…")` of its compiled TypeScript (whose
 * code only ever reads members of x_1) becomes a stand-in that requires the module on first use
 * (scripts/lazy-module.cjs). Other requires are left as they are.
 */
const lazyOclif = {
  name: 'lazy-oclif-requires',
  setup(esbuild) {
    const helper = JSON.stringify(join(root, 'scripts/lazy-module.cjs'))
    const idOrder = JSON.stringify(join(root, 'scripts/oclif-id-order.cjs'))
    const topLevelRequire = /^(const|var) (\w+) = ((?:__importDefault\(|__importStar\()?require\("[^"]+"\)\)?);$/gm
    esbuild.onLoad({filter: /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/}, async (args) => {
      const code = await readFile(args.path, 'utf8')
      const file = /[\\/]@oclif[\\/]core[\\/]lib[\\/](.*)$/.exec(args.path)[1].split(sep).join('/')
      // index.js checks its own engines with semver against a package.json found through __dirname,
      // which an ES module does not have: the check fails after semver's ~50 modules are loaded.
      const lazy = patchOclifFile(file, code, idOrder)
        .replace(topLevelRequire, '$1 $2 = __jwkrLazyModule(() => $3);')
        .replace("const semver = require('semver');", "const semver = __jwkrLazyModule(() => require('semver'));")
        // The plugin loader matches each dependency's name against each entry of oclif.plugins with
        // minimatch (~100 patterns compiled per run); an entry without a glob character (extglobs such
        // as @(…) need a parenthesis; ! and # lead negations and comments) matches its own name only.
        .replace(
          '(0, minimatch_1.minimatch)(p, w)',
          '(/[*?[\\]{}()!#\\\\]/.test(w) ? (0, minimatch_1.minimatch)(p, w) : p === w)',
        )
      if (lazy === code) return {contents: code, loader: 'js'}
      // After the "use strict" directive, which must stay first.
      const strict = /^"use strict";\n/.exec(lazy)?.[0] ?? ''
      return {contents: `${strict}const __jwkrLazyModule = require(${helper});\n${lazy.slice(strict.length)}`, loader: 'js'}
    })
  },
}

/**
 * Exact edits of single files of oclif's core, each found once or the build fails (an upgrade of oclif
 * that changes the text must be looked at again). Each keeps what oclif does and drops start-up work.
 */
function patchOclifFile(file, code, idOrder) {
  const edits = {
    // getPlatform asks wsl-utils for isWsl, is-wsl's answer re-exported, through import(): a chunk of
    // its own (wsl-utils loads node:child_process and its PowerShell helpers, used only on Windows),
    // loaded through the ES module loader while Config.load waits, ~6 ms of the start. is-wsl is
    // required instead, resolved as wsl-utils resolves it and bundled into oclif's chunk: the same
    // module, the same answer, no extra file (wsl-utils, still imported by getShell on Windows, shares it).
    'util/os.js': [
      [
        "return (await import('wsl-utils')).isWsl ? 'wsl' : (0, node_os_1.platform)();",
        `return require(${JSON.stringify(isWslPath())}).default ? 'wsl' : (0, node_os_1.platform)();`,
      ],
    ],
    // The first localeCompare of a process builds ICU's collator (~6 ms): scripts/oclif-id-order.cjs
    // gives localeCompare's order without it where the two agree (ids of a–z, ':' and '-' in the C,
    // POSIX and English locales), and calls localeCompare everywhere else.
    'config/plugin.js': [['.sort((a, b) => a.id.localeCompare(b.id));', `.sort(require(${idOrder}));`]],
    // Command.run loads the config again through Config.load(config), whose setLogger built a logger
    // (loading the debug package, ~3 ms) only for set() to drop it: the root logger is set by then.
    // run-cli.ts passes a silent logger when DEBUG is unset, so debug is never loaded on that path.
    'logger.js': [
      [
        '        set(makeLogger(OCLIF_NS));\n    }\n}',
        "        if (!cachedLoggers.has('root')) set(makeLogger(OCLIF_NS));\n    }\n}",
      ],
    ],
  }
  let patched = code
  for (const [from, to] of edits[file] ?? []) {
    const at = patched.indexOf(from)
    if (at === -1 || patched.indexOf(from, at + 1) !== -1) {
      throw new Error(
        `@oclif/core/lib/${file} no longer holds ${JSON.stringify(from)} once: look at scripts/bundle-cli.mjs again.`,
      )
    }
    patched = patched.replace(from, () => to)
  }
  return patched
}

/** is-wsl's entry, as wsl-utils (resolved from oclif's core) resolves it. */
function isWslPath() {
  const oclifCore = createRequire(realpathSync(join(root, 'node_modules/@oclif/core/package.json')))
  return createRequire(oclifCore.resolve('wsl-utils')).resolve('is-wsl')
}

function sources(dir) {
  return readdirSync(dir, {withFileTypes: true, recursive: true})
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
}

/**
 * Bundles the CLI into dist/ (or only returns the files, with their metafile, when write is false:
 * test/cli/hot-path.test.ts reads what a command's bundle imports).
 */
export async function bundleCli({write = true} = {}) {
  if (write) rmSync(join(dist, 'chunks'), {recursive: true, force: true})
  const required = new Set()
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
    plugins: [externals, oclifDeps(required), lazyOclif],
    // oclif's core is CommonJS and calls require() for plugins and lazily loaded modules.
    banner: {
      js: "import {createRequire as __jwkrCreateRequire} from 'node:module';const require = __jwkrCreateRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    write: false,
  })
  const deps = await bundleOclifDeps(required)
  const oclifDep = new RegExp(`__require\\("${OCLIF_DEPS}([^"]+)"\\)`, 'g')
  const files = result.outputFiles.map((file) => {
    const toDist = relative(dirname(file.path), dist).split(sep).join('/') || '.'
    const text = file.text
      .replaceAll(`"${DIST}`, `"${toDist}/`)
      .replace(oclifDep, (_, name) => `__require("${toDist}/${OCLIF_DEPS_FILE}")(${JSON.stringify(name)})`)
    if (text.includes(OCLIF_DEPS))
      throw new Error(`${file.path}: a require of oclif's packages was not redirected to ${OCLIF_DEPS_FILE}.`)
    return {path: file.path, text}
  })
  files.push(...deps.files)
  if (write) {
    for (const file of files) {
      mkdirSync(dirname(file.path), {recursive: true})
      writeFileSync(file.path, file.text)
    }
  }
  return {files, metafile: result.metafile}
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const {files} = await bundleCli()
  console.log(`bundled the CLI: ${files.length} files in ${relative(root, dist)}/`)
}
