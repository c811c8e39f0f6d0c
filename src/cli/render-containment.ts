// The human side of `jwkr key rotate|revoke` and `jwkr tokens invalidate`: per issuer what was done
// (or would be, in a dry run), what could not be done and what to do by hand; the question asked
// before a destructive change on a terminal; the prompt for manual issuer key stores; and the question
// about an effect whose outcome is unknown.
import {confirm} from '@inquirer/prompts'

import type {ContainmentContext, IssuerChange, JwksDiff, KeyChangeOutcome} from '../services/contain-key.js'
import type {DenylistWrite, InvalidateOutcome, SessionChange} from '../services/invalidate.js'
import type {SkippedIssuer} from '../core/containment/plan-containment.js'
import type {SecretRegistry} from '../core/secrets.js'
import type {UnknownEffectAnswer} from '../incident/incident-journal.js'
import type {PlannedCall} from '../playbook/types.js'
import {renderPlan} from './engine-ui.js'
import {forTerminal, type Style} from './style.js'

/**
 * @example this.log(renderKeyChange(outcome, this.style))
 */
export function renderKeyChange(outcome: KeyChangeOutcome, style: Style): string {
  const verb = outcome.operation === 'rotate' ? 'Rotate' : 'Revoke'
  const blocks = [
    `${style.bold(`${verb} key`)} ${outcome.thumbprint}${outcome.kid === null ? '' : style.dim(` (kid ${outcome.kid})`)}` +
      (outcome.dryRun ? style.yellow(' — dry run: nothing was changed, no request was made') : ''),
  ]
  if (outcome.replacement) {
    const {kid, thumbprint, alg, privateKeyFile} = outcome.replacement
    // Generated for an issuer whose change then failed: a key no verifier knows must not sign.
    const published = outcome.issuers.some((change) => change.status === 'changed' || change.status === 'unchanged')
    blocks.push(
      `${style.bold('New key')} kid ${kid}, thumbprint ${thumbprint}${alg ? ` (${alg})` : ''}\n` +
        (published
          ? `  Its private key is in ${privateKeyFile} (mode 0600). jwkr never prints it: hand it to the signer, then keep it in your secret store.`
          : `  Its private key is in ${privateKeyFile} (mode 0600), but no issuer published it (see below): do not hand it to the signer.`),
    )
  }
  blocks.push(...outcome.issuers.map((change) => renderIssuerChange(change, style, outcome.dryRun)))
  if (outcome.issuers.length === 0) blocks.push(style.yellow('No issuer to act on.'))
  if (outcome.jwksDiffs.length > 0)
    blocks.push(`${style.bold('JWKS changes')}\n${outcome.jwksDiffs.map((diff) => renderDiff(diff, style)).join('\n')}`)
  blocks.push(...renderSkipped(outcome.skipped, style), ...outcome.notes.map((note) => style.dim(note)))
  return blocks.join('\n\n')
}

/**
 * @example this.log(renderInvalidate(outcome, this.style))
 */
export function renderInvalidate(outcome: InvalidateOutcome, style: Style): string {
  const blocks = [
    `${style.bold('Deny key')} ${outcome.thumbprint}${outcome.kid === null ? '' : style.dim(` (kid ${outcome.kid})`)} — tokens before ${outcome.notBefore}` +
      (outcome.dryRun ? style.yellow(' — dry run: nothing was changed, no request was made') : ''),
  ]
  const entries = outcome.entries.map(
    (entry) => `  ${entry.thumbprint}${entry.kid ? ` kid ${entry.kid}` : ''}${entry.iss ? ` iss ${entry.iss}` : ''}`,
  )
  blocks.push(`${style.bold('Denylist entries')}\n${entries.join('\n')}`)
  blocks.push(
    outcome.denylist.length === 0
      ? style.yellow('No denylist written: pass --denylist-file PATH and/or --redis URL (or set REDIS_URL).')
      : `${style.bold('Denylist')}\n${outcome.denylist.map((write) => renderWrite(write, style)).join('\n')}`,
  )
  if (outcome.sessions.length > 0)
    blocks.push(`${style.bold('Sessions')}\n${outcome.sessions.map((change) => renderSessions(change, style)).join('\n')}`)
  blocks.push(...renderSkipped(outcome.skipped, style), ...outcome.notes.map((note) => style.dim(note)))
  return blocks.join('\n\n')
}

function renderIssuerChange(change: IssuerChange, style: Style, dryRun = false): string {
  // A dry run tried nothing: a refusal found beforehand is what the run would meet.
  const mark = dryRun && change.status === 'failed' ? style.red('✗ would fail') : statusMark(change.status, style)
  const head = `${style.bold(change.issuerId)} ${style.dim(`(${change.source})`)} ${mark}`
  const lines = [head]
  if (change.status === 'planned') lines.push(renderPlan(change.plan, style))
  if (change.result) {
    const {stages, added, removed, signingSwitched, warnings} = change.result
    if (stages.length > 0) lines.push(`  stages: ${stages.join(' → ')}`)
    for (const key of added) lines.push(`  ${style.green('+')} kid ${key.kid ?? '?'} (thumbprint ${key.thumbprint ?? '?'})`)
    for (const key of removed) lines.push(`  ${style.red('-')} kid ${key.kid ?? '?'} (thumbprint ${key.thumbprint ?? '?'})`)
    if (signingSwitched !== null) lines.push(`  signing switched: ${signingSwitched ? 'yes' : 'no'}`)
    for (const warning of warnings) lines.push(`  ${style.yellow('!')} ${warning}`)
  }
  if (change.error) lines.push(...renderError(change.error, style))
  return lines.join('\n')
}

