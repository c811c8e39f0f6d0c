// The secret registry: every private or secret value jwkr sees is registered here once, and every
// output path (stdout, stderr, journal, artifacts, request bodies, errors) is passed through
// `redact`. A leaked key must not leak again through the tool that handles it.

/** Names of JWK members that carry private or secret material (RFC 7518 §6, RFC 8037 §2). */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const

export const REDACTED = '[REDACTED]'

/** Values shorter than this are not worth hiding (and would mangle unrelated text). */
const MIN_SECRET_LENGTH = 4

/** `"d": "value"` for every private member name, and the prime members `r`, `t` of `oth`. */
const LOOSE_PRIVATE_MEMBER = new RegExp(`"(${[...PRIVATE_JWK_MEMBERS, 'r', 't'].join('|')})"\\s*:\\s*"([^"]*)"`, 'g')

/**
 * A long run of base64 or base64url characters with both cases and no folder, or a long run of hex:
 * a pasted secret (an HMAC `k`, a `d`), not a path, a word or a name. A JWT has dots, a path has a
 * slash or an extension, and names (playbooks, incident ids) are lower case.
 */
const BASE64_RUN = /^[A-Za-z0-9+_=-]{20,}$/
const HEX_RUN = /^[0-9a-fA-F]{32,}$/

/** Whether a command-line argument looks like a bare secret value (see BASE64_RUN and HEX_RUN). */
export function looksLikeKeyMaterial(text: string): boolean {
  return HEX_RUN.test(text) || (BASE64_RUN.test(text) && /[A-Z]/.test(text) && /[a-z]/.test(text))
}

/** The body of a PEM block whose label says PRIVATE KEY, up to its END line or the end of the text. */
const PEM_PRIVATE_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----([\s\S]*?)(?:-----END |$)/g

export interface SecretRegistryOptions {
  /** The clock values registered with an end are forgotten by (epoch ms; default `Date.now`). */
  now?: () => number
}

export interface AddSecretOptions {
  /**
   * When the value stops being a secret (epoch ms or a Date): a short-lived credential such as a canary,
   * which is worthless once it expires. It is redacted until then and forgotten after, so a run that
   * makes one per check holds only the live ones. Without it, a value is kept for the registry's life.
   */
  until?: number | Date
}

export class SecretRegistry {
  /** Each value (in each of its forms) → when it may be forgotten (epoch ms; Infinity: never). */
  readonly #values = new Map<string, number>()
  /**
   * The values by their last three UTF-16 units (every value has at least four), updated as each one
   * is added and never rebuilt: a long `--until-contained` run adds a canary per probe, and a structure
   * rebuilt from all the values after each one made every check quadratic in the canaries sent.
   */
  readonly #byTail = new Map<number, string[]>()
  /**
   * The values that end, in the order they were added with their end. Short-lived values all live about
   * as long, so this is close to sorted by end: the front is forgotten as it expires. One that ends
   * sooner than a value before it waits for that one (kept longer, never less).
   */
  readonly #ending: Array<{form: string; at: number} | undefined> = []
  #endingFrom = 0
  readonly #now: () => number
  #indexed = 0

  constructor(options: SecretRegistryOptions = {}) {
    this.#now = options.now ?? Date.now
  }

