// Folds the verdicts of a token scan into what the responder decides on: counts per class, when the
// valid tokens were issued, who they were issued to, how long the last of them stays usable, and a
// few examples (signature removed). Claims are counted from tokens with a valid signature only: a
// bad signature's claims are whatever its author wrote. jwkr's own canaries are counted apart and
// nowhere else: not in the classes, the subjects, the claims or the examples.
import {canaryStatus} from './canary-token.js'
import {shapeCounter, type ObservedShape} from './token-shape.js'
import {classifyToken, TOKEN_CLASSES, type TokenClass, type TokenVerdict} from './classify-token.js'

/** Where a token was found, in an order that is the same however the work was split. */
export interface TokenPosition {
  /** Index of the source (file or stdin) in scan order. */
  source: number
  /** Byte offset in the (decompressed) source. */
  offset: number
}

export interface TokenSummaryOptions {
  /** The `jti`s the issuer issued; null when unknown (then nothing is a suspected forgery). */
  issued: ReadonlySet<string> | null
  /** Only tokens issued (iat) in this window are classified; tokens without iat are kept. */
  since: Date | null
  until: Date | null
  maxExamples: number
  /**
   * The jtis of the canaries jwkr sent (the incident journal's probes): a token labelled as a canary
   * whose jti is not among them is triaged like any other. Null: the label alone decides.
   */
  canaryJtis?: ReadonlySet<string> | null
}

export type TokenCounts = Record<TokenClass, number> & {
  /** Tokens that do not point at the leaked key (not decoded, or naming another key). */
  other: number
  /** Tokens that point at the key but were issued outside --since / --until. */
  'outside-window': number
}

export interface TokenExample {
  class: TokenClass
  /** header.payload: the signature is removed, so the example is no longer a credential. */
  token: string
  /** path:line */
  source: string
}

export interface SubjectRow {
  sub: string
  count: number
  /** ISO times of the earliest and latest iat of the subject's tokens ('' when none had one). */
  firstSeen: string
  lastSeen: string
}

export interface TokenSummary {
  /** Every compact JWS found (canaries included). */
  tokens: number
  /** Tokens that point at the key, by class; canaries are not in them. */
  counts: TokenCounts
  /** jwkr's own canary tokens seen: left out of counts, subjects and examples. */
  canaries: number
  /** How canaries were told apart: by the jtis jwkr journaled, or by their label alone. */
  canariesBy: 'journal' | 'label'
  /** Tokens labelled as canaries that jwkr never sent: triaged (counted in their class) like any token. */
  canaryImpostors: number
  /** Of the tokens with a valid signature. */
  iat: {first: string | null; last: string | null}
  /** The earliest iat of a suspected forgery: the key was in someone else's hands by then. */
  firstForgeryAt: string | null
  subjects: number
  issuers: string[]
  audiences: string[]
  /** max(exp) − now over the valid tokens; 0 seconds when all have expired; null with no valid token. */
  longestRemainingLifetime: {seconds: number; expires: string | null} | null
  /** Valid tokens with no exp: they never expire by themselves. */
  withoutExpiry: number
  /**
   * The shapes of the tokens the issuer issued (signed with the key and, with an issued log, listed in
   * it): what relying parties accept, for canaries to copy. No sub, jti or personal value.
   */
  shapes: ObservedShape[]
  examples: TokenExample[]
}

interface SubjectStats {
  count: number
  first: number | null
  last: number | null
}

interface Candidate<P> {
  position: P
  token: string
}

