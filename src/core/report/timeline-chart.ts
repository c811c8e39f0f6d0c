// The geometry of the drawn timeline in the HTML report: phases as bars on a time axis, notable
// events as numbered marks (the numbers refer to the events table), and a line where containment was
// proven. Pure numbers, so the template only draws and a test can check the layout.
import type {ReportEvent, ReportModel} from './report-model.js'

export interface ChartTick {
  x: number
  label: string
}

export interface ChartLane {
  name: string
  title: string
  y: number
  /** Baseline of the lane's title. */
  textY: number
  bar: {x: number; width: number; status: string; label: string}
}

export interface ChartMark {
  /** The event's number in the events table. */
  n: number
  seq: number
  /** Where the mark is drawn; `atX` is the event's time, joined to the mark by a leader when they differ. */
  x: number
  atX: number
  y: number
  kind: ReportEvent['kind']
  /** contained / exposed / unknown for evidence; the kind otherwise: a CSS class. */
  tone: string
  /** Baseline of the mark's number. */
  textY: number
  at: string
  text: string
}

export interface TimelineChart {
  width: number
  height: number
  /** Where the plot starts (lane titles sit left of it) and ends. */
  left: number
  right: number
  start: string
  end: string
  ticks: ChartTick[]
  lanes: ChartLane[]
  laneHeight: number
  marksTitleY: number
  marks: ChartMark[]
  /** The whole timeline, each event with its mark's number (null when the chart does not mark it). */
  events: Array<{n: number | null; at: string; kind: ReportEvent['kind']; outcome: ReportEvent['outcome']; text: string}>
  /** Where containment was proven; its label sits left of the line near the right edge. */
  contained: {x: number; label: string; anchor: 'start' | 'end'; dx: number} | null
}

const WIDTH = 960
const LEFT = 120
const RIGHT_PAD = 24
const TOP = 34
const LANE = 22
const LANE_GAP = 8
const MARK_ROW = 19
const MARK_ROWS = 4
const MARK_GAP = 18
const MIN_BAR = 3
const MARK_KINDS = new Set<ReportEvent['kind']>(['incident', 'decision', 'failure', 'note', 'evidence', 'effect'])
const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400].map(
  (s) => s * 1000,
)
const MAX_TICKS = 8

/** The events the chart marks (and numbers): everything but plain step successes and run ends. */
export function markedEvents(timeline: readonly ReportEvent[]): ReportEvent[] {
  return timeline.filter((event) => MARK_KINDS.has(event.kind))
}

/**
 * Lays out the incident on a 960-unit wide axis from its opening to its last event (the closing,
 * often hours later, is left out so that the response itself stays readable).
 */
export function timelineChart(model: ReportModel): TimelineChart {
  const times = model.timeline.filter((event) => !event.text.startsWith('Incident closed')).map((event) => Date.parse(event.at))
  if (model.containment.containedAt) times.push(Date.parse(model.containment.containedAt))
  const start = model.incident.openedAt ? Date.parse(model.incident.openedAt) : Math.min(...times, Date.parse(model.generatedAt))
  const end = Math.max(start + 1000, ...times)
  const right = WIDTH - RIGHT_PAD
  const xAt = (ms: number) => round(LEFT + ((ms - start) / (end - start)) * (right - LEFT))
  const x = (iso: string) => xAt(Date.parse(iso))
  const lanes: ChartLane[] = model.phases.map((phase, i) => {
    const from = x(phase.startedAt)
    const to = x(phase.finishedAt ?? model.generatedAt)
    return {
      name: phase.name,
      title: phase.title,
      y: TOP + i * (LANE + LANE_GAP),
      textY: TOP + i * (LANE + LANE_GAP) + LANE / 2 + 4,
      bar: {
        x: from,
        width: Math.max(MIN_BAR, Math.min(to, right) - from),
        status: phase.status,
        label: `${phase.title}: ${phase.steps.length} step(s)`,
      },
    }
  })
  const marksTitleY = TOP + lanes.length * (LANE + LANE_GAP) + 10
  const marks = placeMarks(
    markedEvents(model.timeline).filter((event) => Date.parse(event.at) <= end),
    x,
    marksTitleY + 10,
    right,
  )
  const numbers = new Map(marks.map((mark) => [mark.seq, mark.n]))
  const containedAt = model.containment.containedAt
  return {
    width: WIDTH,
    height: marksTitleY + 10 + MARK_ROWS * MARK_ROW + 4,
    left: LEFT,
    right,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    ticks: ticksOf(start, end, xAt),
    lanes,
    laneHeight: LANE,
    marksTitleY,
    marks,
    events: model.timeline.map((event) => ({
      n: numbers.get(event.seq) ?? null,
      at: event.at,
      kind: event.kind,
      outcome: event.outcome,
      text: event.text,
    })),
    contained: containedAt ? containedLine(Math.min(x(containedAt), right), right) : null,
  }
}

/**
 * Puts each mark in the first row where it does not touch the previous mark; when every row is taken
 * near that time, in the row that frees up first, pushed right (a leader line shows its true time).
 */
function placeMarks(events: ReportEvent[], x: (iso: string) => number, top: number, right: number): ChartMark[] {
  const rowEnds: number[] = Array.from({length: MARK_ROWS}, () => -Infinity)
  return events.map((event, i) => {
    const atX = Math.min(x(event.at), right)
    let row = rowEnds.findIndex((end) => end + MARK_GAP <= atX)
    if (row < 0) row = rowEnds.indexOf(Math.min(...rowEnds))
    const drawnX = Math.max(atX, (rowEnds[row] ?? -Infinity) + MARK_GAP)
    rowEnds[row] = drawnX
    const y = top + row * MARK_ROW
    return {
      n: i + 1,
      seq: event.seq,
      x: drawnX,
      atX,
      y,
      textY: y + 3.5,
      kind: event.kind,
      tone: event.outcome ?? event.kind,
      at: event.at,
      text: event.text,
    }
  })
}

function containedLine(at: number, right: number): NonNullable<TimelineChart['contained']> {
  const nearEdge = at > right - 80
  return {x: at, label: 'contained', anchor: nearEdge ? 'end' : 'start', dx: nearEdge ? -4 : 4}
}

function ticksOf(start: number, end: number, x: (at: number) => number): ChartTick[] {
  const span = end - start
  const step = TICK_STEPS.find((candidate) => span / candidate <= MAX_TICKS) ?? Math.ceil(span / MAX_TICKS)
  const ticks: ChartTick[] = []
  for (let at = Math.ceil(start / step) * step; at <= end; at += step) {
    const iso = new Date(at).toISOString()
    const label =
      span > 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : step < 60_000 ? iso.slice(11, 19) : iso.slice(11, 16)
    ticks.push({x: x(at), label})
  }
  return ticks
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
