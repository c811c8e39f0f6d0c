// Builds (once, cached under bench/.work/tokens/) the JSON-lines access log that bench/tokens.mjs scans:
// MEGABYTES of request lines, ~2% of them (RATE) carrying a JWT (Authorization header, query string or a
// token field) of RS256, ES256 and EdDSA keys, with tokens planted once each: PLANTED_VALID signed with
// the leaked key (a few of them never issued: forgeries) and PLANTED_FORGED carrying its kid but signed
// with another key. Writes the leaked key, the issued jtis and what a correct scan must count.
import {generateKeyPairSync, sign as signBytes} from 'node:crypto'
import {closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync} from 'node:fs'
import {join} from 'node:path'

const VERSION = 1
const TOKEN_LINE_RATE = 0.02
const POOL_PER_ALG = 200
const PLANTED_VALID = 300
const PLANTED_UNISSUED = 20
const PLANTED_FORGED = 50
const LEAKED_KID = 'leaked-2024-signing'
const BATCH_BYTES = 8 * 1024 * 1024

const PATHS = [
  '/api/v1/orders',
  '/api/v1/users/me',
  '/api/v1/invoices',
  '/healthz',
  '/api/v2/search',
  '/static/app.js',
  '/oauth/token',
]
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'okhttp/4.12.0',
  'curl/8.4.0',
  'python-requests/2.31.0',
  'kube-probe/1.29',
]
const MESSAGES = [
  'request completed',
  'cache miss',
  'upstream slow',
  'retrying after timeout',
  'validation failed for field email',
]

/** A small deterministic PRNG (mulberry32), so every machine builds the same log. */
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

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A compact JWS signed with node:crypto (jose is async and slow for thousands of tokens). */
function jws(header, payload, privateKey) {
  const input = `${b64(header)}.${b64(payload)}`
  const algorithm = header.alg === 'EdDSA' ? null : 'sha256'
  const signature = signBytes(
    algorithm,
    Buffer.from(input),
    header.alg === 'ES256' ? {key: privateKey, dsaEncoding: 'ieee-p1363'} : privateKey,
  )
  return `${input}.${signature.toString('base64url')}`
}

function claims(random, sub, jti) {
  const iat = 1714521600 + Math.floor(random() * 30 * 86400)
  return {iss: 'https://auth.example.com', sub, aud: 'api.example.com', iat, exp: iat + 3600, jti}
}

/**
 * @param {{work: string, megabytes: number, rate?: number}} options rate: the share of lines that carry a JWT (default 0.02)
 * @returns {{log: string, key: string, issued: string, expected: {signed: number, forged: number, bad: number, tokens: number, lines: number}}}
 */
