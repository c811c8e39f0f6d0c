// The drill's evidence: a week of traffic as the organisation's services logged it — plain access-log
// lines and JSON lines, carrying the bearer tokens the issuer handed its users (first under the
// previous key, then under the leaked one) — plus a few tokens an attacker forged with the leaked
// key (their jtis are missing from the issuer's issued log) and one whose payload was tampered with.
// Deterministic for a given seed, and small: a few hundred lines, a few dozen signatures.
import {appendFile, mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {base64url, importJWK, SignJWT, type CryptoKey, type JWK} from 'jose'

import type {DrillUser} from './issuer-server.js'

export interface LogSigningKey {
  /** The private JWK, with its alg. */
  privateJwk: JWK
  kid: string
}

export interface MakeLogsOptions {
  /** The logs folder: `<service>/access.log` and `gateway/requests.jsonl` go in it. */
  dir: string
  /** The issuer's log of issued jtis (JSON lines), appended to. */
  issuedLog: string
  issuer: string
  /** Service ids: the audiences, and the folders of their access logs. */
  services: string[]
  users: DrillUser[]
  /** The key the issuer signed with until `days / 2` days ago. */
  previous: LogSigningKey
  /** The key it signs with since, which leaked. */
  leaked: LogSigningKey
  now: Date
  /** How far back the traffic goes (default 7). */
  days?: number
  /** Forged tokens (default 3). */
  forgeries?: number
  /** Same seed, same logs (default 1). */
  seed?: number
}

export interface MadeLogs {
  /** Every log file written. */
  files: string[]
  /** Log folder of each service that got traffic (service id → folder). */
  serviceDirs: Record<string, string>
  issuedLog: string
  lines: number
  /** Distinct tokens in the logs, by kind. */
  tokens: {issuedWithPrevious: number; issuedWithLeaked: number; forged: number; tampered: number}
  /** The jtis of the forged tokens (missing from the issued log). */
  forgedJtis: string[]
}

const TOKEN_LIFETIME_SECONDS = 3600
const FORGED_LIFETIME_SECONDS = 86_400
const PATHS = ['/api/me', '/api/orders', '/api/invoices?page=2', '/api/profile', '/api/search?q=shoes', '/api/reports/weekly']
const AGENTS = ['Mozilla/5.0 (Macintosh)', 'okhttp/4.12.0', 'python-requests/2.32', 'curl/8.5.0']
const ATTACKER_SUBJECTS = ['admin', 'svc-deploy', 'root-ops', 'billing-admin']

interface Line {
  at: number
  service: string
  method: string
  path: string
  status: number
  sub: string | null
  token: string | null
}

/**
 * @example const logs = await makeLogs({dir: join(world, 'logs'), issuedLog, issuer, services, users, previous, leaked, now})
 */
export async function makeLogs(options: MakeLogsOptions): Promise<MadeLogs> {
  const random = mulberry32(options.seed ?? 1)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
  const jtiOf = () => Array.from({length: 16}, () => Math.floor(random() * 16).toString(16)).join('')
  const days = options.days ?? 7
  const end = Math.floor(options.now.getTime() / 1000)
  const start = end - days * 86_400
  const switchedAt = end - Math.floor((days / 2) * 86_400)
  const previousKey = await importJWK(options.previous.privateJwk, options.previous.privateJwk.alg ?? 'RS256')
  const leakedKey = await importJWK(options.leaked.privateJwk, options.leaked.privateJwk.alg ?? 'RS256')

  const sign = async (
    signer: LogSigningKey,
    key: CryptoKey | Uint8Array,
    claims: {sub: string; jti: string; iat: number; exp: number},
  ) =>
    new SignJWT({})
      .setProtectedHeader({alg: signer.privateJwk.alg ?? 'RS256', typ: 'JWT', kid: signer.kid})
      .setIssuer(options.issuer)
      .setSubject(claims.sub)
      .setAudience(options.services)
      .setJti(claims.jti)
      .setIssuedAt(claims.iat)
      .setExpirationTime(claims.exp)
      .sign(key)

  const lines: Line[] = []
  const issued: string[] = []
  const use = (token: string, sub: string, from: number, count: number, spreadSeconds: number) => {
    for (let i = 0; i < count; i++) {
      const path = pick(PATHS)
      lines.push({
        at: from + Math.floor(random() * spreadSeconds),
        service: pick(options.services),
        method: 'GET',
        path,
        status: 200,
        sub,
        token,
      })
    }
  }

  // The users' sessions: about one login a day each, the last ones still valid now.
  const counts = {issuedWithPrevious: 0, issuedWithLeaked: 0, forged: 0, tampered: 0}
  const sessions: Array<{iat: number; sub: string}> = []
  for (let day = 0; day < days; day++) {
    for (const user of options.users) {
      if (random() < 0.55) sessions.push({iat: start + day * 86_400 + Math.floor(random() * 80_000), sub: user.sub})
    }
  }
  for (const user of options.users.slice(0, 2)) sessions.push({iat: end - 600 - Math.floor(random() * 600), sub: user.sub})
  let legitimateLeaked: string | undefined
  for (const session of sessions.sort((a, b) => a.iat - b.iat)) {
    const withLeaked = session.iat >= switchedAt
    const jti = jtiOf()
    const exp = session.iat + TOKEN_LIFETIME_SECONDS
    const token = withLeaked
      ? await sign(options.leaked, leakedKey, {sub: session.sub, jti, iat: session.iat, exp})
      : await sign(options.previous, previousKey, {sub: session.sub, jti, iat: session.iat, exp})
    if (withLeaked) {
      counts.issuedWithLeaked++
      legitimateLeaked = token
    } else counts.issuedWithPrevious++
    issued.push(
      JSON.stringify({jti, sub: session.sub, iat: session.iat, exp, kid: withLeaked ? options.leaked.kid : options.previous.kid}),
    )
    use(token, session.sub, session.iat, 2 + Math.floor(random() * 4), Math.min(TOKEN_LIFETIME_SECONDS, end - session.iat))
  }

  // The attacker: long-lived tokens for powerful subjects, minted in the last day and a half.
  const forgedJtis: string[] = []
  for (let i = 0; i < (options.forgeries ?? 3); i++) {
    const iat = end - 129_600 + Math.floor(random() * 120_000)
    const jti = jtiOf()
    const sub = ATTACKER_SUBJECTS[i % ATTACKER_SUBJECTS.length] as string
    const token = await sign(options.leaked, leakedKey, {sub, jti, iat, exp: iat + FORGED_LIFETIME_SECONDS})
    forgedJtis.push(jti)
    counts.forged++
    use(token, sub, iat, 3 + Math.floor(random() * 3), Math.min(7200, end - iat))
  }

  // Someone edited a real token's payload and kept its signature: it names the key, and fails.
  if (legitimateLeaked !== undefined) {
    const [header = '', , signature = ''] = legitimateLeaked.split('.')
    const payload = base64url.encode(
      JSON.stringify({iss: options.issuer, sub: 'admin', aud: options.services, iat: end - 3600, exp: end + 3600}),
    )
    const at = end - 1800
    lines.push({
      at,
      service: pick(options.services),
      method: 'POST',
      path: '/api/admin/users',
      status: 401,
      sub: null,
      token: `${header}.${payload}.${signature}`,
    })
    counts.tampered++
  }

  // Health checks and anonymous traffic: lines without tokens.
  for (let i = 0; i < Math.max(20, Math.floor(lines.length / 4)); i++) {
    lines.push({
      at: start + Math.floor(random() * (end - start)),
      service: pick(options.services),
      method: 'GET',
      path: '/healthz',
      status: 200,
      sub: null,
      token: null,
    })
  }

  return writeLogs(options, lines, issued, counts, forgedJtis, pick)
}

async function writeLogs(
  options: MakeLogsOptions,
  lines: Line[],
  issued: string[],
  counts: MadeLogs['tokens'],
  forgedJtis: string[],
  pick: <T>(items: readonly T[]) => T,
): Promise<MadeLogs> {
  lines.sort((a, b) => a.at - b.at)
  const byService = new Map<string, string[]>()
  const gateway: string[] = []
  for (const [index, line] of lines.entries()) {
    // Every other line reaches the gateway's JSON log; the rest only the service's access log.
    if (index % 2 === 0) {
      gateway.push(
        JSON.stringify({
          ts: new Date(line.at * 1000).toISOString(),
          level: line.status >= 400 ? 'warn' : 'info',
          service: line.service,
          method: line.method,
          path: line.path,
          status: line.status,
          ...(line.sub === null ? {} : {sub: line.sub}),
          ...(line.token === null ? {} : {authorization: `Bearer ${line.token}`}),
        }),
      )
    } else {
      const entries = byService.get(line.service) ?? []
      entries.push(accessLine(line, pick(AGENTS), index))
      byService.set(line.service, entries)
    }
  }
  const files: string[] = []
  const serviceDirs: Record<string, string> = {}
  const write = async (folder: string, name: string, content: string[]) => {
    const dir = join(options.dir, folder)
    await mkdir(dir, {recursive: true, mode: 0o700})
    const file = join(dir, name)
    await appendFile(file, `${content.join('\n')}\n`, {mode: 0o600})
    files.push(file)
    return dir
  }
  for (const [service, entries] of byService) serviceDirs[service] = await write(service, 'access.log', entries)
  await write('gateway', 'requests.jsonl', gateway)
  await appendFile(options.issuedLog, `${issued.join('\n')}\n`, {mode: 0o600})
  return {files, serviceDirs, issuedLog: options.issuedLog, lines: lines.length, tokens: counts, forgedJtis}
}

/** Combined log format, the token in a trailing field (or, now and then, in the query string). */
function accessLine(line: Line, agent: string, index: number): string {
  const when = new Date(line.at * 1000)
  const stamp = `${String(when.getUTCDate()).padStart(2, '0')}/${MONTHS[when.getUTCMonth()]}/${when.getUTCFullYear()}:${when.toISOString().slice(11, 19)} +0000`
  const inQuery = line.token !== null && index % 5 === 0
  const path = inQuery ? `${line.path}${line.path.includes('?') ? '&' : '?'}access_token=${line.token}` : line.path
  const auth = line.token !== null && !inQuery ? ` auth="Bearer ${line.token}"` : ''
  return `10.0.${index % 7}.${(index * 37) % 250} - ${line.sub ?? '-'} [${stamp}] "${line.method} ${path} HTTP/1.1" ${line.status} ${200 + ((index * 97) % 4000)} "-" "${agent}"${auth}`
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** A small seeded generator: the same seed gives the same world. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
