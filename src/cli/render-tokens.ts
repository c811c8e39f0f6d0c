// The human report of `jwkr tokens scan`: the verdict, a table of counts per class, who and what the
// valid tokens cover, a few examples (signature removed), and what to do next. Claims come from
// tokens that may be forged: control characters are replaced before they reach a terminal.
import type {TokenScanResult} from '../services/triage.js'
import {formatSize} from '../core/size.js'
import {formatSpan} from '../core/duration.js'
import type {Style} from './style.js'
import {renderTable} from './table.js'

const LISTED = 5

/**
 * @example this.log(renderTokens(result, this.style))
 */
export function renderTokens(result: TokenScanResult, style: Style): string {
  const {counts} = result
  const valid = counts['signed-with-leaked-key'] + counts['suspected-forgery']
  const kids = keyKids(result.key)
  const blocks = [`${style.bold('Leaked key')} ${result.key.thumbprint ?? ''}${kids === '' ? '' : style.dim(kids)}`]
  blocks.push(verdict(result, style))
  const rows: [string, number][] = [
    [style.red('suspected-forgery'), counts['suspected-forgery']],
    ['signed-with-leaked-key', counts['signed-with-leaked-key']],
    ['kid-match-bad-signature', counts['kid-match-bad-signature']],
    [style.dim('other (not this key)'), counts.other],
  ]
  if (result.window.since !== null || result.window.until !== null) {
    rows.push([style.dim('outside --since/--until'), counts['outside-window']])
  }
  blocks.push(
    renderTable(rows, [
      {name: 'tokens', value: ([label]) => label},
      {name: 'count', value: ([, count]) => number(count)},
    ]),
  )
  if (result.canaries > 0) {
    const by =
      result.canariesBy === 'journal'
        ? "jwkr's own containment probes, by the jtis the incident sent"
        : "told by their label (jti jwkr-canary-…, sub jwkr-canary) alone: anyone with the key can wear it; run tokens.scan in the incident's playbook to check them against the probes it sent"
    blocks.push(style.dim(`canaries seen: ${number(result.canaries)} (${by}; left out of the counts, subjects and examples)`))
  }
  if (result.canaryImpostors > 0) {
    blocks.push(
      style.red(
        `labelled as canaries but never sent by this incident: ${number(result.canaryImpostors)} (triaged like any token: most likely forgeries)`,
      ),
    )
  }
  if (valid > 0) blocks.push(coverage(result))
  if (result.examples.length > 0) {
    blocks.push(
      [
        style.bold('Examples') + style.dim(' (signature removed: no longer usable as credentials)'),
        ...result.examples.map((example) => `  ${example.class}  ${example.source}\n    ${example.token}`),
      ].join('\n'),
    )
  }
  blocks.push([style.bold('Next'), ...nextSteps(result).map((step) => `  - ${step}`)].join('\n'))
  blocks.push(footer(result, style))
  return blocks.join('\n\n')
}

function verdict(result: TokenScanResult, style: Style): string {
  const {counts} = result
  const valid = counts['signed-with-leaked-key'] + counts['suspected-forgery']
  if (counts['suspected-forgery'] > 0) {
    return style.red(
      style.bold(
        `${plural(counts['suspected-forgery'], 'valid token')} ${counts['suspected-forgery'] === 1 ? 'was' : 'were'} never issued by the issuer: ` +
          'the key has been used by someone else.',
      ),
    )
  }
  if (valid > 0)
    return style.yellow(
      style.bold(`${plural(valid, 'token')} in the logs ${valid === 1 ? 'is' : 'are'} signed with the leaked key.`),
    )
  if (counts['kid-match-bad-signature'] > 0) {
    return style.yellow(
      `No valid token signed with the key, but ${plural(counts['kid-match-bad-signature'], 'token')} claim it with a bad signature.`,
    )
  }
  return style.green('No token in the logs is signed with the leaked key.')
}

