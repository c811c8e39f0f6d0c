// Golden outputs of the run view (src/cli/engine-ui.ts, render-run.ts): the header, one line per step
// with its result in words, the closing block; and the status line's heartbeat without a terminal.
import {PassThrough} from 'node:stream'
import {stripVTControlCharacters} from 'node:util'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {createEngineUi, renderHeader} from '../../src/cli/engine-ui.js'
import {renderRun} from '../../src/cli/render-run.js'
import {createStatusLine, fitStatusLine} from '../../src/cli/status-line.js'
import {createStyle, redrawsInPlace} from '../../src/cli/style.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import type {RunHeader, RunResult, StepOutcome} from '../../src/playbook/engine.js'
import type {PlaybookStep} from '../../src/playbook/load-playbook.js'

const plain = createStyle({isTTY: false})

const header: RunHeader = {
  incident: '2026-12-07-3hcgsa',
  resumed: false,
  drill: true,
  playbook: 'leaked-signing-key',
  inventoryPath: '/tmp/jwkr/drills/2026-12-07-3hcgsa/world/jwkr.inventory.yaml',
  dryRun: false,
  artifacts: '/tmp/jwkr/drills/2026-12-07-3hcgsa/artifacts',
  key: '/tmp/jwkr/drills/2026-12-07-3hcgsa/world/leak/leaked-key.json',
  done: [],
  notes: [
    "Logs: the inventory's (no --input logs= given): 5 paths of billing-api, orders-api, profile-api, search-api, reports-api",
  ],
  willSkip: [
    {id: 'scan', reason: 'its condition is false: the input scanPaths was not given'},
    {id: 'search', reason: 'its condition is false: the input githubOrg was not given'},
  ],
}

/** What the drill's journal recorded for each step (trimmed to what the summaries read). */
const finished: Array<[PlaybookStep, Partial<StepOutcome>]> = [
  [
    step('inspect', 'key.inspect'),
    {
      outputs: {
        kty: 'RSA',
        alg: 'RS256',
        kid: 'auth-2026-12-07',
        private: true,
        severity: 'critical',
        thumbprint: '3HCGsaWtedVpkiI9P5dBo-Yal42gLTXvzeDgPgG9OcE',
      },
    },
  ],
  [step('not-a-leak', 'core.note'), {status: 'skipped', reason: "its condition is false: step inspect's output private is true"}],
  [step('go-ahead', 'core.approve'), {outputs: {approved: true}}],
  [
    step('locate', 'services.locate'),
    {
      outputs: {
        publishing: ['drill-auth'],
        dependents: ['billing-api', 'orders-api', 'profile-api', 'search-api', 'reports-api'],
        failedEndpoints: [],
      },
    },
  ],
  [step('tokens', 'tokens.scan'), {outputs: {tokens: 137, signedWithLeakedKey: 63, forgeries: 12, subjects: 11}}],
  [
    step('baseline', 'containment.verify', {baseline: true}),
    {
      outputs: {
        services: {contained: 0, exposed: 5, unknown: 0, undiscriminating: 0},
        exposed: ['billing-api', 'orders-api', 'profile-api', 'search-api', 'reports-api'],
        undiscriminating: [],
      },
    },
  ],
  [
    step('rotate', 'key.rotate'),
    {outputs: {changed: ['drill-auth'], notFound: [], replacement: {kid: 'zt8t6SCOkZAiMpS_EKwESRIjaexNrl2QfblrNm39pWE'}}},
  ],
  [
    step('invalidate', 'tokens.invalidate'),
    {
      outputs: {
        denylist: [{status: 'written', target: '/srv/shared/denylist.json'}],
        sessions: [{issuerId: 'drill-auth', status: 'unsupported', byHand: 'Revoke them in the IdP.'}],
      },
    },
  ],
  [step('notify-slack', 'notify.slack'), {outputs: {channel: 'sec-incidents', created: false, noticed: ['#payments-oncall']}}],
  [
    step('notify-github', 'notify.github'),
    {outputs: {created: true, number: 1, url: 'https://github.com/example-org/security-incidents/issues/1'}},
  ],
  [
    step('check', 'containment.verify'),
    {
      outputs: {
        contained: false,
        services: {contained: 3, exposed: 2, unknown: 0, undiscriminating: 0},
        exposed: ['billing-api', 'profile-api'],
        undiscriminating: [],
        clock: {waitFor: '2s'},
        checks: 1,
      },
    },
  ],
  [
    step('prove', 'containment.verify'),
    {
      status: 'failed',
      error: {code: 'ERR_NOT_CONTAINED', message: 'Containment is not proven: still exposed: billing-api.'},
    },
  ],
  [
    step('rca', 'report.rca'),
    {
      outputs: {
        markdown: '/tmp/jwkr/drills/2026-12-07-3hcgsa/artifacts/rca.md',
        html: '/tmp/jwkr/drills/2026-12-07-3hcgsa/artifacts/rca.html',
        timeline: '/tmp/jwkr/drills/2026-12-07-3hcgsa/artifacts/timeline.md',
      },
    },
  ],
]

