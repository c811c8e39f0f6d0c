// The guard's in-memory view of the denylist: denied thumbprints, and denied (kid, iss) pairs.
import {entryIdentity, type DenylistEntry} from '../core/containment/denylist.js'
import type {DenylistMatch} from './denylisted-key-error.js'

export class DenylistIndex {
  #byThumbprint = new Map<string, DenylistEntry | undefined>()
  #byKidIss = new Map<string, DenylistEntry>()
  /** Every entry, one per key and issuer (#byThumbprint keeps only the first of a key's entries). */
  #entries = new Map<string, DenylistEntry>()

  /** Replaces everything: the entries, plus thumbprints denied without a readable entry. */
  replace(entries: readonly DenylistEntry[], bareThumbprints: readonly string[] = []): void {
    this.#byThumbprint = new Map(bareThumbprints.map((thumbprint) => [thumbprint, undefined]))
    this.#byKidIss = new Map()
    this.#entries = new Map()
    for (const entry of entries) this.add(entry)
  }

  add(entry: DenylistEntry): void {
    this.#entries.set(entryIdentity(entry), entry)
    if (!this.#byThumbprint.get(entry.thumbprint)) this.#byThumbprint.set(entry.thumbprint, entry)
    if (entry.kid !== undefined && entry.iss !== undefined) this.#byKidIss.set(pairKey(entry.kid, entry.iss), entry)
  }

  byThumbprint(thumbprint: string): DenylistMatch | undefined {
    if (!this.#byThumbprint.has(thumbprint)) return undefined
    return {by: 'thumbprint', thumbprint, entry: this.#byThumbprint.get(thumbprint)}
  }

  byKidIss(kid: string | undefined, iss: string | undefined): DenylistMatch | undefined {
    if (kid === undefined || iss === undefined) return undefined
    const entry = this.#byKidIss.get(pairKey(kid, iss))
    return entry && {by: 'kid+iss', thumbprint: entry.thumbprint, entry}
  }

  /** What is denied: every entry, and the thumbprints denied without one. */
  contents(): {entries: DenylistEntry[]; bareThumbprints: string[]} {
    const bareThumbprints = [...this.#byThumbprint].filter(([, entry]) => entry === undefined).map(([thumbprint]) => thumbprint)
    return {entries: [...this.#entries.values()], bareThumbprints}
  }

  /** How many keys are denied. */
  get size(): number {
    return this.#byThumbprint.size
  }
}

function pairKey(kid: string, iss: string): string {
  return JSON.stringify([kid, iss])
}
