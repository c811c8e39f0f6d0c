// What `jwkr key rotate`, `jwkr key revoke` and `jwkr tokens invalidate` share on the command line:
// their flags, reading the key and the inventory, the rule that a change without a terminal needs
// --yes, and turning the outcome into output and an exit code (1 when any issuer failed, or when the
// key was found at none of them: nothing rotated is no success; a dry run exits as its run would).
import {Errors, Flags} from '@oclif/core'
import {resolve} from 'node:path'

import {changeKeyAtIssuers, type ContainmentContext, type KeyChangeOutcome, type KeyOperation} from '../services/contain-key.js'
import {invalidateTokens, nothingInvalidated, type DenylistSpec, type InvalidateOutcome} from '../services/invalidate.js'
import {loadKeySource} from '../services/identify.js'
import {ExitCode, JwkrError} from '../core/errors.js'
import {leakedKeyOf, leakedKeyRef} from '../core/inventory/leaked-key.js'
import {inventoryNotFound} from '../core/inventory/load-inventory.js'
import {loadInventory} from '../services/inventory.js'
import {parseNotBefore, selectIssuers} from '../core/containment/plan-containment.js'
import type {Inventory} from '../core/inventory/types.js'
import type {LoadedKey} from '../core/key/types.js'
import type {SecretRegistry} from '../core/secrets.js'
import {withCommandEffects} from '../incident/incident-journal.js'
import {newIncidentId, resolveHome} from '../incident/workspace.js'
import type {RunEffect} from '../core/effect.js'
import type {PlannedCall} from '../playbook/types.js'
import type {JwkrCommand} from './base-command.js'
import {keySelectionFlags} from './key-flags.js'
import {askToProceed, manualPrompt, renderInvalidate, renderKeyChange, unknownEffectAnswer} from './render-containment.js'
import {homeFlag} from './run-flags.js'
import {resolveInventoryPath} from './run-playbook-command.js'
import type {Style} from './style.js'

export const containmentFlags = {
  key: Flags.string({
    char: 'k',
    required: true,
    description: 'The leaked key: a file path, "-" for stdin, or the JWK/JWKS JSON or PEM itself.',
  }),
  ...keySelectionFlags,
  inventory: Flags.string({description: 'The inventory file (default: JWKR_INVENTORY, else ./jwkr.inventory.yaml).'}),
  issuer: Flags.string({multiple: true, exclusive: ['all'], description: 'Act on this issuer (its inventory id); repeatable.'}),
  all: Flags.boolean({description: 'Act on every issuer that publishes the key (found with a GET of each JWKS first).'}),
  incident: Flags.string({
    description:
      'Incident id naming branches, providers and idempotency keys (default: today and the thumbprint, e.g. 2026-11-29-3f9a1c). ' +
      'When the workspace holds this incident, each change is journaled in it and one it already made is not made again.',
  }),
  ...homeFlag,
  yes: Flags.boolean({char: 'y', description: 'Make the changes without asking (required without a terminal).'}),
  'dry-run': Flags.boolean({
    description: 'Print what would change, per issuer, and change nothing (no file written, no request).',
  }),
}

export interface ContainmentHost {
  command: JwkrCommand
  secrets: SecretRegistry
  style: Style
  json: boolean
}

interface CommonFlags {
  home?: string
  key: string
  kid?: string
  thumbprint?: string
  inventory?: string
  issuer?: string[]
  all: boolean
  incident?: string
  yes: boolean
  'dry-run': boolean
}

export interface KeyChangeFlags extends CommonFlags {
  'new-kid'?: string
  out?: string
  artifacts: string
}

