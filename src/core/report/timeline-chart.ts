// The geometry of the drawn timeline in the HTML report: phases as bars on a time axis, notable
// events as numbered marks in lanes of their own (the numbers refer to the events table), a legend
// and a line where containment was proven. Laid out so that nothing can overlap or leave the
// picture: a mark that would touch another takes a new row of its lane, labels are anchored inside
// the plot, and the contained line is broken where a mark sits on it. Pure numbers, so the template
// only draws and a test can check the layout.
import type {ReportEvent, ReportModel} from './report-model.js'

export interface ChartText {
  x: number
  y: number
  label: string
  anchor: 'start' | 'middle' | 'end'
}

export interface ChartLane {
  name: string
  title: string
  y: number
  /** Baseline of the lane's title. */
  textY: number
  bar: {x: number; width: number; status: string; label: string}
}

/** Colour-blind safe: each tone has an Okabe-Ito colour and a shape of its own, so neither alone has to tell. */
export type MarkShape = 'circle' | 'triangle' | 'triangle-down' | 'diamond' | 'square' | 'hexagon' | 'pentagon'
export type MarkTone = 'contained' | 'exposed' | 'unknown' | 'decision' | 'effect' | 'note' | 'incident'

export interface ToneStyle {
  label: string
  /** Fill (Okabe & Ito, "Color Universal Design"). */
  colour: string
  /** The colour of a number drawn on it: dark on light fills. */
  ink: string
  shape: MarkShape
}

export const TONES: Readonly<Record<MarkTone, ToneStyle>> = {
  contained: {label: 'contained', colour: '#009E73', ink: '#ffffff', shape: 'circle'},
  exposed: {label: 'exposed or failed', colour: '#D55E00', ink: '#ffffff', shape: 'triangle'},
  unknown: {label: 'unknown', colour: '#F0E442', ink: '#1f2328', shape: 'hexagon'},
  decision: {label: 'decision', colour: '#E69F00', ink: '#1f2328', shape: 'diamond'},
  effect: {label: 'change made', colour: '#0072B2', ink: '#ffffff', shape: 'square'},
  note: {label: 'note', colour: '#CC79A7', ink: '#1f2328', shape: 'triangle-down'},
  incident: {label: 'incident', colour: '#000000', ink: '#ffffff', shape: 'pentagon'},
}

/** The phase bars' colours (sky blue; vermillion when failed; yellow while running). */
export const BAR_COLOURS = {done: '#56B4E9', failed: '#D55E00', running: '#F0E442'} as const

export interface ChartMark {
  /** The event's number in the events table. */
  n: number
  seq: number
  /** Where the mark is drawn (its centre); `atX` is the event's time, the same unless kept off an edge. */
  x: number
  atX: number
  y: number
  kind: ReportEvent['kind']
  tone: MarkTone
  shape: MarkShape
  colour: string
  ink: string
  /** The outline of the mark, absolute coordinates (an SVG path). */
  d: string
  /** The same shape in a 20×20 icon, for the narrow list. */
  icon: string
  /** Baseline and size of the mark's number. */
  textY: number
  fontSize: number
  at: string
  text: string
}

export interface EventLane {
  name: string
  title: string
  /** Top of the lane and its title's baseline. */
  y: number
  textY: number
  height: number
}

export interface LegendItem {
  label: string
  colour: string
  /** The swatch: a mark's shape, or the phase bar. */
  d: string
  text: ChartText
}

export interface TimelineChart {
  width: number
  height: number
  /** Where the plot starts (lane titles sit left of it) and ends. */
  left: number
  right: number
  start: string
  end: string
  /** Where the grid lines start (below the tick labels). */
  gridTop: number
  ticks: ChartText[]
  lanes: ChartLane[]
  laneHeight: number
  eventLanes: EventLane[]
  marks: ChartMark[]
  legend: LegendItem[]
  barColours: typeof BAR_COLOURS
  /** Font sizes of the chart's texts, as drawn. */
  fonts: {tick: number; lane: number; legend: number; contained: number}
  /** The whole timeline, each event with its mark's number (null when the chart does not mark it). */
  events: Array<{n: number | null; at: string; kind: ReportEvent['kind']; outcome: ReportEvent['outcome']; text: string}>
  /** Where containment was proven: its label, and the pieces of its line between the marks. */
  contained: {x: number; label: ChartText; segments: Array<{y1: number; y2: number}>} | null
}