function step(id: string, uses: string, input: Record<string, unknown> = {}): PlaybookStep {
  return {id, uses, with: input, onFailure: 'continue'}
}

function outcome(playbookStep: PlaybookStep, given: Partial<StepOutcome>): StepOutcome {
  return {
    id: playbookStep.id,
    uses: playbookStep.uses,
    status: 'succeeded',
    outputs: null,
    error: null,
    startedAt: null,
    finishedAt: null,
    ...given,
  }
}

function result(overrides: Partial<RunResult>): RunResult {
  return {
    incident: '2026-12-07-3hcgsa',
    status: 'completed',
    steps: finished.map(([playbookStep, given]) => outcome(playbookStep, given)),
    outcome: {status: 'proven', exitCode: 0, summary: 'containment proven: 5/5 services refuse the key', missing: []},
    ...overrides,
  }
}

/** The engine UI writing to a stream that is not a terminal, and what it wrote. */
function uiOnPipe(heartbeatMs?: number) {
  const output = new PassThrough()
  const screen = {text: ''}
  output.on('data', (chunk: Buffer) => (screen.text += chunk.toString()))
  const streams = {input: new PassThrough(), output}
  const ui = createEngineUi({
    secrets: new SecretRegistry(),
    interactive: false,
    quiet: false,
    streams,
    ...(heartbeatMs ? {heartbeatMs} : {}),
  })
  return {ui, screen}
}

describe('the run view', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('prints the header and one line per step, in words, without a terminal (golden)', async () => {
    // Given the engine UI writing to a stream that is not a terminal
    const {ui, screen} = uiOnPipe()
    // When a run starts and its steps finish
    ui.runStarting?.(header)
    for (const [playbookStep, given] of finished) ui.stepFinished?.(outcome(playbookStep, given), playbookStep)
    // Then the screen reads as the golden file
    await expect(screen.text).toMatchFileSnapshot('__golden__/run-view-steps.txt')
    expect(screen.text).not.toContain('${{')
  })

  it('groups the steps skipped for the same reason in the header, and says what a resume will not run again (golden)', async () => {
    const resumed = renderHeader(
      {
        ...header,
        drill: false,
        resumed: true,
        inventoryPath: null,
        notes: undefined,
        done: ['inspect', 'triage', 'go-ahead'],
        willSkip: ['locate', 'baseline', 'rotate'].map((id) => ({
          id,
          reason: 'no inventory (pass --inventory FILE or create ./jwkr.inventory.yaml)',
        })),
      },
      plain,
    )
    await expect(resumed).toMatchFileSnapshot('__golden__/run-view-header-resumed.txt')
  })

  it('closes with the outcome, the exit code and the next commands (golden)', async () => {
    const blocks = [
      renderRun(result({}), {...header, drill: false}, plain),
      renderRun(result({}), header, plain),
      renderRun(
        result({
          status: 'failed',
          outcome: {
            status: 'not-proven',
            exitCode: 4,
            summary: 'containment not proven: billing-api still accepts the key',
            missing: [],
          },
        }),
        header,
        plain,
      ),
      renderRun(
        result({
          status: 'aborted',
          stopReason: 'The responder answered No at "go-ahead": declined at a decision, nothing after it ran.',
          outcome: {
            status: 'not-attempted',
            exitCode: 4,
            summary: 'containment not attempted: the responder stopped the run before it finished',
            missing: [],
          },
        }),
        header,
        plain,
      ),
      renderRun(
        result({
          status: 'aborted',
          stopReason: 'The responder stopped the run before step "invalidate".',
          outcome: {
            status: 'not-proven',
            exitCode: 4,
            summary: 'containment not proven: rotate ran, but no check has proven containment since',
            missing: [],
          },
        }),
        header,
        plain,
      ),
      renderRun(
        result({
          status: 'paused',
          interrupted: {step: 'prove'},
          outcome: {
            status: 'not-proven',
            exitCode: 130,
            summary: 'containment not proven: billing-api still accepts the key; prove started but did not finish',
            missing: [],
          },
        }),
        header,
        plain,
      ),
      renderRun(
        result({
          status: 'planned',
          dryRun: true,
          outcome: {
            status: 'not-attempted',
            exitCode: 0,
            summary: 'containment not attempted: a dry run makes no change and checks nothing (run without --dry-run)',
            missing: [],
          },
        }),
        header,
        plain,
      ),
    ]
    await expect(blocks.join('\n\n----\n')).toMatchFileSnapshot('__golden__/run-view-closing.txt')
  })
})

