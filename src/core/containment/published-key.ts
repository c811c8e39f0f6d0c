// The leaked key as its issuers publish it: the JWKS URL, kid, alg and use of every place it was
// served. An attacker's token carries that kid and alg, so every canary must too (a verifier that
// picks keys by kid refuses a kid-less canary for that reason alone, and would look contained).
import type {JwksEvidence} from './verdict.js'

export interface PublishedKey {
  /** The inventory id of the issuer that serves it. */
  issuer: string
  /** The JWKS URL it was served at. */
  url: string
  kid: string | null
  alg: string | null
  use: string | null
}

/** The (kid, alg) pairs a token of this issuer signed with the leaked key may carry, one per published kid. */
export interface PublishedIdentity {
  kid: string | null
  alg: string | null
}

/**
 * Every place a JWKS check saw the key served, as PublishedKey entries.
 *
 * @example publishedFrom(evidence) // → [{issuer: 'auth-main', url, kid: 'k1', alg: 'RS256', use: 'sig'}]
 */
export function publishedFrom(evidence: readonly JwksEvidence[]): PublishedKey[] {
  return evidence.flatMap((item) =>
    item.servesLeakedKey === true
      ? item.owners
          .filter((owner) => owner.type === 'issuer')
          .map((owner) => ({issuer: owner.id, url: item.url, kid: item.kid, alg: item.alg, use: item.use}))
      : [],
  )
}

/** Adds the entries not known yet (same issuer, URL and kid), keeping the order of first sight. */
export function mergePublished(known: readonly PublishedKey[], seen: readonly PublishedKey[]): PublishedKey[] {
  const merged = [...known]
  for (const entry of seen) {
    if (!merged.some((k) => k.issuer === entry.issuer && k.url === entry.url && k.kid === entry.kid)) merged.push(entry)
  }
  return merged
}

/** The identities under which one issuer publishes the key, each kid once. */
export function identitiesFor(published: readonly PublishedKey[], issuer: string): PublishedIdentity[] {
  const out: PublishedIdentity[] = []
  for (const entry of published) {
    if (entry.issuer !== issuer || out.some((known) => known.kid === entry.kid)) continue
    out.push({kid: entry.kid, alg: entry.alg})
  }
  return out
}