const WIDTH = 960
const LEFT = 120
const RIGHT_PAD = 24
const GRID_TOP = 20
const TOP = 36
const LANE = 22
const LANE_GAP = 8
const RADIUS = 9
const ROW = 2 * RADIUS + 4
const MIN_DX = 2 * RADIUS + 3
const FONTS = {tick: 12, lane: 13, legend: 12, contained: 11}
/** A conservative width of a character in the chart's sans-serif fonts, as a share of the font size. */
export const CHAR_WIDTH = 0.6
const MARK_KINDS = new Set<ReportEvent['kind']>(['incident', 'decision', 'failure', 'note', 'evidence', 'effect'])
const EVENT_LANES: ReadonlyArray<{name: string; title: string; kinds: ReadonlyArray<ReportEvent['kind']>}> = [
  {name: 'actions', title: 'Actions', kinds: ['incident', 'decision', 'effect']},
  {name: 'checks', title: 'Checks', kinds: ['evidence']},
  {name: 'failures', title: 'Failures', kinds: ['failure']},
  {name: 'notes', title: 'Notes', kinds: ['note']},
]
const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400].map(
  (s) => s * 1000,
)
const MAX_TICKS = 8

/** The events the chart marks (and numbers): everything but plain step successes and run ends. */
export function markedEvents(timeline: readonly ReportEvent[]): ReportEvent[] {
  return timeline.filter((event) => MARK_KINDS.has(event.kind))
}

/** The width a text takes in the chart, by the conservative estimate the layout uses. */
export function textWidth(label: string, fontSize: number): number {
  return [...label].length * fontSize * CHAR_WIDTH
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
  const x = (iso: string) => Math.min(xAt(Date.parse(iso)), right)
  const lanes: ChartLane[] = model.phases.map((phase, i) => {
    const from = x(phase.startedAt)
    const to = x(phase.finishedAt ?? model.generatedAt)
    const y = TOP + i * (LANE + LANE_GAP)
    return {
      name: phase.name,
      title: phase.title,
      y,
      textY: y + LANE / 2 + 4,
      bar: {
        x: Math.min(from, right - 3),
        width: Math.max(3, to - from),
        status: phase.status,
        label: `${phase.title}: ${phase.steps.length} step(s)`,
      },
    }
  })
  const marked = markedEvents(model.timeline).filter((event) => Date.parse(event.at) <= end)
  const {eventLanes, marks, bottom} = placeMarks(marked, x, TOP + lanes.length * (LANE + LANE_GAP) + 4, right)
  const legend = legendOf(marks, bottom + 10, right)
  const height = round((legend.at(-1)?.text.y ?? bottom) + 10)
  const numbers = new Map(marks.map((mark) => [mark.seq, mark.n]))
  const containedAt = model.containment.containedAt
  return {
    width: WIDTH,
    height,
    left: LEFT,
    right,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    gridTop: GRID_TOP,
    ticks: ticksOf(start, end, xAt),
    lanes,
    laneHeight: LANE,
    eventLanes,
    marks,
    legend,
    barColours: BAR_COLOURS,
    fonts: FONTS,
    events: model.timeline.map((event) => ({
      n: numbers.get(event.seq) ?? null,
      at: event.at,
      kind: event.kind,
      outcome: event.outcome,
      text: event.text,
    })),
    contained: containedAt ? containedLine(x(containedAt), right, bottom, marks) : null,
  }
}

function toneOf(event: ReportEvent): MarkTone {
  if (event.kind === 'failure') return 'exposed'
  if (event.kind === 'evidence') return event.outcome ?? 'unknown'
  return event.kind === 'decision' || event.kind === 'effect' || event.kind === 'note' ? event.kind : 'incident'
}

/**
 * Each kind of event in its lane; in a lane, each mark in the first row where it keeps clear of the
 * mark before it, a new row when none does. So marks sit at their true time and never overlap.
 */
function placeMarks(
  events: ReportEvent[],
  x: (iso: string) => number,
  top: number,
  right: number,
): {eventLanes: EventLane[]; marks: ChartMark[]; bottom: number} {
  const numbered = events.map((event, i) => ({event, n: i + 1}))
  const eventLanes: EventLane[] = []
  const marks: ChartMark[] = []
  let y = top
  for (const lane of EVENT_LANES) {
    const members = numbered.filter(({event}) => lane.kinds.includes(event.kind))
    if (members.length === 0) continue
    const rowEnds: number[] = []
    for (const {event, n} of members) {
      const atX = x(event.at)
      const drawnX = round(Math.min(Math.max(atX, LEFT + RADIUS + 1), right - RADIUS))
      let row = rowEnds.findIndex((endX) => endX + MIN_DX <= drawnX)
      if (row < 0) row = rowEnds.push(-Infinity) - 1
      rowEnds[row] = drawnX
      const cy = y + RADIUS + 2 + row * ROW
      const tone = toneOf(event)
      const style = TONES[tone]
      const fontSize = n >= 100 ? 8 : 10
      marks.push({
        n,
        seq: event.seq,
        x: drawnX,
        atX,
        y: cy,
        kind: event.kind,
        tone,
        shape: style.shape,
        colour: style.colour,
        ink: style.ink,
        d: shapePath(style.shape, drawnX, cy, RADIUS),
        icon: shapePath(style.shape, 10, 10, 8),
        textY: round(cy + fontSize * 0.35 + (style.shape === 'triangle' ? 2 : style.shape === 'triangle-down' ? -2 : 0)),
        fontSize,
        at: event.at,
        text: event.text,
      })
    }
    const height = rowEnds.length * ROW + 4
    eventLanes.push({name: lane.name, title: lane.title, y, textY: y + RADIUS + 6, height})
    y += height
  }
  return {eventLanes, marks: marks.sort((a, b) => a.n - b.n), bottom: y}
}