/** `jwkr key rotate` and `jwkr key revoke`. */
export async function runKeyChange(
  host: ContainmentHost,
  operation: KeyOperation,
  flags: KeyChangeFlags,
): Promise<KeyChangeOutcome> {
  const key = await readLeakedKey(flags, host.secrets)
  const path = flags.inventory ?? resolveInventoryPath(undefined)
  if (path === null) throw inventoryNotFound(null)
  const inventory = await loadInventory(path, {secrets: host.secrets})
  const words =
    operation === 'rotate' ? 'key rotate publishes a new key and removes the leaked one' : 'key revoke removes the leaked key'
  refuseUnattended(host, flags, inventory, `jwkr ${words}.`)
  const outcome = await withEffects(host, flags, `jwkr key ${operation}`, (effect) =>
    changeKeyAtIssuers({
      operation,
      key,
      selection: {issuers: flags.issuer, all: flags.all},
      dryRun: flags['dry-run'],
      newKid: flags['new-kid'],
      privateKeyPath: (kid) => resolve(flags.out ?? `jwkr-replacement-${kid.replace(/[^A-Za-z0-9._-]/g, '_')}.private.jwk.json`),
      context: context(host, inventory, key, flags, effect, resolve(flags.artifacts)),
      approve: (plan) =>
        approve(
          host,
          flags.yes,
          `jwkr ${words} at ${plan.map((change) => change.issuerId).join(', ')}.`,
          plan.flatMap((change) => change.plan),
        ),
    }),
  )
  const failed = outcome.issuers.filter((change) => change.status === 'failed').map((change) => change.issuerId)
  const would = outcome.dryRun ? 'would fail' : 'failed'
  return finish(
    host,
    outcome,
    renderKeyChange(outcome, host.style),
    failed.length > 0 ? {message: `The ${operation} ${would} at ${failed.join(', ')}.`} : foundNowhere(outcome),
  )
}

/**
 * Every issuer acted on lacks the key: the responder asked for a change and none was (or would be)
 * made. Said as a failure, because an inventory pointing at the wrong file looks just like this.
 */
function foundNowhere(outcome: KeyChangeOutcome): {message: string; hint: string} | null {
  const {issuers, operation, dryRun} = outcome
  if (issuers.length === 0 || !issuers.every((change) => change.status === 'not-found')) return null
  const at = issuers.map((change) => change.issuerId).join(', ')
  return {
    message: `Nothing ${dryRun ? 'would be' : 'was'} ${operation === 'rotate' ? 'rotated' : 'revoked'}: the leaked key is not in the key source of ${at}.`,
    hint: `If an earlier run removed it there, check that no JWKS serves it any more (jwkr verify). Otherwise keySource of ${at} in the inventory may not be what the issuer serves: fix it, then run again.`,
  }
}

export interface InvalidateFlags extends CommonFlags {
  'not-before'?: string
  'denylist-file'?: string
  redis?: string
  'logout-all': boolean
}

/** `jwkr tokens invalidate`. */
export async function runInvalidate(host: ContainmentHost, flags: InvalidateFlags): Promise<InvalidateOutcome> {
  const key = await readLeakedKey(flags, host.secrets)
  const notBefore = flags['not-before'] === undefined ? new Date() : parseNotBefore(flags['not-before'], '--not-before')
  const path = flags.inventory ?? resolveInventoryPath(undefined)
  const inventory = path === null ? null : await loadInventory(path, {secrets: host.secrets})
  const denylist: DenylistSpec[] = [
    ...(flags['denylist-file'] ? [{kind: 'file' as const, location: resolve(flags['denylist-file'])}] : []),
    ...(flags.redis ? [{kind: 'redis' as const, location: flags.redis}] : []),
  ]
  refuseUnattended(host, flags, inventory, 'jwkr tokens invalidate writes the denylist and revokes sessions.')
  const outcome = await withEffects(host, flags, 'jwkr tokens invalidate', (effect) => {
    const {inventory: _none, ...rest} = context(host, inventory ?? {version: 1, issuers: [], services: []}, key, flags, effect)
    return invalidateTokens({
      key,
      inventory,
      selection: {issuers: flags.issuer, all: flags.all},
      dryRun: flags['dry-run'],
      notBefore,
      logoutAll: flags['logout-all'],
      denylist,
      incident: flags.incident ?? null,
      context: rest,
      approve: (plan) =>
        approve(
          host,
          flags.yes,
          `jwkr tokens invalidate writes the denylist and revokes sessions${plan.sessions.length > 0 ? ` at ${plan.sessions.map((change) => change.issuerId).join(', ')}` : ''}.`,
          plan.sessions.flatMap((change) => change.plan),
        ),
    })
  })
  const failed = [
    ...outcome.denylist.filter((write) => write.status === 'failed').map((write) => write.target),
    ...outcome.sessions.filter((change) => change.status === 'failed').map((change) => change.issuerId),
  ]
  const failure =
    failed.length > 0
      ? {message: `Invalidation failed at ${failed.join(', ')}.`}
      : nothingInvalidated(outcome)
        ? {
            message: `Nothing ${outcome.dryRun ? 'would be' : 'was'} invalidated: no denylist was given, and no session could be revoked.`,
            hint: 'Pass --denylist-file PATH and/or --redis URL (or set REDIS_URL) so relying parties refuse the key, and revoke the sessions by hand where the list above says how.',
          }
        : null
  return finish(host, outcome, renderInvalidate(outcome, host.style), failure)
}

