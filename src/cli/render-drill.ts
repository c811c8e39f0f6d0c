// The scorecard a team reads at the end of `jwkr drill`.
import type {DrillResult} from '../drill/run-drill.js'
import type {Style} from './style.js'
import type {ScoreCheck, ScoredService} from '../drill/scorecard.js'

export function renderDrill(result: DrillResult, style: Style): string {
  const card = result.scorecard
  const verdict = card.passed ? style.green(style.bold('PASSED')) : style.red(style.bold('NOT PASSED'))
  const services = renderServices(card.services, style)
  const phases = card.phases.map((p) => `${p.phase} ${p.seconds ?? '—'}s`).join(' · ')
  const checks = card.checks.map((c) => renderCheck(c, style))
  const tokens = card.tokens
    ? `Tokens: ${card.tokens.signedWithLeakedKey ?? '—'} signed with the leaked key, ${card.tokens.forgeries ?? '—'} suspected forgeries, ${card.tokens.subjects ?? '—'} subjects.`
    : 'Tokens: no triage ran.'
  const messages = `Messages: ${card.messages.slackPosts} Slack posts, ${card.messages.slackUpdates} status updates, tracking issue ${card.messages.trackingIssue}; ${card.messages.drafts.length} drafts.`
  const lines = [
    `${style.bold(`Drill ${result.drill}`)} (scenario ${result.scenario}): ${verdict} in ${card.wallSeconds ?? '—'}s — containment ${card.contained ? 'proven' : style.red(card.outcome.status === 'not-attempted' ? 'not attempted' : 'not proven')}`,
    card.verdict,
    ...(card.contained ? [] : [style.red(`Outcome: ${card.outcome.summary}`)]),
    `Phases: ${phases}`,
    ...services,
    tokens,
    messages,
    'Checks:',
    ...checks,
    ...(card.faultsInjected.length > 0 ? ['Faults injected:', ...card.faultsInjected.map((f) => `  - ${f}`)] : []),
    ...(card.mistakes.length > 0 ? ['Mistakes:', ...card.mistakes.map((m) => `  - ${m}`)] : []),
    `Reports and drafts: ${result.artifacts}`,
    `Read it all: jwkr drill report ${result.drill}`,
  ]
  if (result.world.kept) {
    lines.push(style.bold('The world is still running (--keep); Ctrl-C stops it.'))
    lines.push(`  Its Slack and GitHub in a shell: source ${result.world.envFile}`)
    lines.push(`  Its inventory: ${result.world.inventory}`)
    lines.push(`  issuer ${result.world.urls.issuer}  slack ${result.world.urls.slack}  github ${result.world.urls.github}`)
    for (const s of result.world.services) lines.push(`  ${s.id} ${s.url}`)
  }
  return lines.join('\n')
}

/**
 * One check of the scorecard: ✓ met, ✗ missed, and a neutral mark with "not checked" and why when
 * there was nothing to judge by (a check never made is neither met nor missed).
 *
 * @example renderCheck({name: 'forgeries detected (at least)', expected: 1, actual: null, result: 'not-checked', ok: false, reason: 'no token triage ran'}, style)
 * // '  – forgeries detected (at least): not checked (no token triage ran); expected 1'
 */
export function renderCheck(check: ScoreCheck, style: Style): string {
  if (check.result === 'not-checked')
    return `  ${style.dim('–')} ${check.name}: not checked${check.reason ? ` (${check.reason})` : ''}; expected ${String(check.expected)}`
  const mark = check.result === 'passed' ? style.green('✓') : style.red('✗')
  return `  ${mark} ${check.name}: expected ${String(check.expected)}, got ${String(check.actual)}`
}

/** Ctrl-C in a drill: where it stopped, and why it cannot be resumed (its world ends with this process). */
export function renderDrillInterrupted(result: DrillResult): string {
  const at = result.interrupted?.step ? ` at step ${result.interrupted.step}` : ''
  return [
    `Interrupted: drill ${result.drill} stopped${at}. Its world ended with it, so it cannot be resumed.`,
    `Run a new drill with \`jwkr drill --scenario ${result.scenario}\`; \`jwkr drill report ${result.drill}\` shows what this one did.`,
  ].join('\n')
}

/**
 * One line per service of the world, aligned on the id and the result, its facts in words after them:
 * fits 80 columns where a seven-column table broke ids and library names mid-word (issue 15).
 */
export function renderServices(services: readonly ScoredService[], style: Style): string[] {
  const idWidth = Math.max(0, ...services.map((s) => s.id.length))
  const results = services.map((s) => (s.contained ? `contained after ${s.containedAfterSeconds ?? '—'} s` : 'not contained'))
  const resultWidth = Math.max(0, ...results.map((r) => r.length))
  return [
    "Services (contained after: seconds from the incident's opening):",
    ...services.map((s, index) => {
      const mark = s.contained ? style.green('✓') : style.red('✗')
      const result = (results[index] ?? '').padEnd(resultWidth)
      const facts = [
        s.verifier,
        s.behaviour === 'normal' ? undefined : s.behaviour,
        s.guarded ? 'guarded' : undefined,
        s.cacheSeconds === null ? 'cache forever' : `cache ${s.cacheSeconds} s`,
      ].filter((fact) => fact !== undefined)
      return `  ${mark} ${s.id.padEnd(idWidth)}  ${s.contained ? result : style.red(result)}  ${facts.join(', ')}`
    }),
  ]
}
