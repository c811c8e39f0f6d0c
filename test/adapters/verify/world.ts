// A small live world for containment tests: an issuer serving its JWKS (the leaked key beside a
// current one) on a real local server, relying parties verifying with jose at their own cache
// lifetimes, the leaked key in files (private and public), and the inventory that names them all.
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DenylistGuard} from '../../../src/guard/create-denylist-guard.js'
import {makeTestKey, startJwksServer, type JwksServer, type TestKey} from '../../helpers/jwks-server.js'
import {startRelyingParty, type RelyingParty} from '../../helpers/relying-party.js'

export const ISSUER = 'https://auth.example.com'
/** A second issuer (`otherIssuer`), publishing the leaked key too, at its own JWKS. */
export const OTHER_ISSUER = 'https://other.example.com'
export const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const

export interface ServiceSpec {
  id: string
  /** What the inventory says (jwksCacheSeconds); the relying party caches this long too, unless forever. */
  cacheSeconds?: number
  /** The relying party keeps its first key set forever (and the inventory does not know). */
  forever?: boolean
  guard?: DenylistGuard
  /** Listed without a probe. */
  noProbe?: boolean
  /** The inventory's verifier profile (the relying party itself is always jose). */
  verifier?: string
  /** The probe URL, instead of a relying party (e.g. a closed port, a server that fails). */
  probeUrl?: string
  /** The issuer it trusts (default auth-main); auth-other exists with `otherIssuer`. */
  trusts?: 'auth-main' | 'auth-other'
}

export interface World {
  dir: string
  issuer: JwksServer
  leaked: TestKey
  current: TestKey
  /** The leaked private JWK (with its kid). */
  keyFile: string
  /** The leaked key's public half only. */
  publicKeyFile: string
  inventoryFile: string
  relyingParties: Map<string, RelyingParty>
  rp(id: string): RelyingParty
  /** Takes the leaked key out of auth-main's JWKS (auth-other keeps it); returns the time (epoch ms) just before. */
  removeKey(): number
  /** Every private value of the leaked key, for the secrecy assertions. */
  needles(): string[]
  close(): Promise<void>
}

export async function startWorld(
  services: ServiceSpec[],
  options: {keyType?: 'ec' | 'rsa'; otherIssuer?: boolean} = {},
): Promise<World> {
  const issuer = await startJwksServer()
  const leaked = await makeTestKey('prod-1', options.keyType ?? 'ec')
  const current = await makeTestKey('prod-2')
  issuer.serve('/jwks', {keys: [current.publicJwk, leaked.publicJwk]})
  issuer.serve('/other-jwks', {keys: [leaked.publicJwk]})
  const jwksUri = issuer.url('/jwks')
  const relyingParties = new Map<string, RelyingParty>()
  for (const spec of services) {
    if (spec.probeUrl !== undefined || spec.noProbe) continue
    const other = spec.trusts === 'auth-other'
    const rp = await startRelyingParty({
      jwksUri: other ? issuer.url('/other-jwks') : jwksUri,
      issuer: other ? OTHER_ISSUER : ISSUER,
      audience: spec.id,
      cacheMaxAgeMs: (spec.cacheSeconds ?? 600) * 1000,
      neverRefresh: spec.forever,
      guard: spec.guard,
    })
    relyingParties.set(spec.id, rp)
  }
  const dir = await mkdtemp(join(tmpdir(), 'jwkr-verify-'))
  const keyFile = join(dir, 'leaked.json')
  const publicKeyFile = join(dir, 'leaked.pub.json')
  const inventoryFile = join(dir, 'jwkr.inventory.yaml')
  await writeFile(keyFile, JSON.stringify(leaked.privateJwk))
  await writeFile(publicKeyFile, JSON.stringify(leaked.publicJwk))
  const serviceLines = services.map((spec) => {
    const url = spec.probeUrl ?? relyingParties.get(spec.id)?.url
    return [
      `  - id: ${spec.id}`,
      `    team: team-${spec.id}`,
      `    contacts: {slack: "#${spec.id}-oncall"}`,
      `    trusts: [${spec.trusts ?? 'auth-main'}]`,
      ...(url === undefined ? [] : [`    probe: {url: "${url}", method: GET}`]),
      ...(spec.cacheSeconds === undefined ? [] : [`    jwksCacheSeconds: ${spec.cacheSeconds}`]),
      ...(spec.verifier === undefined ? [] : [`    verifier: ${spec.verifier}`]),
    ].join('\n')
  })
  await writeFile(
    inventoryFile,
    [
      'version: 1',
      'issuers:',
      '  - id: auth-main',
      `    issuer: ${ISSUER}`,
      `    jwksUri: ${jwksUri}`,
      '    keySource: {type: manual}',
      ...(options.otherIssuer
        ? [
            '  - id: auth-other',
            `    issuer: ${OTHER_ISSUER}`,
            `    jwksUri: ${issuer.url('/other-jwks')}`,
            '    keySource: {type: manual}',
          ]
        : []),
      'services:',
      ...serviceLines,
      '',
    ].join('\n'),
  )
  return {
    dir,
    issuer,
    leaked,
    current,
    keyFile,
    publicKeyFile,
    inventoryFile,
    relyingParties,
    rp: (id) => {
      const rp = relyingParties.get(id)
      if (!rp) throw new Error(`no relying party ${id}`)
      return rp
    },
    removeKey: () => {
      const at = Date.now()
      issuer.serve('/jwks', {keys: [current.publicJwk]})
      return at
    },
    needles: () =>
      PRIVATE_MEMBERS.flatMap((member) => {
        const value = (leaked.privateJwk as Record<string, unknown>)[member]
        return typeof value === 'string' ? [value] : []
      }),
    close: async () => {
      for (const rp of relyingParties.values()) await rp.close()
      await issuer.close()
      await rm(dir, {recursive: true, force: true})
    },
  }
}

/** Every bearer token the world's relying parties received: the canaries, which must never show in output. */
export function tokensSeen(world: World): string[] {
  return [...world.relyingParties.values()]
    .flatMap((rp) => rp.requests.map((request) => request.token))
    .filter((token) => token !== '')
}