async function readLeakedKey(flags: CommonFlags, secrets: SecretRegistry): Promise<LoadedKey> {
  // The key first: its private values are registered before anything else can fail or print.
  const key = leakedKeyOf(await loadKeySource(flags.key, {secrets, kid: flags.kid, thumbprint: flags.thumbprint}))
  leakedKeyRef(key)
  return key
}

function context(
  host: ContainmentHost,
  inventory: ContainmentContext['inventory'],
  key: LoadedKey,
  flags: CommonFlags,
  effect: RunEffect,
  artifactsDir?: string,
): ContainmentContext {
  const terminal = interactive(host)
  return {
    inventory,
    secrets: host.secrets,
    env: process.env,
    incidentId: flags.incident ?? newIncidentId(key.report.thumbprint, new Date(), new Set()),
    effect,
    ...(artifactsDir ? {artifactsDir} : {}),
    ...(terminal ? {confirm: manualPrompt(host.secrets, host.style)} : {}),
    onProgress: host.json ? undefined : (message) => host.command.logToStderr(message),
  }
}

/**
 * The command's changes through the effect ledger: the named incident's, when the workspace holds it
 * (a dry run changes nothing and opens nothing).
 */
function withEffects<T>(
  host: ContainmentHost,
  flags: CommonFlags,
  command: string,
  work: (effect: RunEffect) => Promise<T>,
): Promise<T> {
  const id = flags['dry-run'] ? undefined : flags.incident
  const answer = unknownEffectAnswer(host, flags.yes)
  return withCommandEffects(resolveHome({flag: flags.home}), id, {secrets: host.secrets, command, answer}, work)
}

function interactive(host: ContainmentHost): boolean {
  return !host.json && process.stdin.isTTY === true && process.stderr.isTTY === true
}

/**
 * Without a terminal and without --yes nothing may change: said before any request is made (after
 * the usage errors, which come first).
 */
function refuseUnattended(host: ContainmentHost, flags: CommonFlags, inventory: Inventory | null, what: string): void {
  if (flags['dry-run'] || flags.yes || interactive(host)) return
  if (inventory !== null && !flags.all) selectIssuers(inventory, {issuers: flags.issuer})
  throw approvalRequired(what)
}

/** On a terminal the responder sees the plan and answers; --yes answers for them. */
async function approve(host: ContainmentHost, yes: boolean, what: string, plan: PlannedCall[]): Promise<void> {
  if (yes) return
  if (!interactive(host)) throw approvalRequired(what)
  if (!(await askToProceed(`${what} Go ahead?`, plan, host.secrets, host.style))) {
    throw new JwkrError('ERR_ABORTED', 'Stopped before any change.', {hint: 'Nothing was changed. Run it again when ready.'})
  }
}

function approvalRequired(what: string): JwkrError {
  return new JwkrError('ERR_APPROVAL_REQUIRED', `${what} Without a terminal that needs --yes; nothing was changed.`, {
    hint: 'Check the plan with --dry-run, then rerun with --yes.',
  })
}

/** Prints the outcome (or returns it for --json) and, when it is a failure, exits 1 saying what failed and what to do. */
function finish<T>(host: ContainmentHost, outcome: T, text: string, failure: {message: string; hint?: string} | null): T {
  if (host.json) {
    if (failure === null) return outcome
    host.command.logJson(outcome)
    throw new Errors.ExitError(ExitCode.failure)
  }
  host.command.log(text)
  if (failure !== null) {
    throw new JwkrError('ERR_CONTAINMENT_INCOMPLETE', failure.message, {
      hint: failure.hint ?? 'Fix what each failure above names, then run the command again for those issuers (--issuer ID).',
    })
  }
  return outcome
}