/** A mark's outline centred on (cx, cy), inside the circle of radius r, as an absolute SVG path. */
export function shapePath(shape: MarkShape, cx: number, cy: number, r: number): string {
  const polygon = (points: number, rotation: number, radius = r) =>
    Array.from({length: points}, (_, i) => {
      const angle = rotation + (i * 2 * Math.PI) / points
      return [cx + radius * Math.cos(angle), cy + radius * Math.sin(angle)] as const
    })
  const corners: ReadonlyArray<readonly [number, number]> =
    shape === 'circle'
      ? polygon(24, 0)
      : shape === 'square'
        ? polygon(4, Math.PI / 4)
        : shape === 'diamond'
          ? polygon(4, 0)
          : shape === 'triangle'
            ? polygon(3, -Math.PI / 2)
            : shape === 'triangle-down'
              ? polygon(3, Math.PI / 2)
              : shape === 'hexagon'
                ? polygon(6, 0)
                : polygon(5, -Math.PI / 2)
  return `M${corners.map(([px, py]) => `${round(px)} ${round(py)}`).join(' L')} Z`
}

/** A swatch per tone drawn, and the phase bar's, in rows that wrap inside the plot. */
function legendOf(marks: ChartMark[], top: number, right: number): LegendItem[] {
  const tones = (Object.keys(TONES) as MarkTone[]).filter((tone) => marks.some((mark) => mark.tone === tone))
  const entries = [
    {label: 'phase', colour: BAR_COLOURS.done, shape: null},
    ...tones.map((tone) => ({label: TONES[tone].label, colour: TONES[tone].colour, shape: TONES[tone].shape})),
  ]
  const items: LegendItem[] = []
  let cx = LEFT
  let cy = top + 7
  for (const entry of entries) {
    const width = 14 + 6 + textWidth(entry.label, FONTS.legend) + 18
    if (cx + width > right && cx > LEFT) {
      cx = LEFT
      cy += 20
    }
    const d = entry.shape === null ? rectPath(cx, cy - 5, 14, 10) : shapePath(entry.shape, cx + 7, cy, 6)
    items.push({label: entry.label, colour: entry.colour, d, text: {x: cx + 20, y: cy + 4, label: entry.label, anchor: 'start'}})
    cx += width
  }
  return items
}

function rectPath(x: number, y: number, width: number, height: number): string {
  return `M${x} ${y} L${x + width} ${y} L${x + width} ${y + height} L${x} ${y + height} Z`
}

/** The line from the axis to the last lane, broken around every mark it would cross; its label kept inside the plot. */
function containedLine(at: number, right: number, bottom: number, marks: ChartMark[]): NonNullable<TimelineChart['contained']> {
  const label = 'contained'
  const fits = at + 4 + textWidth(label, FONTS.contained) <= right
  const gaps = marks
    .filter((mark) => Math.abs(mark.x - at) < RADIUS + 2)
    .map((mark) => [mark.y - RADIUS - 2, mark.y + RADIUS + 2] as const)
    .sort((a, b) => a[0] - b[0])
  const segments: Array<{y1: number; y2: number}> = []
  let from = TOP - 2
  for (const [gapFrom, gapTo] of gaps) {
    if (gapFrom > from) segments.push({y1: from, y2: round(gapFrom)})
    from = Math.max(from, round(gapTo))
  }
  if (bottom > from) segments.push({y1: from, y2: bottom})
  return {x: at, label: {x: fits ? at + 4 : at - 4, y: TOP - 5, label, anchor: fits ? 'start' : 'end'}, segments}
}

/** Tick labels centred on their tick, or anchored to stay inside the picture at its edges. */
function ticksOf(start: number, end: number, x: (at: number) => number): ChartText[] {
  const span = end - start
  const step = TICK_STEPS.find((candidate) => span / candidate <= MAX_TICKS) ?? Math.ceil(span / MAX_TICKS)
  const ticks: ChartText[] = []
  for (let at = Math.ceil(start / step) * step; at <= end; at += step) {
    const iso = new Date(at).toISOString()
    const label =
      span > 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : step < 60_000 ? iso.slice(11, 19) : iso.slice(11, 16)
    const tx = x(at)
    const half = textWidth(label, FONTS.tick) / 2
    const anchor = tx + half > WIDTH - 2 ? 'end' : 'middle'
    ticks.push({x: tx, y: 14, label, anchor})
  }
  return ticks
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
