// A Markdown document (a drill report, an RCA) for the terminal: headings, tables, lists and code
// spans formatted by marked and marked-terminal instead of shown as Markdown source with its
// escapes (`carol\@host`). Colour only through the given Style, so NO_COLOR and pipes get plain text.
import {Marked} from 'marked'
import {markedTerminal} from 'marked-terminal'

import type {Style} from './style.js'

export interface TerminalMarkdownOptions {
  style: Style
  /** The terminal's width; lines are reflowed to it. Unknown (a pipe, or 0 columns): 100. */
  width?: number
}

/**
 * @example this.log(renderMarkdown(report.text, {style: this.style, width: process.stdout.columns}))
 */
export function renderMarkdown(markdown: string, options: TerminalMarkdownOptions): string {
  const {style} = options
  const marked = new Marked(
    markedTerminal({
      heading: (text) => style.bold(style.underline(text)),
      firstHeading: (text) => style.bold(style.magenta(text)),
      strong: style.bold,
      em: style.italic,
      codespan: style.cyan,
      code: style.cyan,
      blockquote: (text) => style.yellow(text),
      link: style.blue,
      href: (text) => style.underline(style.blue(text)),
      hr: style.dim,
      del: style.strikethrough,
      html: style.dim,
      listitem: (text) => text,
      table: (text) => text,
      paragraph: (text) => text,
      text: (text) => text,
      // 0 columns: a terminal that does not say its width, read as unknown.
      width: Math.max(40, Math.min(options.width === undefined || options.width === 0 ? 100 : options.width, 120)),
      reflowText: true,
      showSectionPrefix: false,
      emoji: false,
      tab: 2,
      tableOptions: {style: {head: [], border: []}},
    }),
    {
      renderer: {
        // marked-terminal leaves the inline Markdown of list items as source with marked ≥ 13
        // (mikaelbr/marked-terminal#304, #371): parse it as marked's own text renderer does.
        text(token) {
          return 'tokens' in token && token.tokens ? this.parser.parseInline(token.tokens) : false
        },
        // …and draws a task's box twice (its own and marked's): keep marked-terminal's.
        checkbox: () => '',
      },
    },
  )
  // A GitHub alert's marker (`> [!WARNING]`) means nothing on a terminal: the quote stays.
  const source = markdown.replace(/^> \[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\n/gm, '')
  return (marked.parse(source, {async: false}) as string).replace(/\n{3,}/g, '\n\n').trimEnd()
}
