// Builds (once, cached under bench/.work/) the tree that bench/scan.mjs searches: FILES text-like
// files (~10 KB each: prose, code, JSON, base64 blobs, hex hashes) in nested directories, with the
// material of one leaked RSA key planted in a few of them in the forms it is found in, decoys (the
// needles one character off, a binary file holding one), and the needles written one a line.
import {generateKeyPairSync} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

const AVERAGE_FILE_BYTES = 10 * 1024
const FILES_PER_DIRECTORY = 50
const POOL_LINES = 40_000
const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you ' +
  'were her she there one all we their been has when who will more no if out so said what up its about into than ' +
  'them can only other new some could time these two may then do first any my now such like our over man me even ' +
  'most made after also did many before must through back years where much your way well down should because each ' +
  'just those people how too little state good very make world still own see men work long get here between both ' +
  'life being under never day same another know while last might us great old year off come since against go came ' +
  'right used take three token issuer service client request response handler config timeout retry cache session'
).split(' ')
const IDENTIFIERS = [
  'userId',
  'accessToken',
  'fetchUser',
  'billingApi',
  'sessionStore',
  'retryPolicy',
  'jwksCache',
  'orderId',
  'handler',
  'logger',
]
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** A small deterministic PRNG (mulberry32), so every machine builds the same tree. */
function prng(seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function linePool(random) {
  const pick = (list) => list[Math.floor(random() * list.length)]
  const chars = (alphabet, n) => Array.from({length: n}, () => alphabet[Math.floor(random() * alphabet.length)]).join('')
  const kinds = [
    () => Array.from({length: 6 + Math.floor(random() * 10)}, () => pick(WORDS)).join(' ') + '.',
    () =>
      `  const ${pick(IDENTIFIERS)} = await ${pick(IDENTIFIERS)}.${pick(WORDS)}(${pick(IDENTIFIERS)}, {timeout: ${Math.floor(random() * 5000)}})`,
    () => `    "${pick(IDENTIFIERS)}": "${pick(WORDS)}-${pick(WORDS)}", "retries": ${Math.floor(random() * 9)},`,
    () => `  if (${pick(IDENTIFIERS)} === null) throw new Error('${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)}')`,
    () =>
      `${new Date(1.7e12 + Math.floor(random() * 3e10)).toISOString()} INFO ${pick(IDENTIFIERS)} ${pick(WORDS)} ${pick(WORDS)} id=${chars('0123456789abcdef', 12)}`,
    () => chars(BASE64, 64),
    () => `sha256: ${chars('0123456789abcdef', 64)}`,
    () => `# ${Array.from({length: 4 + Math.floor(random() * 6)}, () => pick(WORDS)).join(' ')}`,
  ]
  const weights = [5, 4, 3, 2, 2, 1, 1, 2]
  const table = weights.flatMap((weight, index) => Array(weight).fill(kinds[index]))
  return Array.from({length: POOL_LINES}, () => pick(table)())
}

function fileText(random, pool, bytes) {
  const lines = []
  let size = 0
  while (size < bytes) {
    const line = pool[Math.floor(random() * pool.length)]
    lines.push(line)
    size += line.length + 1
  }
  return lines.join('\n') + '\n'
}

function pem(der, label) {
  const body = der
    .toString('base64')
    .match(/.{1,64}/g)
    .join('\n')
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`
}

/** The planted forms: path inside the tree → text. Each holds needles of the key. */
function plantedFiles(privateKey, publicKey, report) {
  const jwk = privateKey.export({format: 'jwk'})
  const publicJwk = publicKey.export({format: 'jwk'})
  const spki = publicKey.export({type: 'spki', format: 'der'})
  return {
    'd003/s01/jwks.json': JSON.stringify({keys: [{...publicJwk, kid: report.kid, use: 'sig', alg: 'RS256'}]}, null, 2) + '\n',
    'd011/s04/leaked-key.json': JSON.stringify({...jwk, kid: report.kid}) + '\n',
    'd027/s07/public.pem': pem(spki, 'PUBLIC KEY'),
    'd041/s02/private.pem': pem(privateKey.export({type: 'pkcs8', format: 'der'}), 'PRIVATE KEY'),
    'd058/s09/.env': `SIGNING_PUBLIC_KEY=${spki.toString('base64')}\nLOG_LEVEL=info\n`,
    'd063/s05/app.yaml': `auth:\n  issuer: https://auth.example.com\n  kid: ${report.kid}\n`,
    'd077/s03/audit.log': `2024-05-01T10:00:00Z key urn:ietf:params:oauth:jwk-thumbprint:sha-256:${report.thumbprint} rotated\n`,
    'd089/s06/keys.js': `export const MODULUS = '${Buffer.from(publicJwk.n, 'base64url').toString('base64')}'\n`,
  }
}

