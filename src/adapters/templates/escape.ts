// Escaping per output format. Every value a template prints comes from a journal that holds
// untrusted text (a kid, claims, file paths, answers of remote servers), so it is escaped for the
// format of the document it lands in: a kid of `<!channel>`, `[x](javascript:…)` or `</script>` is
// shown, never acted on. Formats are named by the template's file name: `rca.md.hbs` → md.
import Handlebars from 'handlebars'

export type OutputFormat = 'md' | 'html' | 'txt' | 'mrkdwn'

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['md', 'html', 'txt', 'mrkdwn']

/**
 * Control characters, bidirectional overrides and invisible marks: they can hide or reorder text in
 * a document ("Trojan Source"), so no format keeps them. Tabs and line breaks stay.
 */
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]/g

/** Characters that start Markdown (GFM) markup anywhere in a line: emphasis, code, links, HTML, tables, entities, mentions, references. */
const MARKDOWN_INLINE = /[\\`*_[\]<>|~&@#]/g
/** Markup that only counts at the start of a line: lists, headings underlined, block quotes, ordered lists. */
const MARKDOWN_LINE_START = /^(\s*)([-+=]|\d+(?=[.)]))/

/** The template's format from its name: `report/rca.md` → md. */
export function formatOfTemplate(name: string): OutputFormat {
  const extension =
    name
      .replace(/\.hbs$/, '')
      .split('.')
      .pop() ?? ''
  return (OUTPUT_FORMATS as readonly string[]).includes(extension) ? (extension as OutputFormat) : 'txt'
}

export function neutralise(text: string): string {
  return text.replace(INVISIBLE, '')
}

/** Markdown prose: one line, every markup character backslash-escaped (CommonMark: any ASCII punctuation may be). */
export function escapeMarkdown(text: string): string {
  const line = neutralise(text).replace(/\s*[\r\n]+\s*/g, ' ')
  return line
    .replace(MARKDOWN_INLINE, '\\$&')
    .replace(MARKDOWN_LINE_START, (_match, space: string, mark: string) =>
      /^\d+$/.test(mark) ? `${space}${mark}\\` : `${space}\\${mark}`,
    )
}

export function escapeHtml(text: string): string {
  return Handlebars.Utils.escapeExpression(neutralise(text))
}

/** Slack mrkdwn: `&`, `<` and `>` are the characters Slack asks to escape (they start links and mentions). */
export function escapeMrkdwn(text: string): string {
  return neutralise(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function escapeFor(format: OutputFormat, text: string): string {
  switch (format) {
    case 'md':
      return escapeMarkdown(text)
    case 'html':
      return escapeHtml(text)
    case 'mrkdwn':
      return escapeMrkdwn(text)
    case 'txt':
      return neutralise(text)
  }
}

/**
 * An identifier as code: a Markdown code span whose fence is longer than any backtick run inside
 * (CommonMark §6.1), so nothing in it is markup. A `|` would still end a table cell inside a code
 * span, so such a value is escaped as prose instead.
 */
export function markdownCode(text: string): string {
  const line = neutralise(text).replace(/\s*[\r\n]+\s*/g, ' ')
  if (line === '' || line.includes('|')) return escapeMarkdown(line)
  const longest = Math.max(0, ...[...line.matchAll(/`+/g)].map((run) => run[0].length))
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