export class TokenSummaryBuilder<P extends TokenPosition = TokenPosition> {
  readonly #options: TokenSummaryOptions
  readonly #counts: TokenCounts = {
    'suspected-forgery': 0,
    'signed-with-leaked-key': 0,
    'kid-match-bad-signature': 0,
    other: 0,
    'outside-window': 0,
  }
  #tokens = 0
  #canaries = 0
  #impostors = 0
  readonly #shapes = shapeCounter()
  #firstIat: number | null = null
  #lastIat: number | null = null
  #firstForgeryIat: number | null = null
  #maxExp: number | null = null
  #withoutExpiry = 0
  readonly #subjects = new Map<string, SubjectStats>()
  readonly #issuers = new Set<string>()
  readonly #audiences = new Set<string>()
  /** Per class, the earliest tokens found (at most maxExamples each), ordered by position. */
  readonly #examples = new Map<TokenClass, Array<Candidate<P>>>(TOKEN_CLASSES.map((name) => [name, []]))

  constructor(options: TokenSummaryOptions) {
    this.#options = options
  }

  /** Tokens seen that were not decoded, or do not point at the key. */
  addUndecided(count: number): void {
    this.#tokens += count
    this.#counts.other += count
  }

  /** One token that points at the key (also counted in `tokens`); a canary is only counted as one. */
  add(verdict: TokenVerdict, position: P): TokenClass | 'outside-window' | 'other' | 'canary' {
    this.#tokens++
    const canary = canaryStatus(verdict.claims, this.#options.canaryJtis ?? null)
    if (canary === 'canary') {
      this.#canaries++
      return 'canary'
    }
    if (canary === 'impostor') this.#impostors++
    const name = classifyToken(verdict, this.#options.issued)
    if (name === null) {
      this.#counts.other++
      return 'other'
    }
    const {iat} = verdict.claims
    const {since, until} = this.#options
    if (iat !== null && ((since !== null && iat * 1000 < since.getTime()) || (until !== null && iat * 1000 > until.getTime()))) {
      this.#counts['outside-window']++
      return 'outside-window'
    }
    this.#counts[name]++
    if (verdict.valid) this.#addClaims(verdict)
    if (name === 'signed-with-leaked-key' && verdict.shape) this.#shapes.add(verdict.shape)
    if (name === 'suspected-forgery' && iat !== null) {
      this.#firstForgeryIat = this.#firstForgeryIat === null ? iat : Math.min(this.#firstForgeryIat, iat)
    }
    this.#addExample(name, {position, token: verdict.unsigned})
    return name
  }

  #addClaims({claims}: TokenVerdict): void {
    const {iat, exp, sub, iss, aud} = claims
    if (iat !== null) {
      this.#firstIat = this.#firstIat === null ? iat : Math.min(this.#firstIat, iat)
      this.#lastIat = this.#lastIat === null ? iat : Math.max(this.#lastIat, iat)
    }
    if (exp === null) this.#withoutExpiry++
    else this.#maxExp = this.#maxExp === null ? exp : Math.max(this.#maxExp, exp)
    if (iss !== null) this.#issuers.add(iss)
    for (const audience of aud) this.#audiences.add(audience)
    const key = sub ?? ''
    const stats = this.#subjects.get(key) ?? {count: 0, first: null, last: null}
    this.#subjects.set(key, {
      count: stats.count + 1,
      first: iat === null ? stats.first : stats.first === null ? iat : Math.min(stats.first, iat),
      last: iat === null ? stats.last : stats.last === null ? iat : Math.max(stats.last, iat),
    })
  }

  #addExample(name: TokenClass, candidate: Candidate<P>): void {
    const list = this.#examples.get(name) as Array<Candidate<P>>
    if (this.#options.maxExamples === 0) return
    const at = list.findIndex((other) => before(candidate.position, other.position))
    if (at === -1) {
      if (list.length < this.#options.maxExamples) list.push(candidate)
      return
    }
    list.splice(at, 0, candidate)
    if (list.length > this.#options.maxExamples) list.pop()
  }

  /** Affected subjects (valid tokens), most tokens first. */
  subjects(): SubjectRow[] {
    return [...this.#subjects]
      .map(([sub, stats]) => ({sub, count: stats.count, firstSeen: isoOrEmpty(stats.first), lastSeen: isoOrEmpty(stats.last)}))
      .sort((a, b) => b.count - a.count || (a.sub < b.sub ? -1 : a.sub > b.sub ? 1 : 0))
  }

  /** Where the examples the summary will show were found (to look their lines up before `result`). */
  examplePositions(): P[] {
    return this.#pickExamples().map(({candidate}) => candidate.position)
  }

  /** The summary as of `now`; `locate` turns a position into "path:line" for the examples. */
  result(now: Date, locate: (position: P) => string): TokenSummary {
    const valid = this.#counts['signed-with-leaked-key'] + this.#counts['suspected-forgery']
    return {
      tokens: this.#tokens,
      counts: {...this.#counts},
      canaries: this.#canaries,
      canariesBy: this.#options.canaryJtis ? 'journal' : 'label',
      canaryImpostors: this.#impostors,
      shapes: this.#shapes.result(),
      iat: {first: isoOrNull(this.#firstIat), last: isoOrNull(this.#lastIat)},
      firstForgeryAt: isoOrNull(this.#firstForgeryIat),
      subjects: this.#subjects.size,
      issuers: [...this.#issuers].sort(),
      audiences: [...this.#audiences].sort(),
      longestRemainingLifetime:
        this.#maxExp === null
          ? null
          : {
              seconds: Math.max(0, Math.ceil(this.#maxExp - now.getTime() / 1000)),
              expires: isoOrNull(this.#maxExp),
            },
      withoutExpiry: valid === 0 ? 0 : this.#withoutExpiry,
      examples: this.#pickExamples().map(({name, candidate}) => ({
        class: name,
        token: candidate.token,
        source: locate(candidate.position),
      })),
    }
  }

  /** Round robin over the classes, most serious first, so that each class found is shown. */
  #pickExamples(): Array<{name: TokenClass; candidate: Candidate<P>}> {
    const picked: Array<{name: TokenClass; candidate: Candidate<P>}> = []
    for (let round = 0; picked.length < this.#options.maxExamples; round++) {
      let any = false
      for (const name of TOKEN_CLASSES) {
        const candidate = this.#examples.get(name)?.[round]
        if (candidate && picked.length < this.#options.maxExamples) {
          picked.push({name, candidate})
          any = true
        }
      }
      if (!any) break
    }
    return picked
  }
}

function before(a: TokenPosition, b: TokenPosition): boolean {
  return a.source < b.source || (a.source === b.source && a.offset < b.offset)
}

function isoOrNull(seconds: number | null): string | null {
  if (seconds === null) return null
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

function isoOrEmpty(seconds: number | null): string {
  return isoOrNull(seconds) ?? ''
}
