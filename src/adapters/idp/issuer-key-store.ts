// The one interface behind which every issuer's key store sits (issue 5, "Key sources"): read the
// current key set, plan a change without making it, apply it stage by stage through the engine's
// effect runner (so a resumed run never repeats a stage), and revoke sessions where the IdP can.
import type {JWK} from 'jose'

import type {KeyFamily} from '../../core/key/replacement-kind.js'
import type {SecretRegistry} from '../../core/secrets.js'
import type {PlannedCall, RunEffect} from '../../core/effect.js'
import type {IdpHttpSettings} from './idp-client.js'

export type {PlannedCall}

/**
 * Runs one stage of a change exactly once per incident (the engine's `StepContext.effect`, with the
 * effect key made from the stage by `stageRunner`). `check` asks the remote whether the stage
 * already happened: its ref, `undefined` for "no", `'unknown'` when it cannot tell.
 */
export type EffectRunner = RunEffect

export type SourceKeyStatus = 'active' | 'passive' | 'next' | 'expired' | 'disabled' | 'unknown'

/** One key as the source lists it, identified by its canonical RFC 7638 thumbprint. */
export interface SourceKey {
  kid: string | null
  /** RFC 7638 SHA-256 thumbprint of the canonical public key (never derived from the kid). */
  thumbprint: string
  /** The canonical public JWK, with kid / alg / use when the source names them. Never private members. */
  publicJwk: JWK
  status: SourceKeyStatus
  /** Source-specific facts (component id, Auth0 flags, file index…). Public values only. */
  ref?: Record<string, unknown>
}

export interface RotateRequest {
  /** The inventory issuer id. */
  issuerId: string
  incidentId: string
  leaked: {thumbprint: string; kid: string | null}
  /** Only for sources that take a key jwkr generated (jwks-file, github-file, webhook, manual). */
  replacement?: {
    publicJwk: JWK
    kid: string
    /** Where jwkr wrote the new private JWK (mode 0600), named in manual instructions. Never read. */
    privateKeyFile?: string
  }
  /**
   * What the leaked key is (kty, curve, alg, use, size), for sources whose far side generates the
   * replacement itself and must be told which kind (webhook). Public facts only.
   */
  family?: KeyFamily
  reason: string
}

/** A request to cut off sessions and refresh tokens issued while the leaked key was trusted. */
export interface SessionRequest {
  issuerId: string
  incidentId: string
  leaked: {thumbprint: string; kid: string | null}
  reason: string
  /**
   * Tokens issued before this instant are rejected. Pass a value that is stable across resumes (the
   * step's input or the incident's start); defaults to now.
   */
  notBefore?: Date
  /** Also end every user session of the realm (Keycloak logout-all). */
  logoutAll?: boolean
}

export interface KeyRef {
  kid: string | null
  thumbprint: string | null
}

/** What a rotation or revocation did. Public values only: safe to journal and print. */
export interface ChangeResult {
  issuerId: string
  source: string
  /**
   * changed: this call (or an earlier run of the same incident) changed the source;
   * unchanged: the source cannot do more than it already has (see the warnings);
   * not-found: the leaked key was never in the source, and nothing was changed.
   */
  outcome: 'changed' | 'unchanged' | 'not-found'
  /** Keys that now sign or are published in place of the leaked one. */
  added: KeyRef[]
  /** Leaked key entries removed, revoked or disabled. */
  removed: KeyRef[]
  /** True when the issuer no longer signs with the leaked key; null when the source cannot tell. */
  signingSwitched: boolean | null
  /** True when the leaked key is still published after the change (Okta keeps EXPIRED keys). */
  leakedStillListed: boolean
  /** Stages that ran or were found already done, in order. */
  stages: string[]
  /** Things the responder must know or do: never success by silence. */
  warnings: string[]
  /**
   * A replacement the source's far side generated and reported (a webhook receiver): published in
   * place of the leaked key, and jwkr holds no private half of it (no control token can be signed).
   */
  reportedReplacement?: {kid: string; thumbprint: string; alg: string}
}

export type RotateResult = ChangeResult
export type RevokeResult = ChangeResult

export interface SessionAction {
  action: string
  ok: boolean
  detail: string
}

export interface SessionResult {
  issuerId: string
  source: string
  actions: SessionAction[]
  warnings: string[]
}