function renderDiff(diff: JwksDiff, style: Style): string {
  const head = `  ${diff.issuerId} ${style.dim(diff.path)}`
  if (diff.error !== null) return `${head}\n    ${style.red('✗')} ${diff.error}`
  if (diff.removed.length === 0) return `${head}\n    ${style.yellow('the leaked key is not in this file: nothing would change')}`
  return [
    head,
    ...diff.added.map((key) => `    ${style.green('+')} kid ${key.kid}`),
    ...diff.removed.map(
      (key) => `    ${style.red('-')} key ${key.index + 1}${key.kid ? ` kid ${key.kid}` : ''} (thumbprint ${key.thumbprint})`,
    ),
    `    = ${diff.kept} other key${diff.kept === 1 ? '' : 's'} kept, in order`,
  ].join('\n')
}

function renderWrite(write: DenylistWrite, style: Style): string {
  const said: Record<DenylistWrite['status'], string> = {
    planned: 'would merge the entries',
    written: `${write.added} entr${write.added === 1 ? 'y' : 'ies'} added`,
    unchanged: 'already there, nothing added',
    failed: 'failed',
  }
  return [
    `  ${statusMark(write.status, style)} ${write.kind} ${write.target}: ${said[write.status]}`,
    ...(write.error ? renderError(write.error, style, '    ') : []),
  ].join('\n')
}

function renderSessions(change: SessionChange, style: Style): string {
  const lines = [`  ${statusMark(change.status, style)} ${change.issuerId} ${style.dim(`(${change.source})`)}`]
  if (change.status === 'planned') lines.push(renderPlan(change.plan, style).replace(/^/gm, '  '))
  for (const action of change.actions)
    lines.push(`    ${action.ok ? style.green('✓') : style.red('✗')} ${action.action}: ${action.detail}`)
  for (const warning of change.warnings) lines.push(`    ${style.yellow('!')} ${warning}`)
  if (change.error) lines.push(...renderError(change.error, style, '    '))
  if (change.byHand)
    lines.push(
      `    ${style.yellow(change.status === 'unsupported' ? 'jwkr cannot revoke sessions here.' : 'Not done.')} By hand: ${change.byHand}`,
    )
  return lines.join('\n')
}

function renderSkipped(skipped: readonly SkippedIssuer[], style: Style): string[] {
  if (skipped.length === 0) return []
  return [
    `${style.bold('Not acted on')}\n${skipped.map((item) => `  ${style.yellow('↷')} ${item.issuerId}: ${item.reason}`).join('\n')}`,
  ]
}

function renderError(error: {message: string; hint: string | null}, style: Style, indent = '  '): string[] {
  return [`${indent}${style.red('✗')} ${error.message}`, ...(error.hint ? [`${indent}${style.dim('→')} ${error.hint}`] : [])]
}

function statusMark(status: string, style: Style): string {
  switch (status) {
    case 'changed':
    case 'written':
    case 'done':
      return style.green(`✓ ${status}`)
    case 'failed':
      return style.red('✗ failed')
    case 'planned':
      return style.cyan('○ planned')
    case 'unsupported':
      return style.yellow('! not supported')
    default:
      return style.yellow(`· ${status}`)
  }
}

/**
 * Shows the plan on stderr and asks whether to go on (a terminal only).
 *
 * @example if (!(await askToProceed('Rotate at 2 issuers?', calls, secrets))) throw aborted
 */
export async function askToProceed(
  question: string,
  plan: readonly PlannedCall[],
  secrets: SecretRegistry,
  style: Style,
): Promise<boolean> {
  process.stderr.write(forTerminal(`${secrets.redact(renderPlan([...plan], style))}\n`, process.stderr))
  return confirm({message: secrets.redact(question), default: false}, {output: process.stderr})
}

/** The prompt a manual key store shows: its exact steps, then "done?". */
export function manualPrompt(secrets: SecretRegistry, style: Style): NonNullable<ContainmentContext['confirm']> {
  return async (instructions) => {
    const steps = instructions.steps.map((step, index) => `  ${index + 1}. ${step}`).join('\n')
    process.stderr.write(forTerminal(`${secrets.redact(`\n${style.bold(instructions.title)}\n${steps}`)}\n`, process.stderr))
    return confirm({message: 'Done?', default: false}, {output: process.stderr})
  }
}

/**
 * A command's answer for an effect interrupted before its result was journaled (the effect ledger's
 * rule): --yes repeats it; on a terminal (not --json) the responder is asked; otherwise it is refused.
 */
export function unknownEffectAnswer(
  host: {secrets: SecretRegistry; style: Style; json: boolean},
  yes: boolean,
): UnknownEffectAnswer {
  if (yes || host.json || process.stdin.isTTY !== true || process.stderr.isTTY !== true) return {yes}
  return {
    yes,
    confirmRepeat: async (description) => {
      const line = `${host.style.yellow('!')} jwkr cannot tell whether this already happened before the interruption: ${description}`
      process.stderr.write(forTerminal(`${host.secrets.redact(line)}\n`, process.stderr))
      return confirm({message: 'Do it (again)?', default: false}, {output: process.stderr})
    },
  }
}
