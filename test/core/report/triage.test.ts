// Token triage in the reports and the notification drafts: jwkr's own canaries, which tokens.scan
// counts apart, are no sign-in token of anyone's and never reach a draft.
import {describe, expect, it} from 'vitest'

import {renderDocument} from '../../../src/services/report.js'
import {loadTemplates} from '../../../src/adapters/templates/template-set.js'
import {buildReport} from '../../../src/core/report/build-report.js'
import {triageOf} from '../../../src/core/report/triage.js'
import {eventsOf, FIXTURE_NOW, OPENED} from './fixture.js'

/** What tokens.scan recorded for a log holding 20 tokens of people and 4 of jwkr's canaries. */
const OUTPUTS = {
  tokens: 24,
  canaries: 4,
  signedWithLeakedKey: 6,
  suspectedForgery: 1,
  kidMatchBadSignature: 3,
  other: 10,
  subjects: 5,
  forgeries: 1,
  firstForgeryAt: '2024-05-02T10:00:00.000Z',
  longestRemainingLifetimeSeconds: 0,
  withoutExpiry: 0,
}

describe('triageOf', () => {
  it('leaves canaries out of the tokens reviewed, and keeps the step’s own figures', () => {
    // Given the outputs of a tokens.scan step that saw 4 canaries among 24 tokens
    // When they are read as triage figures
    const figures = triageOf('tokens', OUTPUTS)
    // Then 20 tokens were reviewed, and the classes and subjects are the step's (canaries already out)
    expect(figures).toMatchObject({scanned: 20, signedWithLeakedKey: 6, suspectedForgeries: 1, subjects: 5})
    // And outputs written before canaries were counted apart read as they did
    expect(triageOf('tokens', {...OUTPUTS, canaries: undefined})?.scanned).toBe(24)
  })
})

describe('the users notification draft', () => {
  it('counts the tokens reviewed without the canaries', async () => {
    // Given an incident whose tokens.scan step saw 4 canaries among 24 tokens
    const events = eventsOf([
      OPENED,
      [10, 'step.started', {step: 'tokens', uses: 'tokens.scan', attempt: 1}],
      [70, 'step.succeeded', {step: 'tokens', outputs: OUTPUTS}],
    ])
    // When the users draft is rendered
    const draft = renderDocument(await loadTemplates(), buildReport(events, {now: FIXTURE_NOW}), {
      kind: 'notification',
      format: 'md',
      audience: 'users',
    })
    // Then it speaks of the 20 tokens of people and the 5 accounts, never of the canaries
    expect(draft).toContain('We reviewed 20 sign-in tokens')
    expect(draft).toContain('5 accounts')
    expect(draft).not.toMatch(/\b24 |canar/i)
  })
})