describe('the live line of a step running beside the run (background: true)', () => {
  it("keeps each step's progress apart, brings back the line a finished background step cleared, and shows the step waited for", () => {
    vi.useFakeTimers()
    const {ui, screen} = uiOnPipe(1000)
    const definition = {title: 'A step'} as Parameters<NonNullable<typeof ui.stepStarting>>[1]
    const github = step('notify-github', 'notify.github')
    const slack = step('notify-slack', 'notify.slack')
    const prove = step('prove', 'verify.containment')
    const heartbeat = (): string => {
      screen.text = ''
      vi.advanceTimersByTime(1000)
      return screen.text
    }
    // Given two notification steps started beside the run, then the proof
    ui.stepStarting?.(github, definition, [])
    ui.progress?.(github, {message: 'GitHub failed POST /repos/{owner}/{repo}/issues (503): looking for its result (1 of 3).'})
    ui.stepStarting?.(slack, definition, [])
    ui.stepStarting?.(prove, definition, [])
    ui.progress?.(prove, {message: 'check 2: 3/5 contained'})
    // Then the live line is the proof's, with its own progress only
    expect(heartbeat()).toBe('  … prove 1s · check 2: 3/5 contained\n')
    // When Slack finishes under it, its result is printed and the proof's line comes back
    ui.stepFinished?.(outcome(slack, {}), slack)
    expect(screen.text).toContain('✓ notify-slack')
    expect(heartbeat()).toBe('  … prove 2s · check 2: 3/5 contained\n')
    // When the proof ends and the run waits for GitHub, GitHub's line shows, with its latest progress
    ui.stepFinished?.(outcome(prove, {}), prove)
    ui.waitingFor?.(github)
    expect(heartbeat()).toBe(
      '  … notify-github 3s · GitHub failed POST /repos/{owner}/{repo}/issues (503): looking for its result (1 of 3).\n',
    )
    ui.stepFinished?.(outcome(github, {status: 'failed'}), github)
    expect(heartbeat()).toBe('')
    // A step waited for before it reported anything shows its title
    ui.waitingFor?.(slack)
    expect(heartbeat()).toBe('  … notify-slack 5s · A step (the run is waiting for it)\n')
    vi.useRealTimers()
  })
})

describe('the status line without a terminal', () => {
  it('prints a heartbeat with the latest status while it shows, and stops when cleared', () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const stream = Object.assign(new PassThrough(), {isTTY: false})
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()))
    const line = createStatusLine({stream, format: (text) => text, heartbeatMs: 20_000})
    let round = 1
    line.show(() => `prove · check ${round}: 3/5 contained`)
    vi.advanceTimersByTime(19_000)
    expect(lines).toEqual([])
    vi.advanceTimersByTime(1000)
    round = 2
    vi.advanceTimersByTime(20_000)
    line.clear()
    vi.advanceTimersByTime(60_000)
    expect(lines).toEqual(['  … prove · check 1: 3/5 contained\n', '  … prove · check 2: 3/5 contained\n'])
    vi.useRealTimers()
  })
})

