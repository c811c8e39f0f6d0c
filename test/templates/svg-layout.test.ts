// The drawn timeline of the HTML RCA, parsed as SVG and measured: no two labels, marks or bars
// overlap, the contained line never crosses a mark, and nothing leaves the viewBox, on the clean, the
// failed and the outage fixture incidents. Text is measured with a conservative width per character.
import {XMLParser} from 'fast-xml-parser'
import {describe, expect, it} from 'vitest'

import {loadTemplates} from '../../src/adapters/templates/template-set.js'
import {buildReport} from '../../src/core/report/build-report.js'
import {renderDocument} from '../../src/services/report.js'
import {CONTAINED_ID, FAILED_ID, fixtureEvents, FIXTURE_NOW, OUTAGE_ID} from '../core/report/fixture.js'
import {eventsOf, OPENED} from '../core/report/fixture.js'

interface Box {
  what: string
  x0: number
  y0: number
  x1: number
  y1: number
}

type XmlNode = Record<string, unknown> & {':@'?: Record<string, string>}

const CHAR = 0.62

async function chartOf(events: Parameters<typeof buildReport>[0]): Promise<string> {
  const html = renderDocument(await loadTemplates(), buildReport(events, {now: FIXTURE_NOW}), {kind: 'rca', format: 'html'})
  const svg = /<svg class="chart"[\s\S]*?<\/svg>/.exec(html)?.[0]
  if (!svg) throw new Error('The RCA draws no chart')
  return svg
}

/** Every drawn element of the chart with its box, in drawing order. */
function measure(svg: string): {viewBox: Box; boxes: Box[]; numbers: Box[]; lines: Box[]} {
  const parser = new XMLParser({ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, trimValues: false})
  const root = (parser.parse(svg) as XmlNode[])[0] as XmlNode
  const [, , width, height] = (root[':@']?.viewBox ?? '').split(' ').map(Number)
  const boxes: Box[] = []
  const numbers: Box[] = []
  const lines: Box[] = []
  for (const node of root.svg as XmlNode[]) {
    const [tag] = Object.keys(node).filter((key) => key !== ':@')
    const at = node[':@'] ?? {}
    const n = (name: string) => Number(at[name])
    if (tag === 'text') {
      const label = String(((node.text as XmlNode[])[0] as {'#text'?: unknown})?.['#text'] ?? '')
      const size = n('font-size')
      expect(size, `a text without a font size: ${label}`).toBeGreaterThan(0)
      const w = [...label].length * size * CHAR
      const anchor = at['text-anchor'] ?? 'start'
      const x0 = anchor === 'middle' ? n('x') - w / 2 : anchor === 'end' ? n('x') - w : n('x')
      const box = {what: `text "${label}"`, x0, y0: n('y') - size * 0.8, x1: x0 + w, y1: n('y') + size * 0.25}
      ;(at.class === 'mark-n' ? numbers : boxes).push(box)
    } else if (tag === 'path') {
      const values = (at.d ?? '').match(/-?\d+(\.\d+)?/g)?.map(Number) ?? []
      const xs = values.filter((_, i) => i % 2 === 0)
      const ys = values.filter((_, i) => i % 2 === 1)
      boxes.push({
        what: `${at.class} ${at.d?.slice(0, 20)}`,
        x0: Math.min(...xs),
        y0: Math.min(...ys),
        x1: Math.max(...xs),
        y1: Math.max(...ys),
      })
    } else if (tag === 'rect') {
      boxes.push({what: `bar at ${n('y')}`, x0: n('x'), y0: n('y'), x1: n('x') + n('width'), y1: n('y') + n('height')})
    } else if (tag === 'line' && at.class === 'contained-line') {
      lines.push({what: 'contained line', x0: n('x1') - 1, y0: n('y1'), x1: n('x2') + 1, y1: n('y2')})
    }
  }
  return {viewBox: {what: 'viewBox', x0: 0, y0: 0, x1: width ?? 0, y1: height ?? 0}, boxes, numbers, lines}
}

