// Escaping for Slack's mrkdwn. Anything jwkr did not write itself (a kid, claims, file paths, values
// from a JWKS or a log) may hold Slack control sequences — `<!channel>`, `<https://evil|click>`,
// `<@U123>` — or formatting, and control characters. Escaped here (the characters by
// core/escape-untrusted.ts), such a value is shown as written and never acted on.
import {escapeMrkdwn} from '../escape-untrusted.js'

/** Longest untrusted value shown in one place; Block Kit texts are capped at 2,000–3,000 characters. */
export const MAX_VALUE_LENGTH = 300

/**
 * An untrusted value as inline code: escaped, on one line, cut to `max` characters, backticks
 * replaced by the look-alike `ˋ` (Slack has no escape for them) — so `*bold*` stays `*bold*`
 * instead of turning bold. An empty or missing value is shown as an em dash.
 *
 * @example mrkdwnCode('<https://evil|click>') // '`&lt;https://evil|click&gt;`'
 */
export function mrkdwnCode(value: string | null | undefined, max = MAX_VALUE_LENGTH): string {
  if (value === null || value === undefined || value === '') return '—'
  const flat = truncate(value.replace(/\s+/g, ' ').trim(), max).replace(/`/g, 'ˋ')
  return `\`${escapeMrkdwn(flat)}\``
}

/**
 * A name or short text that should read as prose (a step title): escaped, on one line, cut to
 * `max`, and shown as inline code only when it holds a formatting character (`*`, `_`, `~`, `` ` ``),
 * since Slack has no other way to show those as written.
 *
 * @example mrkdwnText('Rotate the key') // 'Rotate the key'
 * @example mrkdwnText('*bold*') // '`*bold*`'
 */
export function mrkdwnText(value: string, max = MAX_VALUE_LENGTH): string {
  const flat = value.replace(/\s+/g, ' ').trim()
  return /[*_~`]/.test(flat) ? mrkdwnCode(flat, max) : escapeMrkdwn(truncate(flat, max))
}

/**
 * Untrusted text of several lines (an error message that may quote what it refused) as a
 * preformatted block, where Slack applies no formatting. Escaped and cut like `mrkdwnCode`.
 */
export function mrkdwnCodeBlock(text: string, max = MAX_VALUE_LENGTH * 3): string {
  const body = truncate(text.trim(), max).replace(/`/g, 'ˋ')
  return `\`\`\`${escapeMrkdwn(body === '' ? '—' : body)}\`\`\``
}

/** Cuts before escaping, so an entity like `&amp;` is never cut in half. */
function truncate(text: string, max: number): string {
  const chars = [...text]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text
}
