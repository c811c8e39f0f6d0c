// What templates add to the escaping of core/escape-untrusted.ts: the format a template is in (named
// by its file: `rca.md.hbs` → md), identifiers as code spans, text safe inside a Mermaid block, and
// link targets that cannot run anything. Every value a template prints comes from a journal that
// holds untrusted text, so it is escaped for the format of the document it lands in.
import {escapeMarkdown, neutralise, type DocumentFormat} from '../../core/escape-untrusted.js'

export type OutputFormat = DocumentFormat

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['md', 'html', 'txt', 'mrkdwn']

/** The template's format from its name: `report/rca.md` → md. */
export function formatOfTemplate(name: string): OutputFormat {
  const extension =
    name
      .replace(/\.hbs$/, '')
      .split('.')
      .pop() ?? ''
  return (OUTPUT_FORMATS as readonly string[]).includes(extension) ? (extension as OutputFormat) : 'txt'
}

/**
 * An identifier as code: a Markdown code span whose fence is longer than any backtick run inside
 * (CommonMark §6.1), so nothing in it is markup. A `|` would still end a table cell inside a code
 * span, so such a value is escaped as prose instead.
 */
export function markdownCode(text: string): string {
  const line = neutralise(text).replace(/\s*[\r\n]+\s*/g, ' ')
  if (line === '' || line.includes('|')) return escapeMarkdown(line)
  // A loop, not Math.max(...runs): a value of 300,000 backtick runs would overflow the stack.
  const longest = [...line.matchAll(/`+/g)].reduce((most, run) => Math.max(most, run[0].length), 0)
  const fence = '`'.repeat(longest + 1)
  const pad = line.startsWith('`') || line.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${line}${pad}${fence}`
}

/** Text inside a Mermaid block: letters, digits and harmless punctuation only (`:`, `;`, `#` and brackets are syntax there). */
export function mermaidText(text: string): string {
  const safe = neutralise(text)
    .replace(/[^\p{L}\p{N} ._\-/+,=@']/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return safe.length > 80 ? `${safe.slice(0, 79)}…` : safe || '-'
}

/**
 * A CSS string literal holding the text (for `content:` in a stylesheet, where HTML escaping means
 * nothing): every character but letters, digits, space and `._:,-` as a six-digit CSS escape, so
 * nothing can end the string, the rule or the `<style>` element.
 *
 * @example cssString('a"b') // "a\000022b"
 */
export function cssString(text: string): string {
  const body = [...neutralise(text)]
    .map((c) => (/^[A-Za-z0-9 ._:,-]$/.test(c) ? c : `\\${(c.codePointAt(0) ?? 0).toString(16).padStart(6, '0')}`))
    .join('')
  return `"${body}"`
}

/** A link target that cannot run anything: http(s) only, with the characters that end a Markdown link destination percent-encoded. */
export function safeUrl(value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return null
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null
  return url.href.replace(/[()<>\s"'`]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
}