function coverage(result: TokenScanResult): string {
  const lines = [
    `Issued (iat) ${result.iat.first ?? 'unknown'} – ${result.iat.last ?? 'unknown'}` +
      (result.firstForgeryAt === null ? '' : `; the first forgery ${result.firstForgeryAt}`),
    `Subjects ${number(result.subjects)}; issuers ${listed(result.issuers)}; audiences ${listed(result.audiences)}`,
  ]
  const lifetime = result.longestRemainingLifetime
  if (lifetime !== null) {
    lines.push(
      lifetime.seconds > 0
        ? `The last of them expires ${lifetime.expires ?? 'far in the future'} (in ${formatSpan(lifetime.seconds)}).`
        : 'All of them have expired.',
    )
  }
  if (result.withoutExpiry > 0) {
    lines.push(
      `${plural(result.withoutExpiry, 'token')} ${result.withoutExpiry === 1 ? 'has' : 'have'} no exp: never expiring by themselves.`,
    )
  }
  return lines.join('\n')
}

function nextSteps(result: TokenScanResult): string[] {
  const {counts} = result
  const valid = counts['signed-with-leaked-key'] + counts['suspected-forgery']
  const steps: string[] = []
  if (counts['suspected-forgery'] > 0) {
    steps.push(
      'Treat the forgeries as an active attack: the key is in use. Contain it now (rotate, revoke, denylist) and keep these logs as evidence.',
    )
  }
  if (valid > 0) {
    steps.push(
      result.subjectsOut === null
        ? `Notify the ${number(result.subjects)} affected subjects: rerun with --subjects-out FILE for the list (CSV).`
        : `Notify the ${number(result.subjects)} affected subjects listed in ${result.subjectsOut}.`,
    )
    if (result.issuedLog === null)
      steps.push("Rerun with --issued-log FILE (the issuer's issued jtis) to tell forgeries from real tokens.")
    const lifetime = result.longestRemainingLifetime
    if (result.withoutExpiry > 0 || (lifetime !== null && lifetime.seconds > 0)) {
      steps.push('Tokens signed with the key are still valid: denylist the key at every relying party, not only at the issuer.')
    }
  }
  if (counts['kid-match-bad-signature'] > 0) {
    steps.push(
      'Tokens claim the key with a bad signature: someone is probing. Check that every relying party verifies signatures and pins algorithms.',
    )
  }
  if (steps.length === 0)
    steps.push('Scan the logs of every service that trusts the issuer, over the whole time the key was exposed.')
  return steps
}

function footer(result: TokenScanResult, style: Style): string {
  const lines = [
    `Read ${plural(result.sources, 'file')} (${formatSize(result.bytesRead)}), found ${plural(result.tokens, 'token')}.`,
  ]
  if (result.mode === 'all')
    lines.push(
      "The key has no kid (pass the kids it is published under with --kid): tokens are told apart by their signatures only, and a bad signature cannot be told from another key's token.",
    )
  const {unreadable} = result.skipped
  if (unreadable > 0) lines.push(`Skipped ${plural(unreadable, 'unreadable file')}.`)
  const text = style.dim(lines.join('\n'))
  return result.problems.length === 0
    ? text
    : `${text}\n${result.problems.map((problem) => style.yellow(`! ${clean(problem)}`)).join('\n')}`
}

/** " (kid k1)", or " (kid k1; published as k2, k3)" with the kids given besides the key's own. */
function keyKids(key: TokenScanResult['key']): string {
  const published = key.kids.filter((kid) => kid !== key.kid)
  const parts = [
    ...(key.kid === null ? [] : [`kid ${clean(key.kid)}`]),
    ...(published.length === 0 ? [] : [`published as ${published.map(clean).join(', ')}`]),
  ]
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`
}

function listed(values: string[]): string {
  if (values.length === 0) return 'none'
  const shown = values.slice(0, LISTED).map(clean).join(', ')
  return values.length > LISTED ? `${shown} and ${number(values.length - LISTED)} more` : shown
}

/** Claims are attacker input: no escape sequence from a forged token reaches the terminal. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
}

function number(count: number): string {
  return count.toLocaleString('en')
}

function plural(count: number, one: string): string {
  return `${number(count)} ${count === 1 ? one : `${one}s`}`
}