function overlap(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

function inside(box: Box, outer: Box): boolean {
  return box.x0 >= outer.x0 && box.y0 >= outer.y0 && box.x1 <= outer.x1 && box.y1 <= outer.y1
}

function expectClearLayout(svg: string): void {
  const {viewBox, boxes, numbers, lines} = measure(svg)
  for (const box of [...boxes, ...numbers, ...lines]) expect(inside(box, viewBox), `${box.what} leaves the viewBox`).toBe(true)
  for (const [i, a] of boxes.entries()) {
    for (const b of boxes.slice(i + 1)) expect(overlap(a, b), `${a.what} overlaps ${b.what}`).toBe(false)
  }
  const marks = boxes.filter((box) => box.what.startsWith('mark'))
  expect(numbers).toHaveLength(marks.length)
  for (const [i, number] of numbers.entries()) {
    // A mark's number sits on its own mark, centred, and no other
    const mark = marks[i] as Box
    const cx = (number.x0 + number.x1) / 2
    expect(cx >= mark.x0 && cx <= mark.x1, `${number.what} is off its mark`).toBe(true)
    for (const other of marks.filter((m) => m !== mark))
      expect(overlap(number, other), `${number.what} on ${other.what}`).toBe(false)
  }
  for (const line of lines) {
    for (const mark of marks) expect(overlap(line, mark), `the contained line crosses ${mark.what}`).toBe(false)
  }
}

describe.each([CONTAINED_ID, FAILED_ID, OUTAGE_ID])('the timeline drawn for incident %s', (id) => {
  it('has no two labels, marks or bars overlapping, and nothing outside its viewBox', async () => {
    expectClearLayout(await chartOf(await fixtureEvents(id)))
  })
})

describe('the timeline layout under crowding', () => {
  it('keeps clear when many events fall within a second or a mark apart, containment lands on marks, a tick on the edge', async () => {
    // Given 40 notes and failures in the same second, 30 decisions half a mark apart, containment
    // proven among the notes, and the last event on a whole 5 s (a tick at the right edge)
    const crowd: Array<[number, string, Record<string, unknown>]> = []
    for (let i = 0; i < 40; i++) {
      crowd.push([30 + i / 100, 'note.added', {author: 'a', text: `note ${i}`}])
      crowd.push([30 + i / 100, 'step.failed', {step: `s${i}`, error: {message: 'x'}, final: true}])
    }
    for (let i = 0; i < 30; i++) crowd.push([1 + i * 0.4, 'step.approved', {step: `d${i}`, by: 'alice'}])
    crowd.push([30, 'evidence.probe', {service: 'rp', httpStatus: 200}])
    crowd.push([30.2, 'evidence.probe', {service: 'rp', httpStatus: 401}])
    const svg = await chartOf(eventsOf([OPENED, ...crowd, [40, 'note.added', {author: 'a', text: 'done'}]]))
    // Then every mark is drawn, and the layout is still clear
    expect(svg.match(/class="mark /g)).toHaveLength(114)
    expectClearLayout(svg)
  })
})

describe('the legend', () => {
  it('gives every kind of mark a colour and a shape of its own', async () => {
    const {TONES} = await import('../../src/core/report/timeline-chart.js')
    const styles = Object.values(TONES)
    expect(new Set(styles.map((style) => style.colour)).size).toBe(styles.length)
    expect(new Set(styles.map((style) => style.shape)).size).toBe(styles.length)
    // And the colours are the Okabe-Ito palette's, which colour-blind readers tell apart
    const okabeIto = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#000000']
    for (const style of styles) expect(okabeIto).toContain(style.colour)
  })

  it('shows a swatch for each tone drawn in the chart', async () => {
    const svg = await chartOf(await fixtureEvents(OUTAGE_ID))
    const labels = [...svg.matchAll(/class="legend-label"[^>]*>([^<]+)</g)].map((match) => match[1])
    expect(labels).toEqual(['phase', 'contained', 'exposed or failed', 'change made', 'note', 'incident'])
  })
})
