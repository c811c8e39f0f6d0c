// Token triage figures from the outputs of a `tokens.scan` step: how many tokens were signed with
// the leaked key, how many look forged, and how many people (distinct `sub`) they concern. Read by
// field name, flat (`signedWithLeakedKey`, as the step writes them) or per class (`counts:
// {"signed-with-leaked-key": n}`, as its summary does); iat, issuers and audiences when present.
// jwkr's own canaries (`canaries`) are no sign-in token of anyone's: they are left out of the tokens
// reviewed, as the step already leaves them out of every class and of the subjects.
import {count, firstOf, instant, num, rec, str, strings} from './read-data.js'
import type {TriageFigures} from './report-model.js'

/** The triage figures of a tokens.scan step's outputs, or null when it reported nothing usable. */
export function triageOf(step: string, outputs: Record<string, unknown> | undefined): TriageFigures | null {
  if (!outputs) return null
  const classes = rec(outputs.counts) ?? {}
  const iat = rec(outputs.iat) ?? {}
  const figure = (flat: string, kebab: string) => num(outputs[flat]) ?? num(classes[kebab]) ?? num(classes[flat])
  const tokens = num(outputs.tokens)
  const figures: TriageFigures = {
    step,
    scanned: tokens === null ? null : Math.max(0, tokens - (count(outputs.canaries) ?? 0)),
    signedWithLeakedKey: figure('signedWithLeakedKey', 'signed-with-leaked-key'),
    kidMatchBadSignature: figure('kidMatchBadSignature', 'kid-match-bad-signature'),
    suspectedForgeries: figure('suspectedForgery', 'suspected-forgery'),
    subjects: count(outputs.subjects),
    issuers: strings(outputs.issuers),
    audiences: strings(outputs.audiences),
    firstIat: instant(iat.first),
    lastIat: instant(iat.last),
    firstForgeryAt: instant(outputs.firstForgeryAt),
    longestRemainingSeconds: firstOf(outputs, ['longestRemainingLifetimeSeconds', 'longestRemainingSeconds'], num),
    subjectsFile: firstOf(outputs, ['subjectsArtifact', 'subjectsOut'], str),
  }
  const known = [figures.scanned, figures.signedWithLeakedKey, figures.suspectedForgeries, figures.subjects]
  return known.some((value) => value !== null) ? figures : null
}