describe('the header on a narrow terminal', () => {
  it('wraps between words at 60 columns, and says which steps were done and which skipped before a resume', () => {
    // Given a terminal 60 columns wide
    const noop = (): boolean => true
    const output = Object.assign(new PassThrough(), {isTTY: true, columns: 60, cursorTo: noop, clearLine: noop, moveCursor: noop})
    let text = ''
    output.on('data', (chunk: Buffer) => (text += chunk.toString()))
    const ui = createEngineUi({
      secrets: new SecretRegistry(),
      interactive: false,
      quiet: false,
      streams: {input: new PassThrough(), output},
    })
    // When a resumed run with steps done and skipped before starts
    ui.runStarting?.({
      ...header,
      drill: false,
      resumed: true,
      notes: undefined,
      willSkip: [],
      done: ['inspect', 'triage', 'go-ahead', 'locate', 'baseline', 'search', 'tokens'],
      skippedBefore: ['rotate', 'invalidate'],
    })
    const lines = stripVTControlCharacters(text).split('\n')
    // Then no line is wider than the terminal (but a path, left whole to be copied), and no word is cut in two
    for (const line of lines.filter((text) => !text.includes('/tmp/'))) expect(line.length).toBeLessThanOrEqual(60)
    expect(lines[0]).toBe('Resuming incident 2026-12-07-3hcgsa · playbook')
    expect(lines[1]).toBe('  leaked-signing-key')
    // And the skipped steps are not listed as done
    const said = lines.join(' ').replace(/\s+/g, ' ')
    expect(said).toContain('Done before: inspect, triage, go-ahead, locate, baseline, search, tokens (not run again)')
    expect(said).toContain('Skipped before: rotate, invalidate (not run again)')
  })
})

describe('the status line on a terminal that does not say its width (0 columns)', () => {
  it('prints heartbeats as without a terminal, never a redraw (ora would erase lines forever there)', () => {
    vi.useFakeTimers()
    let printed = ''
    const stream = Object.assign(new PassThrough(), {isTTY: true, columns: 0})
    // Asked first: a live line here would never return (ora erasing infinitely many lines), so a
    // regression fails on this line instead of hanging the run.
    expect(redrawsInPlace(stream, {TERM: 'xterm'})).toBe(false)
    stream.on('data', (chunk: Buffer) => (printed += chunk.toString()))
    const line = createStatusLine({stream, format: (text) => text, heartbeatMs: 20_000})
    line.show(() => 'prove · 3/5 contained')
    vi.advanceTimersByTime(20_000)
    line.clear()
    vi.useRealTimers()
    expect(printed).toBe('  … prove · 3/5 contained\n')
  })
})

describe('the status line on a terminal', () => {
  it('updates in place every second, even when a CI variable is set (ora alone would print it once)', () => {
    vi.useFakeTimers()
    vi.stubEnv('CI', 'true')
    let printed = ''
    const noop = (): boolean => true
    const stream = Object.assign(new PassThrough(), {isTTY: true, columns: 80, cursorTo: noop, clearLine: noop, moveCursor: noop})
    stream.on('data', (chunk: Buffer) => (printed += chunk.toString()))
    const line = createStatusLine({stream, format: (text) => text})
    let left = 8
    line.show(() => `soak · ${left}s left`)
    for (; left > 5; left--) vi.advanceTimersByTime(1000)
    line.clear()
    vi.unstubAllEnvs()
    vi.useRealTimers()
    expect(printed).toContain('soak · 8s left')
    expect(printed).toContain('soak · 7s left')
  })

  // An 80-column terminal leaves 77 for the text (the spinner and a space take the rest).
  it('is cut by display width, not by characters: wide characters and emoji take two columns', () => {
    // Given lines wider than 77 columns but shorter than 77 characters
    const kanji = '鍵'.repeat(60) // 60 characters, 120 columns
    const emoji = `prove · ${'🔑'.repeat(50)}` // 58 characters, 108 columns
    // Then each is cut to 76 columns and an ellipsis: 77 in all
    expect(fitStatusLine(kanji, 80)).toBe(`${'鍵'.repeat(38)}…`)
    expect(fitStatusLine(emoji, 80)).toBe(`prove · ${'🔑'.repeat(34)}…`)
    // And a plain line is cut at 76 characters, one that fits is kept whole
    expect(fitStatusLine('x'.repeat(100), 80)).toBe(`${'x'.repeat(76)}…`)
    expect(fitStatusLine('鍵'.repeat(38), 80)).toBe('鍵'.repeat(38))
    expect(fitStatusLine('x'.repeat(117), 120)).toBe('x'.repeat(117))
  })
})