export async function makeTokenLog({work, megabytes, rate = TOKEN_LINE_RATE}) {
  // One folder per shape, so that logs of several sizes and densities stay cached side by side.
  const dir = join(work, 'tokens', rate === TOKEN_LINE_RATE ? `${megabytes}m` : `${megabytes}m-rate-${rate}`)
  const log = join(dir, `access-${megabytes}m.jsonl`)
  const files = {
    log,
    key: join(dir, 'leaked.json'),
    issued: join(dir, `issued-${megabytes}m.txt`),
    expected: join(dir, `expected-${megabytes}m.json`),
  }
  if (existsSync(files.expected)) {
    const expected = JSON.parse(readFileSync(files.expected, 'utf8'))
    if (expected.version === VERSION && existsSync(log)) return {...files, expected}
  }
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  const random = prng(20240501)
  const pick = (list) => list[Math.floor(random() * list.length)]
  const hex = (n) => Array.from({length: n}, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('')

  const leaked = generateKeyPairSync('rsa', {modulusLength: 2048})
  const attacker = generateKeyPairSync('rsa', {modulusLength: 2048})
  writeFileSync(files.key, `${JSON.stringify({...leaked.privateKey.export({format: 'jwk'}), kid: LEAKED_KID, alg: 'RS256'})}\n`, {
    mode: 0o600,
  })

  // Other keys' tokens, reused across lines as a real log repeats bearer tokens.
  const others = [
    ['RS256', generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey, 'web-2024-rs'],
    ['ES256', generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).privateKey, 'mobile-2024-es'],
    ['EdDSA', generateKeyPairSync('ed25519').privateKey, 'svc-2024-ed'],
  ]
  const pool = others.flatMap(([alg, key, kid]) =>
    Array.from({length: POOL_PER_ALG}, (_, i) =>
      jws({alg, typ: 'JWT', kid}, claims(random, `user-${kid}-${i}`, `${kid}-${i}`), key),
    ),
  )
  // The planted tokens, each used once.
  const issued = []
  const planted = []
  for (let i = 0; i < PLANTED_VALID; i++) {
    const jti = `leaked-${i}`
    if (i >= PLANTED_UNISSUED) issued.push(jti)
    planted.push(jws({alg: 'RS256', typ: 'JWT', kid: LEAKED_KID}, claims(random, `customer-${i % 120}`, jti), leaked.privateKey))
  }
  for (let i = 0; i < PLANTED_FORGED; i++) {
    planted.push(
      jws({alg: 'RS256', typ: 'JWT', kid: LEAKED_KID}, claims(random, `admin-${i}`, `forged-${i}`), attacker.privateKey),
    )
  }
  for (let i = planted.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[planted[i], planted[j]] = [planted[j], planted[i]]
  }
  writeFileSync(files.issued, `${issued.join('\n')}\n`)

  const target = megabytes * 1024 * 1024
  // Spread the planted tokens evenly over the expected token lines.
  const expectedTokenLines = Math.floor((target / 330) * rate)
  const stride = Math.max(1, Math.floor(expectedTokenLines / (planted.length + 1)))
  const fd = openSync(log, 'w')
  let written = 0
  let lines = 0
  let tokenLines = 0
  let batch = []
  let batchBytes = 0
  const flush = () => {
    const buffer = Buffer.from(batch.join(''))
    writeSync(fd, buffer)
    written += buffer.length
    batch = []
    batchBytes = 0
  }
  const line = (token) => {
    const ts = new Date(Date.UTC(2024, 4, 1) + Math.floor(random() * 30 * 86400000)).toISOString()
    const path = `${pick(PATHS)}/${Math.floor(random() * 1e6)}`
    const base =
      `{"ts":"${ts}","level":"info","service":"billing-api","msg":"${pick(MESSAGES)}","method":"GET",` +
      `"remoteAddr":"10.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}",` +
      `"userAgent":"${pick(AGENTS)}","requestId":"${hex(8)}-${hex(4)}-${hex(4)}-${hex(12)}","durationMs":${(random() * 200).toFixed(1)}`
    if (token === undefined) return `${base},"path":"${path}","status":200}\n`
    const form = random()
    if (form < 0.5) return `${base},"path":"${path}","status":200,"headers":{"authorization":"Bearer ${token}"}}\n`
    if (form < 0.8) return `${base},"path":"${path}?access_token=${token}&state=${hex(6)}","status":302}\n`
    return `${base},"path":"${path}","status":401,"token":"${token}"}\n`
  }
  let next = 0
  while (written + batchBytes < target) {
    let token
    if (random() < rate) {
      tokenLines++
      token = next < planted.length && tokenLines % stride === 0 ? planted[next++] : pick(pool)
    }
    const text = line(token)
    batch.push(text)
    batchBytes += text.length
    lines++
    if (batchBytes >= BATCH_BYTES) flush()
  }
  // Whatever did not fit goes at the end, so every planted token is in the log exactly once.
  while (next < planted.length) {
    tokenLines++
    batch.push(line(planted[next++]))
    lines++
  }
  flush()
  closeSync(fd)
  const expected = {
    version: VERSION,
    signed: PLANTED_VALID - PLANTED_UNISSUED,
    forged: PLANTED_UNISSUED,
    bad: PLANTED_FORGED,
    tokens: tokenLines,
    lines,
    bytes: written,
  }
  writeFileSync(files.expected, `${JSON.stringify(expected, null, 2)}\n`)
  return {...files, expected}
}
