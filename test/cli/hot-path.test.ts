// Issue 18, start-up: `jwkr key thumbprint FILE` loads what reading a key needs and nothing else. Every
// command pays for what the entry, the base command and the hook import at their top, and a key command
// for the key core: an SDK, Handlebars or the playbook engine imported there would cost every start.
// These are counts of modules, never times (bench/cold-start.mjs measures the time).
import {build, type Metafile} from 'esbuild'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {projectRoot} from '../helpers/run.js'

/** Packages no key command needs at start: SDKs, HTTP clients, templates, the terminal's wrapper and spinner. */
const HEAVY_PACKAGES = [
  /^@slack\//,
  /^@octokit\//,
  /^handlebars/,
  /^ky(\/|$)/,
  /^msw(\/|$)/,
  /^ioredis/,
  /^express/,
  /^@inquirer\//,
  /^ora(\/|$)/,
  /^wrap-ansi/,
  /^yaml(\/|$)/,
  /^ajv/,
]
/** Parts of jwkr a key command never runs: the playbook engine, the drill, incidents, Slack and GitHub. */
const HEAVY_SOURCES = [
  'src/playbook/',
  'src/drill/',
  'src/incident/',
  'src/adapters/slack/',
  'src/adapters/github/',
  'src/adapters/templates/',
]
/** The entry, the hook, the base command and the key core are 19 modules today: a few more is growth, many more a regression. */
const MAX_SOURCE_MODULES = 24

const entries = ['src/cli/run-cli.ts', 'src/cli/command-not-found.ts', 'src/commands/key/thumbprint.ts']

/** What the entries import at their top, transitively (dynamic imports are loaded only when used, so not followed). */
function staticGraph(metafile: Metafile, from: string[], graph: 'inputs' | 'outputs') {
  const files = graph === 'inputs' ? metafile.inputs : metafile.outputs
  const seen = new Set<string>()
  const packages = new Set<string>()
  const queue = [...from]
  while (queue.length > 0) {
    const file = queue.pop() as string
    if (seen.has(file)) continue
    seen.add(file)
    for (const edge of files[file]?.imports ?? []) {
      if (edge.kind !== 'import-statement' && edge.kind !== 'require-call') continue
      if (edge.external) packages.add(edge.path)
      else queue.push(edge.path)
    }
  }
  return {files: [...seen], packages: [...packages]}
}

describe('the start of `jwkr key thumbprint`', () => {
  it('imports no SDK, template engine or playbook engine, and few modules of jwkr', async () => {
    // Given the import graph of the sources, packages left out (oclif's own graph is the build's, below)
    const {metafile} = await build({
      entryPoints: entries.map((entry) => join(projectRoot, entry)),
      absWorkingDir: projectRoot,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      outdir: 'out',
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
    // When it is followed from the entry, the hook and the command through their top-level imports
    const {files, packages} = staticGraph(metafile, entries, 'inputs')
    // Then nothing heavy is on it
    expect(packages.filter((name) => HEAVY_PACKAGES.some((heavy) => heavy.test(name)))).toEqual([])
    expect(files.filter((file) => HEAVY_SOURCES.some((heavy) => file.startsWith(heavy)))).toEqual([])
    expect(files.length).toBeLessThanOrEqual(MAX_SOURCE_MODULES)
  })

  it('is bundled with oclif by npm run build, which leaves no heavy package on it', {timeout: 60_000}, async () => {
    // Given the build's bundle of the CLI (scripts/bundle-cli.mjs), not written
    const {bundleCli} = (await import(join(projectRoot, 'scripts/bundle-cli.mjs'))) as {
      bundleCli: (options: {write: boolean}) => Promise<{files: {path: string; text: string}[]; metafile: Metafile}>
    }
    const {files, metafile} = await bundleCli({write: false})
    // When the command's bundle is followed through its top-level imports
    const {files: outputs, packages} = staticGraph(
      metafile,
      ['dist/cli/run-cli.js', 'dist/commands/key/thumbprint.js'],
      'outputs',
    )
    // Then oclif's core is in its chunks rather than imported from node_modules one file at a time,
    // (inputs are named from the project's directory: a node_modules linked from elsewhere starts with ../)
    const inputs = outputs.flatMap((output) => Object.keys(metafile.outputs[output]?.inputs ?? {}))
    expect(inputs.some((input) => input.endsWith('node_modules/@oclif/core/lib/main.js'))).toBe(true)
    // the packages oclif requires only on first use are not parsed at start: they are in chunks/oclif-deps.cjs,
    expect(
      inputs.filter((input) => /node_modules\/(semver|minimatch|ejs|cli-spinners|debug|wrap-ansi|tinyglobby)\//.test(input)),
    ).toEqual([])
    expect(files.map((file) => file.path)).toContain(join(projectRoot, 'dist/chunks/oclif-deps.cjs'))
    expect(packages.filter((name) => name.startsWith('@oclif/'))).toEqual([])
    // nothing heavy is imported, and every import of the rest of jwkr points at tsc's output in dist/
    expect(packages.filter((name) => HEAVY_PACKAGES.some((heavy) => heavy.test(name)))).toEqual([])
    expect(files.filter((file) => file.text.includes('#jwkr-dist/')).map((file) => file.path)).toEqual([])
  })
})
