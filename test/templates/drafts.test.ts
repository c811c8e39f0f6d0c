// The notification drafts (users, partners) are for people outside the team: no local path, file
// name, internal step title, kid-less "(none)" or private value, the notification structure, a
// "What we did" that is never empty, and a scope that never reads as reassurance when nothing was checked.
import {describe, expect, it} from 'vitest'

import {renderDocument, type DocumentRequest} from '../../src/services/report.js'
import {loadTemplates} from '../../src/adapters/templates/template-set.js'
import {buildReport} from '../../src/core/report/build-report.js'
import type {JournalEvent} from '../../src/core/journal/types.js'
import {CONTAINED_ID, eventsOf, fixtureEvents, FIXTURE_NOW, INJECTION_ID, OPENED} from '../core/report/fixture.js'

const DRAFTS: Array<{name: string; request: DocumentRequest}> = [
  {name: 'users.md', request: {kind: 'notification', format: 'md', audience: 'users'}},
  {name: 'users.txt', request: {kind: 'notification', format: 'txt', audience: 'users'}},
  {name: 'partners.md', request: {kind: 'notification', format: 'md', audience: 'partners'}},
]

/** A private member's value, a local path of the replacement key, and internal step titles. */
const PRIVATE_D = 'Zm9yZ2VkLXByaXZhdGUtZXhwb25lbnQtbmVlZGxl'
const KEY_FILE = '/var/jwkr/incidents/i-1/artifacts/keys/rotate.private.jwk.json'

/** A messy run: rotation wrote the replacement's private key to a file, a wait step, nothing checked. */
function messyJournal(): JournalEvent[] {
  return eventsOf([
    [0, OPENED[1], {...OPENED[2], kid: null, source: '/home/alice/leak/key.json'}],
    [
      0.5,
      'playbook.loaded',
      {
        steps: [
          {id: 'inspect', uses: 'key.inspect', title: 'Identify the leaked key'},
          {id: 'rotate', uses: 'key.rotate', title: 'Rotate the key at every issuer'},
          {id: 'wait-caches', uses: 'core.wait', title: 'Wait'},
        ],
      },
    ],
    [1, 'step.started', {step: 'inspect', uses: 'key.inspect', attempt: 1}],
    [2, 'step.succeeded', {step: 'inspect', outputs: {thumbprint: 'T', private: true, privateMembers: ['d'], d: PRIVATE_D}}],
    [3, 'step.started', {step: 'rotate', uses: 'key.rotate', attempt: 1}],
    [4, 'effect.intent', {step: 'rotate', key: 'rotate:write', description: `Write the replacement private key to ${KEY_FILE}`}],
    [5, 'effect.done', {step: 'rotate', key: 'rotate:write', ref: {file: KEY_FILE}}],
    [6, 'step.succeeded', {step: 'rotate', outputs: {replacement: {kid: 'new-1', privateKeyFile: KEY_FILE}}}],
    [7, 'step.started', {step: 'wait-caches', uses: 'core.wait', attempt: 1}],
    [8, 'step.succeeded', {step: 'wait-caches', outputs: {}}],
  ])
}

async function draftsOf(events: JournalEvent[]): Promise<Array<{name: string; text: string}>> {
  const templates = await loadTemplates()
  const model = buildReport(events, {now: FIXTURE_NOW})
  return DRAFTS.map(({name, request}) => ({name, text: renderDocument(templates, model, request)}))
}

const JOURNALS: Array<[string, () => Promise<JournalEvent[]>]> = [
  ['contained', () => fixtureEvents(CONTAINED_ID)],
  ['injection', () => fixtureEvents(INJECTION_ID)],
  ['messy', async () => messyJournal()],
]

describe('notification drafts', () => {
  it.each(JOURNALS)('hold no path, file name, step title, kid-less "(none)" or private value (%s)', async (_, events) => {
    for (const {name, text} of await draftsOf(await events())) {
      const where = `${name}: ${text}`
      expect(text, where).not.toMatch(/(^|[\s(`'"])(~|\.{1,2})?\/[\w.-]+\/[\w.-]+/m) // a path, not a URL
      expect(text, where).not.toMatch(/\b[\w-]+\.(json|jwk|pem|csv|key|ya?ml)\b/)
      expect(text, where).not.toContain('artifacts')
      expect(text, where).not.toMatch(/\(none\)|kid `?none`?/i)
      expect(text, where).not.toContain(PRIVATE_D)
      for (const title of ['Identify the leaked key', 'Rotate the key at every issuer', 'Wait', 'Find who publishes'])
        expect(text, where).not.toContain(title)
    }
  })

  it('follow the notification structure, with ✍️ where a person decides', async () => {
    for (const {name, text} of await draftsOf(messyJournal())) {
      const headings = name.endsWith('.txt')
        ? ['WHAT HAPPENED', 'WHAT DATA AND TOKENS WERE AFFECTED', 'WHAT WE DID', 'WHAT YOU SHOULD DO', 'CONTACT']
        : [
            'What happened',
            'What data and tokens were affected',
            'What we did',
            name.startsWith('partners') ? 'What you must do' : 'What you should do',
            'Contact',
          ]
      const positions = headings.map((heading) => text.indexOf(heading))
      expect(
        positions.every((at) => at >= 0),
        `${name}: ${text}`,
      ).toBe(true)
      expect([...positions].sort((a, b) => a - b)).toEqual(positions)
      expect(text).toMatch(name.endsWith('.txt') ? /TODO/ : /✍️/)
    }
  })

  it('never leave "What we did" empty, and say that nothing was checked instead of "0 of the checked"', async () => {
    for (const {name, text} of await draftsOf(messyJournal())) {
      const section = text.split(/### What we did|WHAT WE DID/)[1]?.split(/###|WHAT YOU/)[0] ?? ''
      expect(section, name).toMatch(/^- We opened an incident on 2026-03-14 09:00 UTC/m)
      expect(section, name).toContain(
        'No relying party was checked yet: we cannot say whether any service still accepts the exposed key.',
      )
      expect(text, name).not.toMatch(/\b0 of the checked/)
    }
  })

  it('keep "What we did" non-empty even when containment was not attempted', async () => {
    const drafts = await draftsOf(eventsOf([OPENED]))
    for (const {name, text} of drafts) expect(text, name).toMatch(/(### What we did|WHAT WE DID)\n\n- We opened an incident/)
  })
})
