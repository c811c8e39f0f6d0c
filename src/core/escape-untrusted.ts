// Escaping of untrusted text, per sink, in one place. Whatever jwkr did not write itself — a kid,
// claims, file paths, what a JWKS or an API answered — may carry control characters or markup: an
// escape sequence in a kid can clear or rewrite the responder's terminal, `<!channel>` in a claim
// pings a whole Slack workspace, `[x](javascript:…)` makes a link in a report, a bidirectional
// override reorders what a reader sees ("Trojan Source"). Every output path escapes through here:
//
//   terminal  `terminalOutput` on everything written to stdout/stderr (base command, engine UI)
//   JSON      `jsonOutput` for every --json document
//   md, html, mrkdwn, txt   `escapeFor` on each value a template or a Slack message prints
//
// Documents drop invisible characters (they have no business in a report); the terminal shows them
// as `\xHH` / `\uHHHH`, so that a responder sees that a kid holds an escape sequence.

/** The formats of documents jwkr renders: Markdown, HTML, Slack mrkdwn, plain text. */
export type DocumentFormat = 'md' | 'html' | 'txt' | 'mrkdwn'

/**
 * C0 and C1 control characters (tab and line feed aside: a carriage return can overwrite a line),
 * DEL, line and paragraph separators, bidirectional controls and invisible marks: they can hide or
 * reorder text, or drive a terminal.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\u061c\ufeff]/g

/**
 * The only escape sequences jwkr writes itself: SGR colours of its palette (bold, dim, red, green,
 * yellow, cyan and their resets, as picocolors writes them). Kept when colour is on; anything else
 * that starts with ESC — cursor moves, screen clears, OSC titles and hyperlinks — is shown escaped.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const OWN_SGR = /\u001b\[(?:0|1|2|22|31|32|33|36|39)m/y

/** Characters that start Markdown (GFM) markup anywhere in a line: emphasis, code, links, HTML, tables, entities, mentions, references. */
const MARKDOWN_INLINE = /[\\`*_[\]<>|~&@#]/g
/** Markup that only counts at the start of a line: lists, headings underlined, block quotes, ordered lists. */
const MARKDOWN_LINE_START = /^(\s*)([-+=]|\d+(?=[.)]))/

/** What HTML (and Handlebars) escape: the characters that end text, attributes or start markup. */
const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
  '`': '&#x60;',
  '=': '&#x3D;',
}

/**
 * The text without invisible characters (tabs and line feeds stay).
 *
 * @example neutralise('kid\u202e1') // 'kid1'
 */
export function neutralise(text: string): string {
  return text.replace(UNSAFE, '')
}

/**
 * Markdown prose: one line, every markup character backslash-escaped (CommonMark §2.4: any ASCII
 * punctuation may be).
 *
 * @example escapeMarkdown('[x](javascript:alert(1))') // '\\[x\\](javascript:alert(1))'
 */
export function escapeMarkdown(text: string): string {
  const line = neutralise(text).replace(/\s*[\r\n]+\s*/g, ' ')
  return line
    .replace(MARKDOWN_INLINE, '\\$&')
    .replace(MARKDOWN_LINE_START, (_match, space: string, mark: string) =>
      /^\d+$/.test(mark) ? `${space}${mark}\\` : `${space}\\${mark}`,
    )
}

/** @example escapeHtml('</script>') // '&lt;/script&gt;' */
export function escapeHtml(text: string): string {
  return neutralise(text).replace(/[&<>"'`=]/g, (char) => HTML_ENTITIES[char] ?? char)
}

/**
 * Slack mrkdwn: `&`, `<` and `>` are the characters Slack asks to escape (they start links,
 * mentions and dates); control characters go too.
 *
 * @example escapeMrkdwn('<!channel> & co') // '&lt;!channel&gt; &amp; co'
 */
export function escapeMrkdwn(text: string): string {
  return neutralise(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** One untrusted value, escaped for the document format it lands in. */
export function escapeFor(format: DocumentFormat, text: string): string {
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
 * Text about to be written to a terminal: every control character but tab and line feed shown as
 * `\xHH` (or `\uHHHH`), so nothing in it moves the cursor, clears the screen or sets a title; with
 * `colour`, jwkr's own colour sequences are kept.
 *
 * @example terminalOutput('kid \u001b[2J', {colour: false}) // 'kid \\x1b[2J'
 */
export function terminalOutput(text: string, options: {colour: boolean}): string {
  // \r\n is a line break written on Windows, not a return to the start of the line.
  const lines = text.replace(/\r\n/g, '\n')
  if (!options.colour) return lines.replace(UNSAFE, visible)
  let out = ''
  let from = 0
  for (const match of lines.matchAll(UNSAFE)) {
    const at = match.index
    if (at < from) continue
    OWN_SGR.lastIndex = at
    const own = OWN_SGR.exec(lines)
    out += lines.slice(from, at) + (own ? own[0] : visible(match[0]))
    from = own ? at + own[0].length : at + 1
  }
  return out + lines.slice(from)
}

/**
 * A --json document: JSON.stringify escapes C0 controls, and this escapes what it leaves raw (DEL,
 * C1 controls, line and paragraph separators, bidirectional and invisible marks) as `\uHHHH`. The
 * values are unchanged for any JSON reader; a terminal showing the text is never driven by them.
 *
 * @example jsonOutput({kid: 'a\u009b2J'}) // '{\n  "kid": "a\\u009b2J"\n}'
 */
export function jsonOutput(value: unknown): string {
  return (JSON.stringify(value, null, 2) ?? 'null').replace(UNSAFE, (char) => `\\u${hex(char, 4)}`)
}

function visible(char: string): string {
  const code = char.charCodeAt(0)
  return code < 0x100 ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`
}

function hex(char: string, width: number): string {
  return char.charCodeAt(0).toString(16).padStart(width, '0')
}