/**
 * Near misses, found by neither tool: every needle with every 8th character changed, so that no
 * shorter needle survives inside a longer one's decoy.
 */
function decoyText(needles) {
  const off = (c) => (c === 'A' ? 'B' : 'A')
  return needles.map((needle) => [...needle].map((c, i) => (i % 8 === 7 ? off(c) : c)).join('')).join('\n') + '\n'
}

/**
 * @returns {{tree: string, key: string, needles: string, planted: string[]}} paths of the tree, the
 *   leaked key (JWK, mode 0600), the needles file, and the planted files relative to the tree.
 */
export async function makeTree({work, files, dist}) {
  const tree = join(work, `tree-${files}`)
  const manifestPath = join(work, `tree-${files}.json`)
  const keyPath = join(work, 'leaked-key.json')
  const needlesPath = join(work, 'needles.txt')
  if (existsSync(manifestPath) && existsSync(keyPath) && existsSync(needlesPath)) {
    return {tree, key: keyPath, needles: needlesPath, planted: JSON.parse(readFileSync(manifestPath, 'utf8')).planted}
  }
  const {loadKeys} = await import(join(dist, 'core/key/load-keys.js'))
  const {keyNeedles} = await import(join(dist, 'core/key/needles.js'))
  const {SecretRegistry} = await import(join(dist, 'core/secrets.js'))

  mkdirSync(work, {recursive: true})
  let privateKey
  let publicKey
  if (existsSync(keyPath)) {
    const {createPrivateKey, createPublicKey} = await import('node:crypto')
    privateKey = createPrivateKey({key: JSON.parse(readFileSync(keyPath, 'utf8')), format: 'jwk'})
    publicKey = createPublicKey(privateKey)
  } else {
    ;({privateKey, publicKey} = generateKeyPairSync('rsa', {modulusLength: 2048}))
    writeFileSync(keyPath, JSON.stringify({...privateKey.export({format: 'jwk'}), kid: 'bench-signing-key-2024'}), {mode: 0o600})
  }
  const [key] = (await loadKeys(readFileSync(keyPath, 'utf8'), {secrets: new SecretRegistry()})).keys
  const needles = keyNeedles(key).map((needle) => needle.value)
  writeFileSync(needlesPath, needles.join('\n') + '\n', {mode: 0o600})

  rmSync(tree, {recursive: true, force: true})
  const random = prng(20240501)
  const pool = linePool(random)
  const directories = Math.ceil(files / FILES_PER_DIRECTORY)
  for (let n = 0; n < files; n++) {
    const directory = Math.floor(n / FILES_PER_DIRECTORY)
    const path = join(
      tree,
      `d${String(Math.floor(directory / 10)).padStart(3, '0')}`,
      `s${String(directory % 10).padStart(2, '0')}`,
    )
    if (n % FILES_PER_DIRECTORY === 0) mkdirSync(path, {recursive: true})
    // Sizes spread from ~1 KB to ~37 KB around the average, most of them small, like a source tree.
    const bytes = Math.floor(AVERAGE_FILE_BYTES * (0.1 + 3.6 * random() * random()))
    writeFileSync(
      join(path, `f${String(n % FILES_PER_DIRECTORY).padStart(2, '0')}.${['js', 'ts', 'json', 'md', 'yaml', 'log'][n % 6]}`),
      fileText(random, pool, bytes),
    )
  }
  const planted = []
  for (const [relative, text] of Object.entries(plantedFiles(privateKey, publicKey, key.report))) {
    const directory = relative.slice(0, relative.lastIndexOf('/'))
    // Keep the planted files inside the tree even when a smaller tree has fewer directories.
    const index = Number(relative.slice(1, 4)) % Math.max(1, Math.floor(directories / 10))
    const path = join(`d${String(index).padStart(3, '0')}`, directory.slice(5), relative.slice(relative.lastIndexOf('/') + 1))
    mkdirSync(join(tree, path, '..'), {recursive: true})
    writeFileSync(join(tree, path), fileText(random, pool, 4096) + text + fileText(random, pool, 4096))
    planted.push(path)
  }
  writeFileSync(join(tree, 'd000', 's00', 'decoys.txt'), decoyText(needles))
  writeFileSync(
    join(tree, 'd000', 's00', 'blob.bin'),
    Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0]), Buffer.from(needles.join('\n'))]),
  )
  writeFileSync(manifestPath, JSON.stringify({files, planted}, null, 2))
  return {tree, key: keyPath, needles: needlesPath, planted}
}
