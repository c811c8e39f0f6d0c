// The evidence comment of a step that recorded a thousand checks (a proof run until contained) still
// fits GitHub's limit on a comment's body: it shows the latest checks and says how many it left out.
import {describe, expect, it} from 'vitest'

import {GITHUB_BODY_LIMIT, withinBodyLimit} from '../../../src/adapters/github/tracking-issue.js'
import {loadTemplates} from '../../../src/adapters/templates/template-set.js'
import {foldIncident} from '../../../src/core/journal/state.js'
import type {JournalEvent} from '../../../src/core/journal/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {COMMENT_EVIDENCE_ROWS, evidenceCommentModel} from '../../../src/playbook/observers/github-issue.js'
import {fixtureEvents} from '../../core/report/fixture.js'

describe('the evidence comment of a long proof', () => {
  it('shows the latest checks, says how many earlier ones it left out, and stays under 65,536 characters', async () => {
    // Given the fixture incident's probe evidence, repeated as a proof run until contained records it
    const events = await fixtureEvents()
    const probe = events.find((event) => event.type === 'evidence.probe') as JournalEvent
    const step = String(probe.data.step)
    const recorded = Array.from({length: 1200}, (_, i) => ({...probe, seq: 10_000 + i}))
    // When the comment is rendered
    const templates = await loadTemplates({secrets: new SecretRegistry()})
    const body = templates.render('github/comment.md', evidenceCommentModel(foldIncident(events), step, recorded))
    // Then it holds the latest rows only, says so, and fits GitHub's limit
    expect(body.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| Time')).length).toBe(
      COMMENT_EVIDENCE_ROWS,
    )
    expect(body).toContain(`The latest ${COMMENT_EVIDENCE_ROWS} checks; ${1200 - COMMENT_EVIDENCE_ROWS} earlier ones are in`)
    expect(body.length).toBeLessThan(GITHUB_BODY_LIMIT)
  })
})

describe('withinBodyLimit', () => {
  it('leaves a body that fits, and cuts one that does not at a line end, saying so, with room for the marker', () => {
    expect(withinBodyLimit('short')).toBe('short')
    const long = Array.from({length: 3000}, (_, i) => `| row ${i} | ${'x'.repeat(30)} |`).join('\n')
    const cut = withinBodyLimit(long, 100)
    expect(cut.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT - 100)
    expect(cut).toMatch(/\|\n\n_\(cut to fit GitHub: the incident’s journal holds the rest\)_$/)
  })
})