  /** Registers a secret string and its other common encodings (base64url ↔ base64, hex). */
  add(value: string | undefined | null, options: AddSecretOptions = {}): void {
    if (typeof value !== 'string') return
    this.#forgetEnded()
    const end = Number(options.until)
    // No end, or one that is not a time: kept for good (a wrong date must not unhide a secret).
    const until = options.until === undefined || Number.isNaN(end) ? Number.POSITIVE_INFINITY : end
    // Already over: nothing to hide any more.
    if (until <= this.#now()) return
    for (const form of encodingsOf(value)) {
      if (form.length < MIN_SECRET_LENGTH) continue
      const known = this.#values.get(form)
      if (known !== undefined && known >= until) continue
      this.#values.set(form, until)
      if (until !== Number.POSITIVE_INFINITY) this.#ending.push({form, at: until})
      if (known !== undefined) continue
      const tail = tailKey(form, form.length - 1)
      const bucket = this.#byTail.get(tail)
      if (bucket) bucket.push(form)
      else this.#byTail.set(tail, [form])
      this.#indexed++
    }
  }

  /** Registers every private member value of a JWK-like object, whatever its shape or validity. */
  addJwk(jwk: unknown): void {
    if (jwk === null || typeof jwk !== 'object') return
    const record = jwk as Record<string, unknown>
    for (const name of PRIVATE_JWK_MEMBERS) {
      const value = record[name]
      if (name === 'oth' && Array.isArray(value)) {
        for (const prime of value) {
          if (prime && typeof prime === 'object') {
            for (const member of Object.values(prime as Record<string, unknown>)) {
              if (typeof member === 'string') this.add(member)
            }
          }
        }
      } else if (typeof value === 'string') {
        this.add(value)
      }
    }
  }

  /**
   * Registers what looks like private material in text that could not be parsed: the values of
   * private JWK members written as `"d": "…"` (also inside broken JSON), and the base64 lines of
   * PEM private key blocks. Used before reporting an input that failed to parse, and on the raw
   * command line, so an error about a half-copied key cannot echo it.
   */
  addFromText(text: string): void {
    for (const match of text.matchAll(LOOSE_PRIVATE_MEMBER)) this.add(match[2])
    for (const block of text.matchAll(PEM_PRIVATE_BLOCK)) {
      for (const line of (block[1] ?? '').split(/\s+/)) {
        if (!line.includes(':')) this.add(line)
      }
    }
  }

  /**
   * Registers what looks private on a command line: keys pasted inline (JSON, PEM) and bare values
   * that look like key material (a `d` or an HMAC secret given as an extra argument). A usage error
   * quotes the argument it refused, and such an argument was never parsed as a key.
   */
  addCommandLine(argv: readonly string[]): void {
    for (const arg of argv) {
      this.addFromText(arg)
      // The value alone, and the value of a flag written with it: `--key=VALUE`, `-kVALUE`.
      const attached = /^--[^=\s]+=(.*)$/s.exec(arg)?.[1] ?? /^-[A-Za-z](.+)$/s.exec(arg)?.[1]
      for (const value of [arg, attached]) if (value !== undefined && looksLikeKeyMaterial(value)) this.add(value)
    }
  }

  /** How many values (counting each form) are held now; values whose end has passed are not. */
  get size(): number {
    this.#forgetEnded()
    return this.#values.size
  }

  /**
   * How many times a value was put into the matching index since the registry was made: once per
   * value, however many redactions come between the additions (what the tests hold it to).
   */
  get indexed(): number {
    return this.#indexed
  }

  /** True when the text contains a registered secret. */
  leaks(text: string): boolean {
    return this.#spansIn(text).length > 0
  }

  /**
   * Replaces every registered secret in the text with `[REDACTED]`.
   *
   * Matching is by exact substring, never by a pattern built from the secrets: such a pattern grows
   * with them (an `oct` key of a few tens of KB made it too large to compile) and its error message
   * would quote them. Where occurrences overlap, the union of their spans is replaced once.
   */
  redact(text: string): string {
    const spans = this.#spansIn(text)
    if (spans.length === 0) return text
    let out = ''
    let from = 0
    for (const [start, end] of spans) {
      out += text.slice(from, start) + REDACTED
      from = end
    }
    return out + text.slice(from)
  }

  /** Redacts every string (and key) inside a JSON-compatible value; returns a plain JSON copy. */
  redactValue<T>(value: T): T {
    if (this.#values.size === 0) return value
    // Redact the parsed strings, not the serialised text: in JSON a secret holding `"` or `\` is
    // escaped and would slip past a text match (or be cut in half, breaking the document).
    const walk = (item: unknown): unknown => {
      if (typeof item === 'string') return this.redact(item)
      if (Array.isArray(item)) return item.map(walk)
      if (item && typeof item === 'object') {
        return Object.fromEntries(Object.entries(item).map(([key, child]) => [this.redact(key), walk(child)]))
      }
      return item
    }
    return walk(JSON.parse(JSON.stringify(value) ?? 'null')) as T
  }

  /** Every occurrence of every secret in the text, as sorted, merged `[start, end)` spans. */
  #spansIn(text: string): Array<[number, number]> {
    this.#forgetEnded()
    const found = this.#values.size <= FEW_SECRETS ? this.#searchEach(text) : this.#scanByTail(text)
    if (found.length <= 1) return found
    found.sort((a, b) => a[0] - b[0] || b[1] - a[1])
    const merged: Array<[number, number]> = [found[0] as [number, number]]
    for (const span of found.slice(1)) {
      const last = merged[merged.length - 1] as [number, number]
      if (span[0] <= last[1]) last[1] = Math.max(last[1], span[1])
      else merged.push(span)
    }
    return merged
  }

  /** A few secrets: one native `indexOf` search per value is the cheapest on any text. */
  #searchEach(text: string): Array<[number, number]> {
    const found: Array<[number, number]> = []
    for (const value of this.#values.keys()) {
      if (value.length > text.length) continue
      for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) {
        found.push([at, at + value.length])
      }
    }
    return found
  }

  /** Many secrets: one pass over the text, checking only the values that end with the three units at hand. */
  #scanByTail(text: string): Array<[number, number]> {
    const found: Array<[number, number]> = []
    for (let end = 2; end < text.length; end++) {
      const bucket = this.#byTail.get(tailKey(text, end))
      if (bucket === undefined) continue
      for (const value of bucket) {
        const start = end + 1 - value.length
        if (start >= 0 && text.startsWith(value, start)) found.push([start, end + 1])
      }
    }
    return found
  }

  /** Forgets the values whose end has passed (unless added again for longer, or for good). */
  #forgetEnded(): void {
    const now = this.#now()
    while (this.#endingFrom < this.#ending.length) {
      const {form, at} = this.#ending[this.#endingFrom] as {form: string; at: number}
      if (at > now) break
      // Let go of the value now: the slot itself is dropped later, with the rest of the front.
      this.#ending[this.#endingFrom++] = undefined
      if (this.#values.get(form) !== at) continue
      this.#values.delete(form)
      const tail = tailKey(form, form.length - 1)
      const bucket = (this.#byTail.get(tail) ?? []).filter((held) => held !== form)
      if (bucket.length > 0) this.#byTail.set(tail, bucket)
      else this.#byTail.delete(tail)
    }
    // Drop the forgotten front now and then, not at every value (a shift per value is quadratic).
    if (this.#endingFrom > 1024 && this.#endingFrom * 2 > this.#ending.length) {
      this.#ending.splice(0, this.#endingFrom)
      this.#endingFrom = 0
    }
  }
}

/** Up to this many values, redaction searches for each; beyond, it scans the text once. */
const FEW_SECRETS = 32

/** The three UTF-16 units of `text` ending at index `end`, as one number (48 bits: exact in a double). */
function tailKey(text: string, end: number): number {
  return text.charCodeAt(end - 2) * 2 ** 32 + text.charCodeAt(end - 1) * 2 ** 16 + text.charCodeAt(end)
}

/** The value as given plus the forms it is often re-encoded in: base64 ↔ base64url, hex in both cases. */
function encodingsOf(value: string): string[] {
  let bytes: Buffer | undefined
  const forms = [value]
  if (/^[A-Za-z0-9_-]+$/.test(value)) {
    bytes = Buffer.from(value, 'base64url')
    forms.push(bytes.toString('base64').replace(/=+$/, ''))
  } else if (/^[A-Za-z0-9+/]+=*$/.test(value)) {
    bytes = Buffer.from(value, 'base64')
    forms.push(value.replace(/=+$/, ''), bytes.toString('base64url'))
  }
  if (bytes) {
    const hex = bytes.toString('hex')
    forms.push(hex, hex.toUpperCase())
  }
  return forms
}
