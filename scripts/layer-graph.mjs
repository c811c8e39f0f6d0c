// Draws the folder-level import graph of src/ (Mermaid) for CONTRIBUTING.md from the layer rule in
// .dependency-cruiser.cjs: an allowed import is a solid arrow, a known break (an exception of the
// rule) a dotted one. `--write` updates CONTRIBUTING.md; `--check` (run by `npm run lint`)
// fails when the committed graph is not the tree's, so the rule and the picture stay one.
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const contributing = `${root}CONTRIBUTING.md`
const start = '<!-- layer-graph:start (npm run layers:graph -- --write) -->'
const end = '<!-- layer-graph:end -->'

const cruised = JSON.parse(
  execFileSync(
    `${root}node_modules/.bin/depcruise`,
    [
      'src',
      '--config',
      '.dependency-cruiser.cjs',
      '--include-only',
      '^src/',
      '--collapse',
      '^src/[^/]+',
      '--output-type',
      'json',
    ],
    {cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024},
  ),
)

/** The layer rule of a folder as dependency-cruiser applies it (the first rule of that name). */
const ruleOf = (folder) => cruised.summary.ruleSetUsed.forbidden.find((rule) => rule.name === `layer-${folder}`)
const order = cruised.summary.ruleSetUsed.forbidden.filter((r) => r.name.startsWith('layer-')).map((r) => r.name.slice(6))
const name = (path) => path.replace(/^src\//, '')
const id = (path) => name(path).replace(/\W/g, '_')
const rank = (path) => (order.includes(name(path)) ? order.indexOf(name(path)) : order.length)

const isBreak = (from, to) => {
  const rule = ruleOf(name(from))
  const targets = [rule?.to.path ?? []].flat()
  return targets.some((pattern) => new RegExp(pattern).test(`${to}/`) || new RegExp(pattern).test(to))
}

const modules = [...cruised.modules].sort((a, b) => rank(b.source) - rank(a.source))
const lines = ['```mermaid', 'flowchart TD']
for (const module of modules) lines.push(`  ${id(module.source)}["${module.source}"]`)
for (const module of modules) {
  const targets = [...module.dependencies].sort((a, b) => rank(b.resolved) - rank(a.resolved))
  for (const {resolved} of targets) {
    const arrow = isBreak(module.source, resolved) ? '-. known break .->' : '-->'
    lines.push(`  ${id(module.source)} ${arrow} ${id(resolved)}`)
  }
}
lines.push('```')
const graph = lines.join('\n')

const mode = process.argv[2]
if (mode === '--write' || mode === '--check') {
  const text = readFileSync(contributing, 'utf8')
  const [before, rest] = text.split(start)
  if (rest === undefined || !rest.includes(end)) {
    console.error(`CONTRIBUTING.md has no ${start} … ${end} block`)
    process.exit(1)
  }
  const updated = `${before}${start}\n\n${graph}\n\n${end}${rest.slice(rest.indexOf(end) + end.length)}`
  if (mode === '--write') writeFileSync(contributing, updated)
  else if (updated !== text) {
    console.error("The layer graph in CONTRIBUTING.md is not the tree's: run `npm run layers:graph -- --write`.")
    process.exit(1)
  }
} else console.log(graph)