export interface IssuerKeyStoreCapabilities {
  /** Publishes a key jwkr generated (the request's `replacement`); false where the far side makes its own. */
  takesGeneratedKey: boolean
  /** Makes the issuer sign with another key as part of `rotate`. */
  switchesSigning: boolean
  /** Takes the leaked key out of the published key set. */
  removesKey: boolean
  /** Has `revokeSessions`. */
  revokesSessions: boolean
}

/** What a precheck is asked about: the leaked key, and the replacement when one was already made (a resume). */
export interface PrecheckRequest {
  leaked: {thumbprint: string; kid: string | null}
  /** A replacement made by an earlier attempt: finding it counts as finding the change under way. */
  replacementThumbprint?: string
}

/**
 * What a change would find, known before anything is generated or changed: `ready` (go on) or
 * `not-found` with the result the change would return. A refusal is thrown as the change throws it.
 */
export type PrecheckResult = {outcome: 'ready'} | {outcome: 'not-found'; result: ChangeResult}

export interface IssuerKeyStore {
  readonly type: string
  readonly capabilities: IssuerKeyStoreCapabilities
  /** The keys the source holds now, identified by canonical thumbprint. */
  listKeys(signal?: AbortSignal): Promise<SourceKey[]>
  /**
   * Read-only, making no request: the check `rotate` and `revoke` make before their first stage (the
   * same function), so a dry run and the decision to generate a key refuse exactly what the change
   * would. Only sources that can tell from local files have it.
   */
  precheck?(request: PrecheckRequest): Promise<PrecheckResult>
  /** Every call or write `rotate` may make, in order, making none. */
  planRotate(request: RotateRequest): PlannedCall[]
  /** Add the new key → switch signing → remove the leaked one, each stage through `run`. */
  rotate(request: RotateRequest, run: EffectRunner, signal?: AbortSignal): Promise<RotateResult>
  planRevoke(request: RotateRequest): PlannedCall[]
  /** Removes or disables the leaked key only, adding nothing. */
  revoke(request: RotateRequest, run: EffectRunner, signal?: AbortSignal): Promise<RevokeResult>
  planRevokeSessions?(request: SessionRequest): PlannedCall[]
  revokeSessions?(request: SessionRequest, run: EffectRunner, signal?: AbortSignal): Promise<SessionResult>
  /** The steps for a person when the source cannot revoke sessions itself (defaults to the generic ones for its type). */
  readonly sessionsByHand?: string
}

export type KeyStoreOperation = 'rotate' | 'revoke' | 'sessions'

/**
 * The effect key of one stage: stable across resumes, unique per incident, issuer and stage. The
 * webhook source sends it as its Idempotency-Key, so a repeat is recognised by the receiver.
 *
 * @example effectKey({incidentId: 'inc-1', issuerId: 'auth-main'}, 'rotate', 'add') // → 'inc-1:rotate:auth-main:add'
 */
export function effectKey(request: {incidentId: string; issuerId: string}, operation: KeyStoreOperation, stage: string): string {
  return `${request.incidentId}:${operation}:${request.issuerId}:${stage}`
}

/**
 * Adapts the engine's `context.effect` to an EffectRunner for one operation on one issuer.
 *
 * @example await source.rotate(request, stageRunner(context.effect, request, 'rotate'), context.signal)
 */
export function stageRunner(
  effect: RunEffect,
  request: {incidentId: string; issuerId: string},
  operation: KeyStoreOperation,
): EffectRunner {
  return (stage, description, apply, check) => effect(effectKey(request, operation, stage), description, apply, check)
}

/** What every key store is built with. Credentials come from `env` only, never from the inventory. */
export interface IssuerKeyStoreDeps {
  env: Record<string, string | undefined>
  secrets: SecretRegistry
  /** The GitHub client's transport (github-file); defaults to the global fetch (msw intercepts it in tests). */
  fetch?: typeof globalThis.fetch
  /** The incident's artifacts folder: file sources back up what they replace here. */
  artifactsDir?: string
  /** Relative jwks-file paths are resolved against this (the inventory's folder); default the cwd. */
  baseDir?: string
  now?: () => Date
  http?: IdpHttpSettings
  /**
   * Asks the responder to do something by hand and confirm it (the engine UI provides it). Absent
   * when nobody can answer: the manual source then fails instead of waiting.
   */
  confirm?: (instructions: ManualInstructions) => Promise<boolean>
}

/** Exact steps for a human, shown before they confirm. */
export interface ManualInstructions {
  title: string
  steps: string[]
}
