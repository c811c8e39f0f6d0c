import {describe, expect, it} from 'vitest'

import {
  buildContactNotice,
  buildSlackStatus,
  buildStepReply,
  slackStatusFacts,
  type IncidentView,
  type StepView,
} from '../../../src/core/notify/slack-status.js'
import {HOSTILE_VALUES, injectionProblems, mrkdwnTexts} from '../../mocks/slack.js'

const NOW = new Date('2026-11-29T03:30:00.000Z')
const THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
function step(uses: string, status: string, extra: Partial<StepView> = {}): StepView {
  return {
    status,
    uses,
    title: undefined,
    outputs: undefined,
    error: undefined,
    reason: undefined,
    finishedAt: undefined,
    ...extra,
  }
}

function incident(steps: Record<string, StepView>, extra: Partial<IncidentView> = {}): IncidentView {
  return {
    id: '2026-11-29-nzblsx',
    thumbprint: THUMBPRINT,
    kid: 'prod-1',
    drill: false,
    status: 'running',
    steps,
    stepOrder: Object.keys(steps),
    ...extra,
  }
}

describe('slackStatusFacts', () => {
  it('before anything ran: triage, severity not assessed, not located, next is the first step', () => {
    const facts = slackStatusFacts(incident({inspect: step('key.inspect', 'pending', {title: 'Identify the leaked key'})}), NOW)
    expect(facts).toMatchObject({
      phase: 'triage',
      severity: null,
      contained: null,
      nextStep: 'Identify the leaked key',
      updatedAt: NOW.toISOString(),
    })
  })

  it('follows the response: the phase of the last step that ran, severity from key.inspect, the step running now', () => {
    // Given an incident whose key is identified, located (3 dependents) and being rotated
    const state = incident({
      inspect: step('key.inspect', 'succeeded', {outputs: {severity: 'critical'}}),
      note: step('core.note', 'succeeded'),
      locate: step('services.locate', 'succeeded', {outputs: {dependents: ['billing', 'reports', 'search']}}),
      rotate: step('key.rotate', 'running', {title: 'Rotate the key at its issuer'}),
      verify: step('containment.verify', 'pending'),
    })
    // Then the status says: contain, critical, 0 of 3 contained, rotating now
    expect(slackStatusFacts(state, NOW)).toMatchObject({
      phase: 'contain',
      severity: 'critical',
      contained: {done: 0, total: 3},
      nextStep: 'Rotate the key at its issuer',
      failedSteps: [],
    })
  })

  it('counts contained services from containment.verify, and lists failed steps', () => {
    const state = incident(
      {
        locate: step('services.locate', 'succeeded', {outputs: {dependents: ['a', 'b', 'c', 'd']}}),
        search: step('code.search', 'failed', {title: 'Search GitHub'}),
        verify: step('containment.verify', 'succeeded', {outputs: {services: {contained: 3, exposed: 1, unknown: 0}}}),
      },
      {status: 'failed'},
    )
    expect(slackStatusFacts(state, NOW)).toMatchObject({
      phase: 'prove',
      contained: {done: 3, total: 4},
      nextStep: null,
      failedSteps: ['Search GitHub'],
    })
  })

  it('says closed once the incident is closed', () => {
    expect(slackStatusFacts(incident({inspect: step('key.inspect', 'succeeded')}, {status: 'closed'}), NOW).phase).toBe('closed')
  })
})

describe('buildSlackStatus', () => {
  const facts = slackStatusFacts(
    incident({
      inspect: step('key.inspect', 'succeeded', {outputs: {severity: 'critical'}}),
      locate: step('services.locate', 'succeeded', {outputs: {dependents: ['billing', 'reports']}}),
      rotate: step('key.rotate', 'pending', {title: 'Rotate the key'}),
    }),
    NOW,
  )

  it('shows severity, thumbprint, phase, contained n/m and the next step as fields, with a fallback text', () => {
    const message = buildSlackStatus(facts)
    const fields = (message.blocks[1] as {fields: Array<{text: string}>}).fields.map((field) => field.text)
    expect(fields).toEqual([
      '*Severity*\nCRITICAL',
      '*Phase*\nLocate',
      `*Thumbprint (RFC 7638)*\n\`${THUMBPRINT}\``,
      '*kid (a hint, not an identity)*\n`prod-1`',
      '*Contained services*\n0/2',
      '*Next step*\nRotate the key',
    ])
    expect(message.text).toBe(`Leaked signing key \`${THUMBPRINT}\`: Locate, 0/2 services contained, next: Rotate the key`)
    expect(message.blocks.map((block) => block.type)).toEqual(['section', 'section', 'context'])
  })

  it('opens with a DRILL header when the incident is a drill', () => {
    const message = buildSlackStatus({...facts, drill: true})
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: {type: 'plain_text', text: expect.stringContaining('DRILL'), emoji: true},
    })
    expect(message.text.startsWith('[DRILL] ')).toBe(true)
  })

  it('shows a hostile kid, thumbprint or step title as text in every mrkdwn text, never as a mention, link or bold', () => {
    for (const hostile of HOSTILE_VALUES) {
      // Given facts holding a value Slack would act on or format
      const message = buildSlackStatus({
        ...facts,
        kid: `x ${hostile} y`,
        thumbprint: hostile,
        nextStep: hostile,
        failedSteps: [hostile],
      })
      // Then every text shows it inert
      for (const text of mrkdwnTexts(message)) expect(injectionProblems(text), hostile).toEqual([])
    }
    expect(
      buildSlackStatus({...facts, kid: '&lt;'}).text + JSON.stringify(buildSlackStatus({...facts, kid: '&lt;'}).blocks),
    ).toContain('`&amp;lt;`')
  })
})

