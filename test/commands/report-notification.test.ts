import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {CONTAINED_ID, fixtureHomeCopy, FIXTURE_NOW, INJECTION_ID} from '../core/report/fixture.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

const golden = (id: string, file: string) => readFile(join(projectRoot, 'test/templates/golden', id, file), 'utf8')

let home: string

beforeEach(async () => {
  home = await fixtureHomeCopy()
  vi.useFakeTimers({toFake: ['Date'], now: FIXTURE_NOW})
})

afterEach(() => {
  vi.useRealTimers()
})

describe('jwkr report notification', () => {
  it('drafts the users’ notice in Markdown by default, and in plain text for email', async () => {
    const md = await run(['report', 'notification', '--incident', CONTAINED_ID, '--home', home])
    expect(md.error).toBeUndefined()
    expect(md.stdout).toBe(await golden(CONTAINED_ID, 'notify-users.md'))
    // The exposure window, what was done and the affected subjects are filled in from the journal
    expect(md.stdout).toContain('From 2026-03-13 02:40 UTC to 2026-03-14 09:20 UTC')
    expect(md.stdout).toContain(
      'found 58 accounts for which tokens signed with this key were used, including 7 tokens that we did not issue',
    )
    const txt = await run(['report', 'notification', '--incident', CONTAINED_ID, '--home', home, '--format', 'txt'])
    expect(txt.stdout).toBe(await golden(CONTAINED_ID, 'notify-users.txt'))
    expect(txt.stdout).not.toMatch(/[*_`#|]/)
  })

  it('drafts the partners’ notice with the key to stop trusting and what to check', async () => {
    const {stdout, error} = await run([
      'report',
      'notification',
      '--incident',
      CONTAINED_ID,
      '--home',
      home,
      '--audience',
      'partners',
    ])
    expect(error).toBeUndefined()
    expect(stdout).toBe(await golden(CONTAINED_ID, 'notify-partners.md'))
    expect(stdout).toContain('| Replaced by | kid `auth-main-2026-03-14`')
  })

  it('marks a drill’s notice so that nobody sends it', async () => {
    const {stdout} = await run(['report', 'notification', '--incident', INJECTION_ID, '--home', home, '--format', 'txt'])
    expect(stdout.split('\n')[0]).toBe('*** DRILL: this is an exercise, not a real incident. Do not send. ***')
  })

  it('refuses a plain-text partners’ notice, saying which formats exist', async () => {
    const {stderr, error} = await run([
      'report',
      'notification',
      '--incident',
      CONTAINED_ID,
      '--home',
      home,
      '--audience',
      'partners',
      '--format',
      'txt',
    ])
    expect(exitCodeOf(error)).toBe(2)
    expect(stderr).toContain('There is no txt partners notification.')
    expect(stderr).toContain('Formats of this document: md, json.')
  })
})
