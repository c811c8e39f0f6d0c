import {describe, expect, it} from 'vitest'

import {buildReport} from '../../../src/core/report/build-report.js'
import {markedEvents, timelineChart} from '../../../src/core/report/timeline-chart.js'
import {eventsOf, fixtureModel, FIXTURE_NOW, OPENED} from './fixture.js'

describe('timelineChart', () => {
  it('draws one bar per phase inside the plot, in time order from the opening', async () => {
    // Given the contained fixture incident
    const model = await fixtureModel()
    // When its chart is laid out
    const chart = timelineChart(model)
    // Then every bar lies within the plot, starts where its phase started, and the axis starts at the opening
    expect(chart.start).toBe('2026-03-14T09:00:00.000Z')
    expect(chart.lanes.map((lane) => lane.name)).toEqual(['assess', 'locate', 'contain', 'prove', 'communicate'])
    for (const lane of chart.lanes) {
      expect(lane.bar.x).toBeGreaterThanOrEqual(chart.left)
      expect(lane.bar.x + lane.bar.width).toBeLessThanOrEqual(chart.right + 0.01)
      expect(lane.bar.width).toBeGreaterThanOrEqual(3)
    }
    const bar = (name: string) => chart.lanes.find((lane) => lane.name === name)?.bar.x ?? NaN
    expect(bar('assess')).toBeLessThan(bar('contain'))
    expect(bar('contain')).toBeLessThan(bar('prove'))
    // And containment is marked where it was proven, between the ticks around 09:20
    const tick = (label: string) => chart.ticks.find((t) => t.label === label)?.x ?? NaN
    expect(chart.contained?.x).toBeGreaterThan(tick('09:20'))
    expect(chart.contained?.x).toBeLessThan(chart.right + 0.01)
  })

  it('numbers the notable events and never draws two marks on top of each other', async () => {
    const model = await fixtureModel()
    const chart = timelineChart(model)
    // The closing (hours later) is not on the axis, so not marked; everything else notable is
    const marked = markedEvents(model.timeline).filter((event) => !event.text.startsWith('Incident closed'))
    expect(chart.marks.map((mark) => mark.text)).toEqual(marked.map((event) => event.text))
    expect(chart.marks.map((mark) => mark.n)).toEqual(marked.map((_, i) => i + 1))
    for (const [i, a] of chart.marks.entries()) {
      // At its true time, unless kept off the plot's edges
      expect(a.x === a.atX || a.x < chart.left + 12 || a.x > chart.right - 12).toBe(true)
      for (const b of chart.marks.slice(i + 1)) {
        const apart = Math.abs(a.x - b.x) >= 18 || Math.abs(a.y - b.y) >= 18
        expect(apart, `marks ${a.n} and ${b.n} overlap`).toBe(true)
      }
    }
    // And the events table lists the whole timeline, with the numbers of the marked ones
    expect(chart.events).toHaveLength(model.timeline.length)
    expect(chart.events.filter((event) => event.n !== null).map((event) => event.n)).toEqual(chart.marks.map((mark) => mark.n))
  })

  it('lays out an incident of a few milliseconds and one of days without dividing by zero', () => {
    const short = buildReport(eventsOf([OPENED, [0, 'note.added', {text: 'x', author: 'a'}]]), {now: FIXTURE_NOW})
    const chart = timelineChart(short)
    expect(Number.isFinite(chart.marks[0]?.x)).toBe(true)
    expect(chart.ticks.length).toBeGreaterThan(0)
    const long = buildReport(eventsOf([OPENED, [3 * 86_400, 'note.added', {text: 'later', author: 'a'}]]), {now: FIXTURE_NOW})
    const ticks = timelineChart(long).ticks
    expect(ticks.length).toBeLessThanOrEqual(8)
    expect(ticks[0]?.label).toMatch(/^\d\d-\d\d \d\d:\d\d$/)
  })
})

it('puts the contained label left of its line when the line is near the right edge, so that it is not cut off', () => {
  const events = eventsOf([
    OPENED,
    [10, 'evidence.probe', {service: 'a', httpStatus: 200}],
    [600, 'evidence.probe', {service: 'a', httpStatus: 401}],
  ])
  const chart = timelineChart(buildReport(events, {now: FIXTURE_NOW}))
  expect(chart.contained).toMatchObject({x: chart.right, label: {x: chart.right - 4, anchor: 'end'}})
})
