#!/usr/bin/env node
// Cold start of the key commands: `jwkr key thumbprint FILE` from the built CLI against `node -e 0`
// on the same machine, run alternately so that both see the same load. Prints both medians and the
// ratio; the target is 2x or less (issue 18; it was 5x in issue 2). Builds nothing: run `npm run build`
// first, which bundles the CLI (scripts/bundle-cli.mjs).
//
//   node bench/cold-start.mjs [--runs 20] [--warmup 3]
import {spawnSync} from 'node:child_process'
import {existsSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

const TARGET = 2
const root = fileURLToPath(new URL('..', import.meta.url))
const runs = numberFlag('--runs', 20)
const warmup = numberFlag('--warmup', 3)
const keyFile = join('examples', 'leaked-signing-key.json')

const jwkr = {label: `jwkr key thumbprint ${keyFile}`, args: [join(root, 'bin/run.js'), 'key', 'thumbprint', keyFile]}
const bare = {label: 'node -e 0', args: ['-e', '0']}

checkBuilt()
const first = time(jwkr)
console.log(`jwkr prints: ${first.stdout.trim()}`)
for (let i = 0; i < warmup; i++) {
  time(jwkr)
  time(bare)
}
const samples = {jwkr: [], bare: []}
for (let i = 0; i < runs; i++) {
  samples.jwkr.push(time(jwkr).ms)
  samples.bare.push(time(bare).ms)
}
const jwkrMedian = median(samples.jwkr)
const bareMedian = median(samples.bare)
const ratio = jwkrMedian / bareMedian
console.log(`runs: ${runs} each, alternating, after ${warmup} warm-up runs each (node ${process.version})`)
console.log(`${bare.label.padEnd(60)} median ${bareMedian.toFixed(1)} ms`)
console.log(`${jwkr.label.padEnd(60)} median ${jwkrMedian.toFixed(1)} ms`)
console.log(`ratio: ${ratio.toFixed(2)}x (target <= ${TARGET}x) ${ratio <= TARGET ? 'OK' : 'OVER TARGET'}`)

function time(command) {
  const start = performance.now()
  const result = spawnSync(process.execPath, command.args, {cwd: root, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  const ms = performance.now() - start
  if (result.status !== 0) {
    console.error(`${command.label} failed (exit ${result.status}):\n${result.stderr}`)
    process.exit(1)
  }
  return {ms, stdout: result.stdout}
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function numberFlag(name, fallback) {
  const index = process.argv.indexOf(name)
  const value = index === -1 ? fallback : Number(process.argv[index + 1])
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} takes a whole number of runs, 1 or more.`)
    process.exit(2)
  }
  return value
}

function checkBuilt() {
  const built = join(root, 'dist/commands/key/thumbprint.js')
  const manifest = join(root, 'oclif.manifest.json')
  if (!existsSync(built) || !existsSync(manifest) || !existsSync(join(root, 'dist/chunks'))) {
    console.error(
      'dist/, its bundle or oclif.manifest.json is missing: run `npm run build` first (this benchmark builds nothing).',
    )
    process.exit(1)
  }
  const source = join(root, 'src/commands/key/thumbprint.ts')
  if (existsSync(source) && statSync(source).mtimeMs > statSync(built).mtimeMs) {
    console.log('note: src/ is newer than dist/: run `npm run build` to measure the current code.')
  }
}
