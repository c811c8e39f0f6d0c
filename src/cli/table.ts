// The one way jwkr prints a table (issue 15): on a terminal, @oclif/table fits it to the width,
// wrapping (or truncating) cells instead of overflowing; piped, plain tab-separated lines a script
// can cut; with --csv, RFC 4180 CSV. The list commands' --columns, --csv, --no-header and --sort
// (tableFlags) choose what is shown, as in gh and the Heroku CLI.
import {Flags} from '@oclif/core'
import {stringify} from 'csv-stringify/sync'
import {closest} from 'fastest-levenshtein'
import {stripVTControlCharacters} from 'node:util'

import {ExitCode, JwkrError} from '../core/errors.js'
import {colorEnabled} from './style.js'

/**
 * @oclif/table lays tables out for a terminal, and loading it (ink, react, yoga's WebAssembly under
 * it) costs about 0.3 s: more than a whole `tokens scan` of a small log. So it is loaded only where a
 * table is laid out, when stdout is a terminal; piped, CSV and --json output never need it.
 */
let layout: typeof import('@oclif/table') | undefined

/** Loads the terminal layout; done at import when stdout is a terminal. Tests that lay out a terminal's table call it. */
export async function prepareTables(): Promise<void> {
  layout ??= await import('@oclif/table')
}

if (process.stdout.isTTY) await prepareTables()

export interface Column<T> {
  /** The header, and the name --columns and --sort take. */
  name: string
  value: (item: T) => string
  /** What --sort orders by when the text shown does not sort (an age, a count). */
  sortKey?: (item: T) => string | number
  /** Cut a cell too long for its column with an ellipsis instead of wrapping it (default: wrap). */
  truncate?: boolean
}

/** What the reader asked to see: the flags of tableFlags. */
export interface TableView {
  /** Only these columns, in this order. */
  columns?: string[]
  csv?: boolean
  /** False for --no-header. */
  header?: boolean
  /** A column name, `-name` for descending. */
  sort?: string
}

/** Where the table goes: a terminal of some width, or a pipe. */
export interface TableTarget {
  isTTY?: boolean
  columns?: number
  /** Colour on or off (default: as the stream allows, colorEnabled); a document laid out for a pipe has none. */
  colour?: boolean
}

/** Width assumed for a terminal that does not say (as most do at 80 columns). */
const DEFAULT_WIDTH = 80

export const tableFlags = {
  columns: Flags.string({
    description: 'Only these columns, in this order (comma-separated), e.g. --columns id,status.',
    helpGroup: 'TABLE',
  }),
  csv: Flags.boolean({description: 'Print CSV (RFC 4180) instead of a table.', helpGroup: 'TABLE'}),
  'no-header': Flags.boolean({description: 'Leave out the header line.', helpGroup: 'TABLE'}),
  sort: Flags.string({
    description: 'Sort by this column; prefix it with - for descending, e.g. --sort=-age.',
    helpGroup: 'TABLE',
  }),
}

/** The TableView of parsed tableFlags. */
export function tableView(flags: {columns?: string; csv?: boolean; 'no-header'?: boolean; sort?: string}): TableView {
  return {
    columns: flags.columns
      ?.split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
    csv: flags.csv,
    header: !flags['no-header'],
    sort: flags.sort,
  }
}

/**
 * The table as text for `this.log`.
 *
 * @example this.log(renderTable(incidents, [{name: 'id', value: (i) => i.id}], {view: tableView(flags)}))
 */
export function renderTable<T>(
  items: readonly T[],
  columns: readonly Column<T>[],
  options: {view?: TableView; target?: TableTarget} = {},
): string {
  const view = options.view ?? {}
  const target = options.target ?? process.stdout
  const shown = chooseColumns(columns, view.columns)
  const rows = sortItems(items, columns, view.sort).map((item) => shown.map((column) => column.value(item)))
  const header = view.header !== false
  if (view.csv) return plainRows(shown, rows, header, (cells) => stringify([cells], {eof: false}))
  if (!target.isTTY) return plainRows(shown, rows, header, (cells) => cells.map(oneLine).join('\t'))
  return terminalTable(shown, rows, header, target)
}

function chooseColumns<T>(columns: readonly Column<T>[], names: string[] | undefined): Column<T>[] {
  if (names === undefined || names.length === 0) return [...columns]
  return names.map((name) => findColumn(columns, name, '--columns'))
}

function findColumn<T>(columns: readonly Column<T>[], name: string, flag: string): Column<T> {
  const column = columns.find((candidate) => candidate.name === name)
  if (column) return column
  const known = columns.map((candidate) => candidate.name)
  throw new JwkrError('ERR_USAGE', `${flag}: there is no column "${name}" (did you mean "${closest(name, known)}"?).`, {
    hint: `The columns are: ${known.join(', ')}.`,
    exitCode: ExitCode.usage,
  })
}

function sortItems<T>(items: readonly T[], columns: readonly Column<T>[], sort: string | undefined): T[] {
  if (sort === undefined || sort === '') return [...items]
  const descending = sort.startsWith('-')
  const column = findColumn(columns, descending ? sort.slice(1) : sort, '--sort')
  const key = column.sortKey ?? column.value
  const ordered = [...items].sort((a, b) => compare(key(a), key(b)))
  return descending ? ordered.reverse() : ordered
}

function compare(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a).localeCompare(String(b), 'en', {numeric: true})
}

/** Lines without layout (piped, CSV): one item a line, no colour. */
function plainRows<T>(columns: Column<T>[], rows: string[][], header: boolean, line: (cells: string[]) => string): string {
  const all = header ? [columns.map((column) => column.name), ...rows] : rows
  return all.map((cells) => line(cells.map((cell) => stripVTControlCharacters(cell)))).join('\n')
}

/** A cell on one line: its own lines joined by "; ", tabs as spaces. */
function oneLine(cell: string): string {
  return cell
    .split(/\s*\n\s*/)
    .filter((part) => part !== '')
    .join('; ')
    .replaceAll('\t', ' ')
}

function terminalTable<T>(columns: Column<T>[], rows: string[][], header: boolean, target: TableTarget): string {
  const colour = target.colour ?? colorEnabled(target)
  const keys = columns.map((_, index) => `c${index}`)
  const data = rows.map((cells) => Object.fromEntries(cells.map((cell, index) => [keys[index] ?? '', cell])))
  if (layout === undefined) throw new Error('renderTable: a table for a terminal needs prepareTables() first')
  const text = layout.makeTable({
    data,
    columns: columns.map((column, index) => ({
      key: keys[index] ?? '',
      name: header ? column.name : '',
      ...(column.truncate ? {overflow: 'truncate-end' as const} : {}),
    })),
    maxWidth: target.columns || DEFAULT_WIDTH,
    overflow: 'wrap',
    borderStyle: 'none',
    noStyle: !colour,
    headerOptions: {bold: true, color: undefined},
  })
  // The renderer pads every line to the table's width and frames it with blank lines; neither is ours to keep.
  const lines = text.split('\n').map((line) => line.trimEnd())
  while (lines.length > 0 && stripVTControlCharacters(lines[0] ?? '').trim() === '') lines.shift()
  while (lines.length > 0 && lines.at(-1) === '') lines.pop()
  return lines.join('\n')
}
