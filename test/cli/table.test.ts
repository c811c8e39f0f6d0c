// The one table renderer (issue 15): fits the terminal, wraps or truncates cells, prints plain
// tab-separated lines when piped and CSV on request, and chooses, sorts and hides columns.
import {stripVTControlCharacters} from 'node:util'
import {beforeAll, describe, expect, it} from 'vitest'

import {prepareTables, renderTable, tableView, type Column} from '../../src/cli/table.js'
import {JwkrError} from '../../src/core/errors.js'

interface Row {
  id: string
  status: string
  age: number
  note: string
}

const rows: Row[] = [
  {
    id: '2026-12-06-3f9a1c-2',
    status: 'running',
    age: 7200,
    note: 'its condition is false: the input logs was not given to the playbook, so token triage was skipped entirely',
  },
  {id: '2026-12-06-ab12cd', status: 'open', age: 30, note: 'contacts\n#payments-oncall\npayments@example.com'},
  {id: '2026-12-05-ffffff', status: 'closed', age: 600, note: 'done'},
]

const columns: Column<Row>[] = [
  {name: 'id', value: (row) => row.id},
  {name: 'status', value: (row) => row.status},
  {name: 'age', value: (row) => `${row.age}s`, sortKey: (row) => row.age},
  {name: 'note', value: (row) => row.note},
]

function widest(text: string): number {
  return Math.max(
    ...stripVTControlCharacters(text)
      .split('\n')
      .map((line) => line.length),
  )
}

// stdout is not a terminal here: the terminal's layout is loaded as a command on a terminal loads it.
beforeAll(prepareTables)

describe('renderTable', () => {
  for (const width of [80, 120]) {
    it(`fits a ${width}-column terminal, wrapping long cells at word boundaries`, () => {
      // Given a terminal of that width, and a note far longer than it
      // When the table is rendered
      const text = renderTable(rows, columns, {target: {isTTY: true, columns: width}})
      // Then no line is wider than the terminal, every word of the note is there, and none is cut in two
      expect(widest(text)).toBeLessThanOrEqual(width)
      expect(text.split('\n')[0]).toMatch(/^\s*id\s+status\s+age\s+note$/)
      const words = stripVTControlCharacters(text).split(/\s+/)
      for (const word of rows[0]!.note.split(' ')) expect(words).toContain(word)
    })
  }

  it('draws no box and keeps a cell that fits on one line', () => {
    const text = renderTable(rows, columns, {target: {isTTY: true, columns: 200}})
    expect(text).not.toMatch(/[│┌─]/)
    expect(text).toMatch(/2026-12-05-ffffff\s+closed\s+600s\s+done$/m)
  })

  it('truncates a column marked truncate instead of wrapping it', () => {
    const url: Column<Row> = {name: 'url', value: (row) => `https://example.com/${row.note.replaceAll(' ', '-')}`, truncate: true}
    const text = renderTable(rows.slice(0, 1), [columns[0]!, url], {target: {isTTY: true, columns: 60}})
    expect(widest(text)).toBeLessThanOrEqual(60)
    expect(text.split('\n')).toHaveLength(2)
    expect(text).toContain('…')
  })

  it('prints tab-separated lines when piped: one item a line, a multi-line cell joined by "; ", no colour', () => {
    const coloured = [{...rows[1]!, status: '\u001b[31mopen\u001b[39m'}]
    const text = renderTable(coloured, columns, {target: {isTTY: false}})
    expect(text).toBe('id\tstatus\tage\tnote\n2026-12-06-ab12cd\topen\t30s\tcontacts; #payments-oncall; payments@example.com')
  })

  it('prints RFC 4180 CSV with --csv, quoting what needs it', () => {
    const text = renderTable(rows.slice(1), columns, {view: {csv: true}, target: {isTTY: true, columns: 80}})
    expect(text).toBe(
      'id,status,age,note\n2026-12-06-ab12cd,open,30s,"contacts\n#payments-oncall\npayments@example.com"\n2026-12-05-ffffff,closed,600s,done',
    )
  })

  it('shows only --columns, in their order, and leaves out the header with --no-header', () => {
    const view = tableView({columns: 'status, id', 'no-header': true})
    expect(renderTable(rows, columns, {view, target: {isTTY: false}})).toBe(
      'running\t2026-12-06-3f9a1c-2\nopen\t2026-12-06-ab12cd\nclosed\t2026-12-05-ffffff',
    )
    const onTerminal = renderTable(rows, columns, {view, target: {isTTY: true, columns: 80}})
    expect(onTerminal.split('\n')).toHaveLength(3)
    expect(onTerminal.split('\n')[0]).toMatch(/^\s*running\s+2026-12-06-3f9a1c-2$/)
  })

  it('sorts by a column, by its sort key, descending with a leading -', () => {
    const ids = (sort: string) =>
      renderTable(rows, columns, {view: {sort, columns: ['id'], header: false}, target: {isTTY: false}}).split('\n')
    expect(ids('age')).toEqual(['2026-12-06-ab12cd', '2026-12-05-ffffff', '2026-12-06-3f9a1c-2'])
    expect(ids('-age')).toEqual(['2026-12-06-3f9a1c-2', '2026-12-05-ffffff', '2026-12-06-ab12cd'])
    expect(ids('id')).toEqual(['2026-12-05-ffffff', '2026-12-06-3f9a1c-2', '2026-12-06-ab12cd'])
  })

  it('refuses an unknown column with a usage error that suggests the nearest and lists them all', () => {
    const attempt = () => renderTable(rows, columns, {view: {columns: ['stauts']}, target: {isTTY: false}})
    expect(attempt).toThrow(JwkrError)
    expect(attempt).toThrow('--columns: there is no column "stauts" (did you mean "status"?).')
    try {
      renderTable(rows, columns, {view: {sort: '-agee'}, target: {isTTY: false}})
    } catch (error) {
      expect((error as JwkrError).code).toBe('ERR_USAGE')
      expect((error as JwkrError).hint).toBe('The columns are: id, status, age, note.')
      expect((error as JwkrError).exitCode).toBe(2)
    }
    expect.assertions(5)
  })
})
