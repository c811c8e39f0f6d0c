// tokens.scan: which tokens in the logs were signed with the leaked key, and which of those the issuer
// never issued. Valid tokens are the users to notify and the lifetime to wait out; forgeries mean the
// key is in someone else's hands and has been used. Reads only.
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {loadKeySource} from '../../services/identify.js'
import {scanTokens} from '../../services/triage.js'
import {recordedCanaryJtis} from '../../core/containment/recorded-probes.js'
import {leakedKeyOf} from '../../core/inventory/leaked-key.js'
import {assertWindow, parseTimeBound} from '../../core/tokens/time-bound.js'
import {defineStep} from '../define-step.js'
import {AnyObject, Nullable, Type, type Static} from '../step-schema.js'
import type {StepContext} from '../types.js'
import {leakedKeyInput, pathsInput, pathsOf} from './leaked-key-input.js'
import {writeArtifact} from '../write-artifact.js'
import {prose} from '../../core/prose.js'

const TokensScanInput = Type.Object(
  {
    ...leakedKeyInput,
    paths: pathsInput('Log files and folders to scan'),
    /** The issuer's issued jtis: valid tokens missing from it are suspected forgeries. */
    issuedLog: Type.Optional(Type.String({description: 'The jtis the issuer issued (one a line, or JSON lines with a "jti").'})),
    /** Kids the key is published under (at its issuers), besides its own: a header naming one names the key. */
    publishedKids: Type.Optional(
      Type.Array(Type.String({minLength: 1}), {
        description: prose`
          Kids the key is published under at its issuers, besides its own: a header naming one names the key (a bad
          signature there is kid-match-bad-signature).`,
      }),
    ),
    since: Type.Optional(
      Type.String({description: 'Only tokens issued at or after this time (ISO 8601, epoch seconds, or 24h / 7d back).'}),
    ),
    until: Type.Optional(Type.String({description: 'Only tokens issued at or before this time.'})),
    maxExamples: Type.Optional(
      Type.Integer({minimum: 0, maximum: 100, description: 'Redacted example tokens in the artifact (default 5).'}),
    ),
  },
  {additionalProperties: false},
)
const Count = Type.Integer({minimum: 0})
const TokensScanOutput = Type.Object(
  {
    tokens: Count,
    signedWithLeakedKey: Count,
    suspectedForgery: Count,
    kidMatchBadSignature: Count,
    other: Count,
    /** Distinct subjects of the valid tokens (canaries left out). */
    subjects: Count,
    /** jwkr's own canary tokens seen in the logs: counted apart, in no class and no subject. */
    canaries: Count,
    /** Tokens labelled as canaries whose jti this incident never sent: triaged like any other token. */
    canaryImpostors: Count,
    /** The shapes of the issuer's real tokens seen (header members, aud, scopes, claim names): later canaries copy them. */
    shapes: Type.Array(AnyObject()),
    /** The same as suspectedForgery: valid tokens the issuer never issued. */
    forgeries: Count,
    /** The earliest iat of a suspected forgery (ISO), or null. */
    firstForgeryAt: Nullable(Type.String()),
    /** max(exp) − now over the valid tokens, in seconds (0: all expired; null: no valid token). */
    longestRemainingLifetimeSeconds: Nullable(Count),
    /** Valid tokens with no exp. */
    withoutExpiry: Count,
    /** The summary (counts, claims, redacted examples) as JSON. */
    artifact: Type.String(),
    /** The affected subjects as CSV (sub,count,firstSeen,lastSeen), mode 0600. */
    subjectsArtifact: Type.String(),
  },
  {additionalProperties: false},
)
export type TokensScanInput = Static<typeof TokensScanInput>
export type TokensScanOutput = Static<typeof TokensScanOutput>

export const TOKENS_SCAN_ARTIFACT = 'tokens-scan.json'
export const TOKENS_SUBJECTS_ARTIFACT = 'tokens-subjects.csv'

export const tokensScan = defineStep({
  id: 'tokens.scan',
  title: 'Find tokens signed with the key in the logs',
  description: prose`
    Reads the given logs (plain or gzip) for JWTs a verifier holding the key would try (a header naming the key by
    its kid or a published kid, no kid, or another kid with an alg that fits the key) and verifies their signatures.
    Valid tokens tell whom to notify and how long the last of them lives; valid tokens missing from the issued log
    are forgeries: the key is in use by someone else. jwkr's own canary tokens (the jtis this incident's probes
    sent, from its journal) are counted apart (canaries), in no class and no subject; a token wearing the canary
    label (jti jwkr-canary-…, sub jwkr-canary) that the incident never sent is triaged like any other
    (canaryImpostors). Reads only.`,
  inputSchema: TokensScanInput,
  outputSchema: TokensScanOutput,
  sideEffects: false,
  plan: (input) =>
    pathsOf(input).map((path) => ({
      kind: 'none',
      target: path,
      description:
        `Read the logs under ${path} for tokens that name the key and verify their signatures` +
        `${input.issuedLog === undefined ? '' : `, checking valid ones against ${input.issuedLog}`}; reads only.`,
    })),
  async run(input, context) {
    const now = context.now()
    const since = input.since === undefined ? null : parseTimeBound(input.since, now, 'since')
    const until = input.until === undefined ? null : parseTimeBound(input.until, now, 'until')
    assertWindow(since, until)
    const key = leakedKeyOf(
      await loadKeySource(input.key, {secrets: context.secrets, kid: input.kid, thumbprint: input.thumbprint}),
    )
    await mkdir(context.incident.artifactsDir, {recursive: true, mode: 0o700})
    const subjectsArtifact = join(context.incident.artifactsDir, TOKENS_SUBJECTS_ARTIFACT)
    const result = await scanTokens(key, pathsOf(input), {
      secrets: context.secrets,
      issuedLog: input.issuedLog,
      publishedKids: input.publishedKids,
      canaryJtis: await sentCanaries(context),
      since,
      until,
      maxExamples: input.maxExamples,
      subjectsOut: subjectsArtifact,
      now: () => now,
      onProgress: ({bytesRead, tokens}) => context.progress({message: `${bytesRead} bytes read, ${tokens} tokens`}),
    })
    const artifact = await writeArtifact(context, TOKENS_SCAN_ARTIFACT, result)
    const {counts} = result
    return {
      tokens: result.tokens,
      signedWithLeakedKey: counts['signed-with-leaked-key'],
      suspectedForgery: counts['suspected-forgery'],
      kidMatchBadSignature: counts['kid-match-bad-signature'],
      other: counts.other,
      subjects: result.subjects,
      canaries: result.canaries,
      canaryImpostors: result.canaryImpostors,
      shapes: result.shapes,
      forgeries: counts['suspected-forgery'],
      firstForgeryAt: result.firstForgeryAt,
      longestRemainingLifetimeSeconds: result.longestRemainingLifetime?.seconds ?? null,
      withoutExpiry: result.withoutExpiry,
      artifact,
      subjectsArtifact,
    }
  },
})

/** The jtis of the canaries this incident sent. */
function sentCanaries(context: StepContext): Set<string> {
  return recordedCanaryJtis(context.events())
}