describe('buildStepReply', () => {
  it('names the step and its outcome, quotes a failure as code, and lists scalar outputs as code', () => {
    const reply = buildStepReply(
      'search',
      step('code.search', 'failed', {
        title: 'Search GitHub',
        error: {code: 'ERR_GITHUB_AUTH', message: 'GitHub refused <!channel> token\nsecond line'},
        outputs: undefined,
      }),
    )
    expect(reply.text).toBe('❌ Step Search GitHub (`search`) failed')
    expect((reply.blocks[1] as {text: {text: string}}).text.text).toBe(
      '`ERR_GITHUB_AUTH`\n```GitHub refused &lt;!channel&gt; token\nsecond line```',
    )
  })

  it('names a file the step wrote by its name, never by a path on the responder’s machine', () => {
    const reply = buildStepReply(
      'prove',
      step('containment.verify', 'succeeded', {
        outputs: {artifact: '/home/ana/ir/.jwkr/incidents/i-1/artifacts/containment.json', checks: 8},
      }),
    )
    const fields = mrkdwnTexts(reply).join('\n')
    expect(fields).toContain('*artifact*\n`containment.json`')
    expect(fields).toContain('*checks*\n`8`')
    expect(fields).not.toContain('/home/ana')
  })

  it('puts hostile output values (claims, kid, paths) in code', () => {
    const reply = buildStepReply(
      'triage',
      step('tokens.scan', 'succeeded', {outputs: {sub: '<https://evil|click>', count: 2, list: ['x']}}),
    )
    const fields = (reply.blocks[1] as {fields: Array<{text: string}>}).fields.map((field) => field.text)
    expect(fields).toEqual(['*sub*\n`&lt;https://evil|click&gt;`', '*count*\n`2`'])
  })

  it('gives the reason of a skipped step', () => {
    const reply = buildStepReply(
      'scan',
      step('code.scan', 'skipped', {reason: 'its condition is false: ${{ inputs.scanPaths }}'}),
    )
    expect((reply.blocks[1] as {text: {text: string}}).text.text).toBe(
      'Skipped: ```its condition is false: ${{ inputs.scanPaths }}```',
    )
  })
})

describe('the kid relying parties see', () => {
  // A key file without a kid (a PEM) published by the issuer as `issuer-kid-7`
  const located = incident(
    {
      locate: step('services.locate', 'succeeded', {
        outputs: {dependents: ['billing'], publishedKids: ['issuer-kid-7', 'old-2']},
      }),
    },
    {kid: null},
  )

  it('shows the kids the key is published under, not "none" from the key file', () => {
    const facts = slackStatusFacts(located, NOW)
    const fields = (buildSlackStatus(facts).blocks[1] as {fields: Array<{text: string}>}).fields.map((field) => field.text)
    expect(fields).toContain('*kid as published*\n`issuer-kid-7`, `old-2`')
    expect(buildContactNotice(facts, {id: 'C0123456789', name: 'inc'}).text).toContain('kid `issuer-kid-7`, `old-2`)')
  })

  it("falls back to the key file's kid before locate ran", () => {
    const facts = slackStatusFacts(incident({}), NOW)
    expect(facts.publishedKids).toEqual([])
    expect(buildContactNotice(facts, {id: 'C0123456789', name: 'inc'}).text).toContain('kid `prod-1`)')
  })
})

describe('buildContactNotice', () => {
  it('links the incident channel by the id Slack gave, and escapes the kid', () => {
    const facts = slackStatusFacts(incident({}, {kid: '<!here>'}), NOW)
    const notice = buildContactNotice(facts, {id: 'C0123456789', name: 'inc-jwk-2026-11-29-nzblsxh8'})
    expect(notice.text).toContain('<#C0123456789>')
    expect(notice.text).toContain('`&lt;!here&gt;`')
    // an id that is not Slack's shape is never put inside < >
    expect(buildContactNotice(facts, {id: '!channel', name: 'x'}).text).not.toContain('<!channel')
  })
})
