// Throughput of each stage of the three readers, on one thread, in MiB of input per second of CPU
// (CPU, not wall time: the machine is shared, and each stage's share is what tells which one bounds
// the whole), on the inputs of bench/scan.mjs, bench/discover.mjs and bench/tokens.mjs (built and
// cached by them). The slowest stage of each is the one that bounds it.
//
//   node bench/stages.mjs                                          # the 50,000-file tree, the 1 GiB log
//   BENCH_SCAN_FILES=5000 BENCH_TOKENS_MB=64 node bench/stages.mjs  # quick
import {createPrivateKey, createPublicKey} from 'node:crypto'
import {closeSync, openSync, readFileSync, readSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {makeTokenLog} from './lib/make-token-log.mjs'
import {makeTree} from './lib/make-tree.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const work = join(root, 'bench', '.work')
const dist = join(root, 'dist')
const files = Number(process.env.BENCH_SCAN_FILES ?? 50_000)
const megabytes = Number(process.env.BENCH_TOKENS_MB ?? 1024)
const rate = Number(process.env.BENCH_TOKENS_RATE ?? 0.02)
/** Tokens decoded and verified to measure those stages (the rest of the log costs them nothing more). */
const SAMPLE_TOKENS = 2000
const load = (path) => import(pathToFileURL(join(dist, path)).href)

const {walkFiles} = await load('adapters/scan/walk-files.js')
const {createWholeFileReader} = await load('adapters/scan/whole-file-reader.js')
const {createNeedleMatcher} = await load('adapters/scan/needle-matcher.js')
const {fileKind, hintWords, discoverFile} = await load('core/discover/discover-file.js')
const {TokenStream} = await load('core/tokens/token-stream.js')
const {createHeaderFilter, keyIdentityOf} = await load('core/tokens/key-reference.js')
const {verifySignature} = await load('core/tokens/verify-signature.js')
const {loadKeys} = await load('core/key/load-keys.js')
const {keyNeedles} = await load('core/key/needles.js')
const {SecretRegistry} = await load('core/secrets.js')

const cpuMs = () => {
  const {user, system} = process.cpuUsage()
  return (user + system) / 1000
}
/** Runs fn once to warm it up, then once measured; returns its CPU milliseconds and its result. */
function measure(fn) {
  fn()
  const start = cpuMs()
  const result = fn()
  return {ms: Math.max(cpuMs() - start, 0.001), result}
}
const mibps = (bytes, ms) => bytes / 1024 / 1024 / (ms / 1000)
function report(work, stages) {
  const slowest = stages.reduce((a, b) => (b.mibps < a.mibps ? b : a))
  const list = stages.map((stage) => `${stage.name} ${stage.mibps.toFixed(0)}`).join(', ')
  console.log(`stages ${work.padEnd(18)} ${list} MiB/s per core; bound by ${slowest.name}`)
}

// code scan and discover: the tree of bench/scan.mjs.
const {tree, key} = await makeTree({work, files, dist})
const counts = () => ({ignored: 0, hidden: 0, symlinks: 0, unreadable: 0})
const walk = measure(() => [...walkFiles([tree], {hidden: true, gitignore: false}, counts())])
const paths = walk.result
const reader = createWholeFileReader({maxFileSize: 10 << 20})
const read = measure(() => paths.reduce((sum, path) => sum + reader.read(path).bytes.length, 0))
const treeBytes = read.result
const [leaked] = (await loadKeys(readFileSync(key, 'utf8'), {secrets: new SecretRegistry()})).keys
const matcher = createNeedleMatcher(keyNeedles(leaked).map((needle) => needle.value))
const sample = paths.slice(0, 4000).map((path) => Buffer.from(reader.read(path).bytes))
const sampleBytes = sample.reduce((sum, bytes) => sum + bytes.length, 0)
const match = measure(() => sample.reduce((sum, bytes) => sum + matcher.find(bytes, bytes.length).length, 0))
report('code scan', [
  {name: 'walk', mibps: mibps(treeBytes, walk.ms)},
  {name: 'read', mibps: mibps(treeBytes, read.ms)},
  {name: 'match', mibps: mibps(sampleBytes, match.ms)},
])

const candidateFiles = paths.flatMap((path) => {
  const kind = fileKind(path.slice(path.lastIndexOf('/') + 1))
  return kind === null ? [] : [{path, kind}]
})
const readCandidates = measure(() => candidateFiles.reduce((sum, {path}) => sum + reader.read(path).bytes.length, 0))
const candidateBytes = readCandidates.result
const hints = new Map()
const words = (kind) =>
  hints.get(kind) ??
  hints
    .set(
      kind,
      hintWords(kind).map((word) => Buffer.from(word)),
    )
    .get(kind)
const kept = candidateFiles.map(({path, kind}) => ({path, kind, bytes: Buffer.from(reader.read(path).bytes)})).slice(0, 4000)
const keptBytes = kept.reduce((sum, {bytes}) => sum + bytes.length, 0)
const prefilter = measure(() => kept.filter(({kind, bytes}) => words(kind).some((word) => bytes.includes(word))))
// Parsing is measured on the files that pass (in the bench tree, the planted services' files).
const passing = candidateFiles
  .map(({path, kind}) => ({path, kind, text: reader.read(path).bytes.toString('utf8')}))
  .filter(({kind, text}) => words(kind).some((word) => text.includes(word)))
const parse = measure(() => passing.flatMap(({path, kind, text}) => discoverFile(kind, text, {file: path, service: 's'})))
const passingBytes = passing.reduce((sum, {text}) => sum + text.length, 0)
report('inventory discover', [
  {name: 'walk', mibps: mibps(treeBytes, walk.ms)},
  {name: 'read', mibps: mibps(candidateBytes, readCandidates.ms)},
  {name: 'pre-filter', mibps: mibps(keptBytes, prefilter.ms)},
  // What parsing costs per MiB of the candidates, given how few pass.
  {name: 'parse', mibps: mibps(candidateBytes, parse.ms)},
])
console.log(
  `       ${''.padEnd(18)} ${candidateFiles.length} of ${paths.length} files read, ${passing.length} parsed (${(passingBytes / 1024).toFixed(0)} KiB)`,
)

// tokens scan: the log of bench/tokens.mjs.
const log = await makeTokenLog({work, megabytes, rate})
const BLOCK = 1024 * 1024
const MAX_TOKEN = 64 * 1024
const buffer = Buffer.allocUnsafe(BLOCK + MAX_TOKEN)
const readLog = (onBlock) => {
  const fd = openSync(log.log, 'r')
  let total = 0
  try {
    for (let got = readSync(fd, buffer, 0, BLOCK, null); got > 0; got = readSync(fd, buffer, 0, BLOCK, null)) {
      total += got
      onBlock?.(got)
    }
  } finally {
    closeSync(fd)
  }
  return total
}
const readOnly = measure(() => readLog())
const logBytes = readOnly.result
const identity = keyIdentityOf((await loadKeys(readFileSync(log.key, 'utf8'), {secrets: new SecretRegistry()})).keys[0].report)
const filter = createHeaderFilter(identity)
/** Reads the log through a TokenStream; collects up to SAMPLE_TOKENS tokens (all, or the key's candidates). */
function stream({wantAll, candidatesOnly}) {
  const tokens = []
  const candidates = []
  // The scan verifies a token once, however often it is logged (its verdict cache): distinct candidates.
  const wanted = new Set()
  const tokenStream = new TokenStream({
    blockBytes: BLOCK,
    maxTokenBytes: MAX_TOKEN,
    countLines: false,
    wanted: (bytes, start, headerEnd) => {
      if (wantAll && tokens.length < SAMPLE_TOKENS) tokens.push(bytes.toString('latin1', start, headerEnd))
      return candidatesOnly && filter(bytes.toString('latin1', start, headerEnd))
    },
  })
  const fd = openSync(log.log, 'r')
  try {
    for (;;) {
      const got = readSync(fd, tokenStream.buffer, tokenStream.writeOffset, BLOCK, null)
      for (const found of tokenStream.push(got, got === 0)) {
        if (!wanted.has(found.token) && candidates.length < SAMPLE_TOKENS) candidates.push(found.token)
        wanted.add(found.token)
      }
      if (got === 0) break
    }
  } finally {
    closeSync(fd)
  }
  return {count: tokenStream.tokens, wanted: wanted.size, tokens, candidates}
}
const find = measure(() => stream({}))
const headers = stream({wantAll: true}).tokens
// As the scan decodes: a header is decoded once, then its decision is looked up (createHeaderFilter's cache).
const decode = measure(() => headers.filter(createHeaderFilter(identity)).length)
const {count: tokenCount, wanted: candidateCount, candidates} = stream({candidatesOnly: true})
const publicKey = createPublicKey(createPrivateKey({key: JSON.parse(readFileSync(log.key, 'utf8')), format: 'jwk'}))
const verify = measure(() => candidates.filter((token) => verifySignature(token, publicKey) === true).length)
// Per MiB of log: every token's header looked at (decoded once per distinct header), every distinct candidate verified.
report(`tokens scan ${megabytes >= 1024 ? `${megabytes / 1024} GiB` : `${megabytes} MiB`}`, [
  {name: 'read', mibps: mibps(logBytes, readOnly.ms)},
  {name: 'find', mibps: mibps(logBytes, find.ms)},
  {name: 'decode', mibps: mibps(logBytes, (decode.ms / headers.length) * tokenCount)},
  {name: 'verify', mibps: mibps(logBytes, (verify.ms / candidates.length) * candidateCount)},
])
console.log(
  `       ${''.padEnd(18)} (read+find measured together: find alone ≈ ${mibps(logBytes, Math.max(find.ms - readOnly.ms, 0.001)).toFixed(0)}; ` +
    `${tokenCount} tokens, ${candidateCount} distinct candidates verified)`,
)
