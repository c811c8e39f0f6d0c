// A Markdown document (a drill report, an RCA) for the terminal: headings, tables, lists and code
// spans formatted by marked and marked-terminal instead of shown as Markdown source with its
// escapes (`carol\@host`). Colour only through the given Style and only in its palette (bold, dim,
// yellow, cyan: what the terminal output keeps, escape-untrusted.ts), so NO_COLOR and pipes get
// plain text and a terminal never shows an escape code as text. Tables go through the one table
// renderer (table.ts), fitted to the width, or as a list where they cannot fit; code blocks are never
// highlighted (cli-highlight would colour outside the palette, and warns about languages it lacks).
import {Marked, type Tokens} from 'marked'
import {markedTerminal} from 'marked-terminal'
import {stripVTControlCharacters} from 'node:util'
import wrapAnsi from 'wrap-ansi'

import type {Style} from './style.js'
import {renderTable} from './table.js'

export interface TerminalMarkdownOptions {
  style: Style
  /** The terminal's width; lines are reflowed to it. Unknown (a pipe, or 0 columns): 100. */
  width?: number
  /** What stands in for a Mermaid diagram, which a terminal cannot draw (default: a sentence saying so). */
  diagram?: string
}

/** marked-terminal's stand-in for `:` inside code spans, undone where it renders a paragraph. */
const COLON_REPLACER = '*#COLON|*'

/** A table's columns are never narrower than this (a wider table becomes a list). */
const MIN_COLUMN = 6

/**
 * @example this.log(renderMarkdown(report.text, {style: this.style, width: process.stdout.columns}))
 */
export function renderMarkdown(markdown: string, options: TerminalMarkdownOptions): string {
  const {style} = options
  const plain = (text: string): string => text
  // 0 columns: a terminal that does not say its width, read as unknown.
  const width = Math.max(40, Math.min(options.width === undefined || options.width === 0 ? 100 : options.width, 120))
  const diagram = options.diagram ?? '(A Mermaid diagram: a terminal cannot draw it; the HTML version of this document does.)'
  const marked = new Marked(
    markedTerminal({
      heading: style.bold,
      firstHeading: style.bold,
      strong: style.bold,
      em: plain,
      codespan: style.cyan,
      code: style.cyan,
      blockquote: (text) => style.yellow(text),
      link: plain,
      href: plain,
      hr: style.dim,
      del: plain,
      html: style.dim,
      listitem: plain,
      table: plain,
      paragraph: plain,
      text: plain,
      width,
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
        // A link as its text and address: marked-terminal writes an OSC 8 hyperlink where it guesses
        // the terminal takes one, which the terminal output shows escaped.
        link(token) {
          const text = this.parser.parseInline(token.tokens)
          return stripVTControlCharacters(text) === token.href || text === '' ? token.href : `${text} (${token.href})`
        },
        code(token) {
          if (token.lang?.trim().toLowerCase() === 'mermaid') return `${style.dim(reflow(diagram, width))}\n\n`
          const lines = wrapAnsi(token.text, width - 2, {hard: true, trim: false}).split('\n')
          return `${lines.map((line) => `  ${style.cyan(line)}`).join('\n')}\n\n`
        },
        table(token) {
          const cell = (item: Tokens.TableCell): string => unescape(this.parser.parseInline(item.tokens))
          const header = token.header.map(cell)
          const rows = token.rows.map((row) => row.map(cell))
          return `${fitTable(header, rows, width, style)}\n\n`
        },
      },
    },
  )
  // A GitHub alert's marker (`> [!WARNING]`) means nothing on a terminal: the quote stays.
  const source = markdown.replace(/^> \[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\n/gm, '')
  const text = (marked.parse(source, {async: false}) as string).replace(/\n{3,}/g, '\n\n').trimEnd()
  return text
    .split('\n')
    .map((line) => fitLine(line, width))
    .join('\n')
}

/**
 * A line within the width (marked-terminal leaves list items and quotes unreflowed): wrapped at word
 * boundaries, its continuation lines under the text after its indent and bullet.
 */
function fitLine(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line
  // The indent and bullet, where the line starts with them outside any colour.
  const lead = /^\s*(?:[*-] )?/.exec(line)?.[0] ?? ''
  return indent(line.slice(lead.length), lead, width)
}

function visibleWidth(text: string): number {
  return [...stripVTControlCharacters(text)].length
}

/**
 * A table within `width` columns: laid out by table.ts (cells wrapped at word boundaries) when every
 * column can hold its longest word, else one item per row, `Header: value` under its first cell.
 */
export function fitTable(header: string[], rows: string[][], width: number, style: Style): string {
  const words = header.map((name, index) =>
    Math.max(MIN_COLUMN, longestWord(name), ...rows.map((row) => longestWord(row[index] ?? ''))),
  )
  // table.ts lays cells out with one space of padding each side, and no border.
  const least = words.reduce((sum, word) => sum + word + 2, 0)
  if (least <= width) {
    const columns = header.map((name, index) => ({name, value: (row: string[]) => row[index] ?? ''}))
    return renderTable(rows, columns, {target: {isTTY: true, columns: width, colour: style.isColorSupported}})
  }
  return rows
    .map((row) => {
      const [first = '', ...rest] = row
      const facts = rest
        .map((value, index) => {
          const name = header[index + 1] ?? ''
          return name === '' ? value : `${style.bold(`${name}:`)} ${value}`
        })
        .filter((fact) => stripVTControlCharacters(fact).trim() !== '')
      const head = header[0] ? `${style.bold(`${header[0]}:`)} ${first}` : first
      return [head, ...facts].map((line, index) => indent(line, index === 0 ? '- ' : '  ', width)).join('\n')
    })
    .join('\n')
}

/** Text wrapped to the width at word boundaries, a word too long for it cut. */
function reflow(text: string, width: number): string {
  return wrapAnsi(text, width, {hard: true})
}

/** A line wrapped to the width, its first line after `lead`, the others under it. */
function indent(line: string, lead: string, width: number): string {
  const pad = ' '.repeat(lead.length)
  return reflow(line, width - lead.length)
    .split('\n')
    .map((part, index) => `${index === 0 ? lead : pad}${part}`)
    .join('\n')
}

function longestWord(text: string): number {
  return Math.max(0, ...text.split(/\s+/).map(visibleWidth))
}

/** What marked-terminal leaves for its paragraph renderer to undo: its stand-in for `:` and HTML entities. */
function unescape(text: string): string {
  return text
    .replaceAll(COLON_REPLACER, ':')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
}
