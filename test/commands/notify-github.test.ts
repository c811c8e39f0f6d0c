import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {readJournal, tempHome} from '../helpers/engine-harness.js'
import {server} from '../helpers/msw.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'
import {unescaped} from '../templates/markup.js'
import {
  createGitHubRepo,
  createGitHubState,
  githubHandlers,
  issuesOf,
  type GitHubMockRepo,
  type GitHubMockState,
} from '../mocks/github.js'

const TOKEN = 'ghp_testtoken0000000000000000000000000000'
const REPO = 'example-org/security-incidents'
const KEY = join(projectRoot, 'examples/leaked-signing-key.json')

let state: GitHubMockState
let repo: GitHubMockRepo
let home: string
let saved: NodeJS.ProcessEnv

beforeEach(async () => {
  saved = {...process.env}
  repo = createGitHubRepo(REPO, {})
  state = createGitHubState({repos: [repo]})
  server.use(...githubHandlers(state))
  home = await tempHome()
  delete process.env.JWKR_INVENTORY
  delete process.env.GITHUB_API_URL
})

afterEach(() => {
  process.env = saved
})

/** A real incident, opened by `jwkr respond` without GitHub configured (its notify-github step records so). */
async function openIncident(args: string[] = []): Promise<string> {
  delete process.env.GITHUB_TOKEN
  const {stdout, error} = await run(['respond', '--key', KEY, '--yes', '--home', home, '--json', ...args])
  // Without an inventory, or with one that names no issuer or service, nothing can be contained: the
  // run ends with containment not attempted (exit 4) after every step ran, which is all this test needs.
  expect(exitCodeOf(error)).toBe(4)
  process.env.GITHUB_TOKEN = TOKEN
  return (JSON.parse(stdout) as {incident: string}).incident
}

const posts = () => state.requests.filter((request) => request.method === 'POST' && request.path === `/repos/${REPO}/issues`)

describe('jwkr notify github', () => {
  it('opens the tracking issue once; run again, it finds the same issue and opens no second one', async () => {
    // Given an incident
    const id = await openIncident()
    // When the command runs twice
    const first = await run<{created: boolean; number: number; url: string}>([
      'notify',
      'github',
      '--incident',
      id,
      '--repo',
      REPO,
      '--home',
      home,
      '--json',
    ])
    const second = await run<{created: boolean; number: number}>([
      'notify',
      'github',
      '--incident',
      id,
      '--repo',
      REPO,
      '--home',
      home,
      '--json',
    ])
    // Then the first opened it and the second found it, with one POST in all
    expect(first.error).toBeUndefined()
    expect(JSON.parse(first.stdout)).toMatchObject({
      incident: id,
      repo: REPO,
      number: 1,
      url: `https://github.com/${REPO}/issues/1`,
      created: true,
    })
    expect(JSON.parse(second.stdout)).toMatchObject({number: 1, created: false})
    expect(posts()).toHaveLength(1)
    expect(issuesOf(repo)).toHaveLength(1)
    // And the journal holds the effect and the github.issue events that a resumed run's observer reads
    const journal = await readJournal(home, id)
    const key = `${id}:github:issue:${REPO}`
    expect(journal.filter((event) => event.data.key === key).map((event) => event.type)).toEqual(['effect.intent', 'effect.done'])
    expect(journal.filter((event) => event.type === 'github.issue')).toHaveLength(2)
    // And the body holds the incident's checklist, every step of the finished run ticked or skipped
    expect(issuesOf(repo)[0]?.body).toContain('- [x] Identify the leaked key (`inspect`)')
  })

  it('finds an issue GitHub already has (its marker) even when the journal does not know it, and ticks its checklist', async () => {
    // Given an issue of this incident that someone opened from a copy of the incident folder
    const id = await openIncident()
    const at = new Date().toISOString()
    issuesOf(repo).push({
      number: 7,
      title: 'x',
      body: `Notes\n\n<!-- jwkr-checklist:start -->\n- [ ] old\n<!-- jwkr-checklist:end -->\n\n<!-- jwkr-incident: ${id} -->`,
      labels: [],
      state: 'open',
      createdAt: at,
      updatedAt: at,
      comments: [],
    })
    // When the command runs
    const {stdout, error} = await run(['notify', 'github', '--incident', id, '--repo', REPO, '--home', home])
    // Then it found issue 7, opened nothing, and replaced the checklist only
    expect(error).toBeUndefined()
    expect(stdout).toContain(`Found again the tracking issue of ${id}: https://github.com/${REPO}/issues/7`)
    expect(posts()).toHaveLength(0)
    expect(issuesOf(repo)[0]?.body).toMatch(
      /^Notes\n\n<!-- jwkr-checklist:start -->\n### Playbook steps\n\n- \[x\] Identify the leaked key/,
    )
    expect(issuesOf(repo)[0]?.body).not.toContain('old')
  })

  it('takes the repository from the inventory the incident was opened with', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-inventory-'))
    const inventory = join(dir, 'jwkr.inventory.yaml')
    await writeFile(inventory, `version: 1\nissuers: []\nservices: []\nnotify:\n  github:\n    repo: ${REPO}\n`)
    const id = await openIncident(['--inventory', inventory])
    const {stdout, error} = await run(['notify', 'github', '--incident', id, '--home', home, '--json'])
    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toMatchObject({repo: REPO, number: 1, created: true})
  })

  it('sends no private value of the leaked key', async () => {
    const id = await openIncident()
    await run(['notify', 'github', '--incident', id, '--repo', REPO, '--home', home])
    const jwk = JSON.parse(await readFile(KEY, 'utf8')) as Record<string, string>
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
      for (const request of state.requests) expect(unescaped(request.body.replace(/\\\\/g, '\\'))).not.toContain(jwk[member])
    }
  })

  it('says what to do without a repository, with a malformed one, and when GitHub refuses the token', async () => {
    const id = await openIncident()
    const missing = await run(['notify', 'github', '--incident', id, '--home', home, '--json'])
    expect(exitCodeOf(missing.error)).toBe(1)
    expect(JSON.parse(missing.stdout).error).toMatchObject({
      code: 'ERR_GITHUB_REPO_MISSING',
      hint: expect.stringContaining('--repo owner/name'),
    })
    const malformed = await run(['notify', 'github', '--incident', id, '--home', home, '--repo', 'not a repo', '--json'])
    expect(JSON.parse(malformed.stdout).error).toMatchObject({code: 'ERR_GITHUB_REPO_INVALID'})
    process.env.GITHUB_TOKEN = 'ghp_revoked000000000000000000000000000000'
    const refused = await run(['notify', 'github', '--incident', id, '--home', home, '--repo', REPO])
    expect(exitCodeOf(refused.error)).toBe(1)
    expect(refused.stderr).toContain('GitHub refused the token (401 Bad credentials)')
    expect(refused.stderr).not.toContain('ghp_revoked000000000000000000000000000000')
    expect(state.requests.every((request) => request.method === 'GET')).toBe(true)
  })
})
