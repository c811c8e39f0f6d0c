// What a canary for one service looks like when the inventory does not say it all: the shape of the
// issuer's real tokens that triage saw in the logs (typ, alg, aud, scopes, whether they carry a kid),
// then the issuer's discovery metadata (the algorithms it signs with), then plain defaults. The
// inventory's probe.token always wins; `shapedBy` says where each other part came from.
import type {InventoryIssuer, InventoryService, ProbeTokenShape} from '../inventory/types.js'
import type {ObservedShape} from '../tokens/token-shape.js'
import type {CanaryClaims} from './canary.js'

/** What the run learned about real tokens and issuers, beside the inventory. */
export interface CanaryDefaults {
  /** Shapes of real tokens seen by token triage (tokens.scan), most frequent first. */
  shapes?: readonly ObservedShape[]
  /** Issuer id → the JWS algorithms its discovery document says it signs with. */
  issuerAlgs?: Readonly<Record<string, readonly string[]>>
}

export interface CanaryShape {
  /** The claims of every canary for this service and issuer, but the kid. */
  claims: Omit<CanaryClaims, 'kid'>
  /** The issuer's own tokens carry no kid: a kid-less canary is sent too. */
  kidless: boolean
  /** Where the parts not in the inventory came from, in words ("typ at+jwt from 12 tokens in the logs"). */
  shapedBy: string[]
}

/**
 * The canary shape for a service and an issuer it trusts. `publishedAlg` is the alg the key is published
 * under (its JWK's), which beats the discovery metadata.
 *
 * @example canaryShape(service, issuer, null, {shapes}) // → {claims: {issuer, audience: 'https://api', typ: 'at+jwt'}, kidless: false, shapedBy: [...]}
 */
export function canaryShape(
  service: InventoryService,
  issuer: InventoryIssuer,
  publishedAlg: string | null,
  defaults: CanaryDefaults = {},
): CanaryShape {
  const given: ProbeTokenShape = service.probe?.token ?? {}
  const seen = matchingShape(service, issuer, given, defaults.shapes ?? [])
  const shapedBy: string[] = []
  const pick = <T>(name: string, inventory: T | undefined, observed: T | null | undefined): T | undefined => {
    if (inventory !== undefined) return inventory
    if (observed === null || observed === undefined || seen === null) return undefined
    shapedBy.push(`${name} from ${seen.tokens} token${seen.tokens === 1 ? '' : 's'} of the issuer seen in the logs`)
    return observed
  }
  const audience = withService(pick('aud', given.aud, seen?.aud), given, service, shapedBy) ?? service.id
  const typ = pick('typ', given.typ, seen?.typ)
  const scope = pick('scope', given.scope, seen?.scope)
  const scp = pick('scp', given.scp, seen?.scp)
  let alg = given.alg ?? publishedAlg ?? pick('alg', undefined, seen?.alg)
  const discovered = defaults.issuerAlgs?.[issuer.id]?.filter((name) => name !== 'none') ?? []
  if (alg === undefined && discovered.length > 0) {
    alg = discovered[0]
    shapedBy.push(`alg from the issuer's discovery metadata (${discovered.join(', ')})`)
  }
  return {
    claims: {
      issuer: issuer.issuer,
      audience,
      ...(typ === undefined ? {} : {typ}),
      ...(alg === undefined || alg === null ? {} : {alg}),
      ...(scope === undefined ? {} : {scope}),
      ...(scp === undefined ? {} : {scp}),
      ...(given.claims === undefined ? {} : {claims: given.claims}),
    },
    kidless: seen !== null && !seen.kid,
    shapedBy,
  }
}

/**
 * A list of audiences copied from the logs that does not name the service gets the service's id too:
 * the list may be longer than triage keeps (a token's claims are bounded as attacker input), and a
 * canary its service refuses for its audience proves nothing. A single audience is left as the issuer
 * writes it, and what the inventory gives is never changed.
 */
function withService(
  audience: string | string[] | undefined,
  given: ProbeTokenShape,
  service: InventoryService,
  shapedBy: string[],
): string | string[] | undefined {
  if (given.aud !== undefined || !Array.isArray(audience) || audience.includes(service.id)) return audience
  shapedBy.push(`aud: the service's id added to the list the logs show, which does not name it`)
  return [...audience, service.id]
}

/**
 * The most frequent shape of this issuer's tokens that fits the service: one with the audience the
 * inventory gives, else one whose audience names the service, else the issuer's only audience.
 */
function matchingShape(
  service: InventoryService,
  issuer: InventoryIssuer,
  given: ProbeTokenShape,
  shapes: readonly ObservedShape[],
): ObservedShape | null {
  const ofIssuer = shapes.filter((shape) => shape.iss === issuer.issuer)
  const audiences = (shape: ObservedShape): string[] => (shape.aud === null ? [] : [shape.aud].flat())
  if (given.aud !== undefined) {
    const wanted = [given.aud].flat()
    return ofIssuer.find((shape) => audiences(shape).some((aud) => wanted.includes(aud))) ?? null
  }
  const naming = ofIssuer.find((shape) => audiences(shape).includes(service.id))
  if (naming) return naming
  const distinct = new Set(ofIssuer.map((shape) => JSON.stringify(shape.aud)))
  return distinct.size === 1 ? (ofIssuer[0] ?? null) : null
}
