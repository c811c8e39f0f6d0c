import {Ajv2020} from 'ajv/dist/2020.js'
import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {readFile, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeEach, describe, expect, it} from 'vitest'

import type {CodeSearchResult} from '../../../src/services/search.js'
import {startRun} from '../../../src/playbook/respond.js'
import {codeSearch} from '../../../src/playbook/steps/code-search.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'
import {server} from '../../helpers/msw.js'
import {createGitHubState, githubHandlers, type GitHubMockState} from '../../mocks/github.js'

const TOKEN = 'ghp_steptest4444444444444444444444444444444'
const ORG = 'example-org'
const KID = 'prod-2024-signing'

let state: GitHubMockState
let jwk: Record<string, string>
let keyFile: string

beforeEach(() => {
  // Given GitHub holding the key's public half in two repositories, and the leaked private RSA JWK on disk
  state = createGitHubState({tokens: [TOKEN]})
  server.use(...githubHandlers(state))
  const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
  jwk = {...(privateKey.export({format: 'jwk'}) as Record<string, string>), kid: KID}
  keyFile = join(mkdtempSync(join(tmpdir(), 'jwkr-step-search-')), 'leaked.json')
  writeFileSync(keyFile, JSON.stringify(jwk))
  state.files = [
    {
      repo: `${ORG}/billing`,
      path: 'config/jwks.json',
      content: JSON.stringify({keys: [{kty: 'RSA', kid: KID, n: jwk.n, e: jwk.e}]}),
    },
    {repo: `${ORG}/gateway`, path: 'src/auth.ts', content: `const signingKid = '${KID}'`},
    {repo: `${ORG}/docs`, path: 'README.md', content: 'Nothing to see here.'},
  ]
})

const privateValues = () => ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((member) => jwk[member] as string)

const PLAYBOOK = `inputs:
  key: {type: string, required: true}
steps:
  - id: search
    uses: code.search
    with:
      key: "\${{ inputs.key }}"
      org: ${ORG}
`

async function runSearch(env: Record<string, string | undefined>, dryRun = false) {
  const home = await tempHome()
  const file = await writePlaybook(home, PLAYBOOK)
  const result = await startRun({
    ...baseOptions(home),
    playbook: file,
    inputs: {key: keyFile},
    dryRun,
    env,
    registry: registryWith(),
    ui: scriptedUi({}, false),
  })
  return {home, result, journal: await readJournal(home, result.incident)}
}

describe('code.search', () => {
  it("lists the organisation's repositories that hold the key, saves the results, and sends only public values", async () => {
    // When the step searches with a token
    const {result, journal} = await runSearch({GITHUB_TOKEN: TOKEN})
    // Then it succeeds with outputs that fit its schema
    const [step] = result.steps
    expect(step?.status).toBe('succeeded')
    const outputs = step?.outputs as Record<string, unknown>
    expect(new Ajv2020({strict: false}).validate(codeSearch.outputSchema, outputs)).toBe(true)
    expect(outputs).toMatchObject({results: 2, repos: [`${ORG}/billing`, `${ORG}/gateway`], incomplete: false})
    // And the artifact holds the results, readable by the user only
    const artifact = outputs.artifact as string
    expect(artifact).toMatch(/artifacts\/code-search\.json$/)
    const saved = JSON.parse(await readFile(artifact, 'utf8')) as CodeSearchResult
    expect(saved.results.map((hit) => [hit.repo, hit.path])).toEqual([
      [`${ORG}/billing`, 'config/jwks.json'],
      [`${ORG}/gateway`, 'src/auth.ts'],
    ])
    expect((await stat(artifact)).mode & 0o777).toBe(0o600)
    // And the queries were scoped to the org, authenticated, and carried no private value;
    // neither the journal nor the artifact holds one, nor the token
    expect(state.requests.length).toBeGreaterThan(0)
    expect(state.requests.every((request) => request.query.q?.endsWith(` org:${ORG}`))).toBe(true)
    expect(state.requests.every((request) => request.headers.authorization === `token ${TOKEN}`)).toBe(true)
    const written = [
      JSON.stringify(state.requests.map((r) => [r.url, r.body])),
      JSON.stringify(journal),
      await readFile(artifact, 'utf8'),
    ]
    for (const value of privateValues()) for (const text of written) expect(text).not.toContain(value)
    expect(written.slice(1).join('\n')).not.toContain(TOKEN)
  })

  it('fails with ERR_GITHUB_TOKEN_MISSING, and sends nothing, when GITHUB_TOKEN is not set', async () => {
    const {result} = await runSearch({})
    expect(result.status).toBe('failed')
    expect(result.steps[0]?.error).toMatchObject({
      code: 'ERR_GITHUB_TOKEN_MISSING',
      message: 'No GitHub token: GITHUB_TOKEN is not set.',
    })
    expect(state.requests).toEqual([])
  })

  it('plans the search against GITHUB_API_URL and sends nothing in a dry run', async () => {
    const {result} = await runSearch({GITHUB_TOKEN: TOKEN, GITHUB_API_URL: 'https://ghe.example.com/api/v3'}, true)
    expect(result.steps[0]?.status).toBe('planned')
    expect(result.steps[0]?.plan).toEqual([
      {
        kind: 'http',
        target: 'GET https://ghe.example.com/api/v3/search/code',
        description: expect.stringContaining(`Search ${ORG}'s code`),
      },
    ])
    expect(state.requests).toEqual([])
  })
})
