// Discovery through GitHub (code search, contents, trees) and a Backstage catalog API, served by small
// msw fakes from the same fixture files as the local tree. The GitHub fake answers only what the real
// API documents: every answer is checked against GitHub's OpenAPI description, and the queries must
// carry org: as GitHub's legacy code search needs. The findings must match the local tree's, with
// owner/repo:path provenance.
import {http, HttpResponse} from 'msw'
import {afterEach, describe, expect, it} from 'vitest'

import {readCatalog} from '../../../src/adapters/backstage/read-catalog.js'
import {createGitHubClient} from '../../../src/adapters/github/client.js'
import {discoverOrg} from '../../../src/adapters/github/discover-org.js'
import {parseCatalogFile} from '../../../src/core/discover/parse-catalog.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {ACME, acmeFiles} from '../../helpers/discovery-fixtures.js'
import {loadGitHubOpenApi} from '../../helpers/github-openapi.js'
import {server} from '../../helpers/msw.js'

const API = 'https://api.github.test'
const TOKEN = 'ghp_discoverytesttoken0000000000000000'
const openapi = loadGitHubOpenApi()

/** repo → path → text, from `repo/path` keys. */
function repos(): Map<string, Map<string, string>> {
  const byRepo = new Map<string, Map<string, string>>()
  for (const [key, text] of Object.entries(acmeFiles())) {
    const [repo, ...rest] = key.split('/')
    const files = byRepo.get(repo as string) ?? new Map<string, string>()
    files.set(rest.join('/'), text)
    byRepo.set(repo as string, files)
  }
  return byRepo
}

function repository(name: string) {
  return {
    id: name.length,
    node_id: 'R_1',
    name,
    full_name: `${ACME.org}/${name}`,
    private: true,
    owner: {
      login: ACME.org,
      id: 1,
      node_id: 'O_1',
      avatar_url: `${API}/a`,
      url: `${API}/users/${ACME.org}`,
      html_url: `https://github.test/${ACME.org}`,
      type: 'Organization',
      site_admin: false,
    },
    html_url: `https://github.test/${ACME.org}/${name}`,
    url: `${API}/repos/${ACME.org}/${name}`,
  }
}

/** Answers checked against GitHub's description before they are sent. */
function checked(method: string, path: string, body: Record<string, unknown>, status = 200) {
  const problems = openapi.check({method, path, status, responseBody: body})
  if (problems.length > 0) throw new Error(`fake GitHub answer does not match the API: ${problems.join('; ')}`)
  return HttpResponse.json(body, {status})
}

function githubFake(queries: string[]) {
  const data = repos()
  return [
    http.get(`${API}/search/code`, ({request}) => {
      if (request.headers.get('authorization') !== `token ${TOKEN}`)
        return HttpResponse.json({message: 'Bad credentials'}, {status: 401})
      const q = new URL(request.url).searchParams.get('q') ?? ''
      queries.push(q)
      if (!q.includes(`org:${ACME.org}`)) return HttpResponse.json({message: 'Validation Failed'}, {status: 422})
      const words = q.replace(`org:${ACME.org}`, '').trim().split(/\s+/)
      const items = [...data].flatMap(([repo, files]) =>
        [...files].flatMap(([path, text]) => {
          const matches = words.every((word) =>
            word.startsWith('filename:')
              ? path.endsWith(word.slice('filename:'.length))
              : text.toLowerCase().includes(word.toLowerCase()),
          )
          return matches
            ? [
                {
                  name: path.split('/').at(-1),
                  path,
                  sha: 'a'.repeat(40),
                  url: `${API}/x`,
                  git_url: `${API}/g`,
                  html_url: `https://github.test/${ACME.org}/${repo}/blob/main/${path}`,
                  repository: repository(repo),
                  score: 1,
                },
              ]
            : []
        }),
      )
      return checked('GET', '/search/code', {total_count: items.length, incomplete_results: false, items})
    }),
    http.get(`${API}/repos/:owner/:repo/contents/*`, ({params}) => {
      const repo = String(params.repo)
      const path = decodeURIComponent(String((params as Record<string, unknown>)['0']))
      const text = data.get(repo)?.get(path)
      if (text === undefined) return HttpResponse.json({message: 'Not Found'}, {status: 404})
      const body = {
        type: 'file',
        encoding: 'base64',
        size: text.length,
        name: path.split('/').at(-1),
        path,
        content: Buffer.from(text).toString('base64'),
        sha: 'b'.repeat(40),
        url: `${API}/c`,
        git_url: `${API}/g`,
        html_url: `https://github.test/${path}`,
        download_url: null,
        _links: {self: `${API}/c`, git: `${API}/g`, html: `https://github.test/h`},
      }
      return checked('GET', `/repos/${ACME.org}/${repo}/contents/${path}`, body)
    }),
    http.get(`${API}/repos/:owner/:repo/git/trees/:sha`, ({params, request}) => {
      const files = data.get(String(params.repo))
      if (!files || new URL(request.url).searchParams.get('recursive') === null)
        return HttpResponse.json({message: 'Not Found'}, {status: 404})
      const tree = [...files.keys()].map((path) => ({
        path,
        mode: '100644',
        type: 'blob',
        sha: 'c'.repeat(40),
        size: 1,
        url: `${API}/b`,
      }))
      return checked('GET', `/repos/${ACME.org}/${String(params.repo)}/git/trees/HEAD`, {
        sha: 'd'.repeat(40),
        url: `${API}/t`,
        tree,
        truncated: false,
      })
    }),
  ]
}

describe('discovery in a GitHub organisation', () => {
  afterEach(() => server.resetHandlers())

  it('searches with org:, reads each file and repository tree, and finds what the local tree finds, as owner/repo:path', async () => {
    // Given the organisation served through search, contents and trees
    const queries: string[] = []
    server.use(...githubFake(queries))
    const secrets = new SecretRegistry()
    const client = createGitHubClient({token: TOKEN, baseUrl: API, secrets, retries: 0})
    // When discovery reads it
    const {findings} = await discoverOrg({client, org: ACME.org})
    // Then every query named the organisation
    expect(queries.length).toBeGreaterThan(5)
    expect(queries.every((q) => q.endsWith(`org:${ACME.org}`))).toBe(true)
    // And the Istio, Node and Helm findings carry the same fields, with repository provenance
    expect(findings).toContainEqual({
      kind: 'trust',
      source: 'istio',
      service: 'billing-api',
      verifier: 'istio',
      audiences: ['billing'],
      issuer: ACME.mainIssuer,
      jwksUri: ACME.mainJwks,
      at: {file: 'acme/platform-k8s:istio/billing-requestauthentication.yaml', line: 12},
    })
    expect(findings).toContainEqual(
      expect.objectContaining({
        source: 'node',
        service: 'orders-api',
        cacheSeconds: 300,
        at: {file: 'acme/orders-api:src/auth.ts', line: 3},
      }),
    )
    expect(findings).toContainEqual(
      expect.objectContaining({
        kind: 'unresolved',
        source: 'helm',
        service: 'notifications',
        at: {file: 'acme/notifications:charts/notifications/values.yaml', line: 4},
      }),
    )
    expect(findings).toContainEqual(expect.objectContaining({kind: 'entity', ref: 'api:default/auth-main'}))
  })
})

describe('discovery from a Backstage catalog API', () => {
  afterEach(() => server.resetHandlers())

  it('pages through entities/by-query with one filter per kind, sends BACKSTAGE_TOKEN, and reads the entities the file holds', async () => {
    // Given a catalog API serving the fixture catalog two entities a page
    const entities = parseCatalogFile(acmeFiles()['catalog/catalog-info.yaml'] as string, 'x').map((entity) => entity.ref)
    const raw = (acmeFiles()['catalog/catalog-info.yaml'] as string).split('\n---\n')
    const requests: URL[] = []
    server.use(
      http.get('https://backstage.test/api/catalog/entities/by-query', async ({request}) => {
        const url = new URL(request.url)
        requests.push(url)
        if (request.headers.get('authorization') !== 'Bearer bs-token-123')
          return HttpResponse.json({error: {name: 'AuthenticationError'}}, {status: 401})
        const {parse} = await import('yaml')
        const start = Number(url.searchParams.get('cursor') ?? 0)
        const items = raw.slice(start, start + 2).map((text) => parse(text) as unknown)
        const next = start + 2 < raw.length ? String(start + 2) : undefined
        return HttpResponse.json({items, totalItems: raw.length, pageInfo: next ? {nextCursor: next} : {}})
      }),
    )
    // When the catalog is read
    const secrets = new SecretRegistry()
    const read = await readCatalog({baseUrl: 'https://backstage.test/', token: 'bs-token-123', secrets})
    // Then every entity came through, each with its catalog page as provenance
    expect(read.map((entity) => entity.ref)).toEqual(entities)
    expect(read[4]).toMatchObject({
      ref: 'component:default/billing-api',
      at: {file: 'https://backstage.test/catalog/default/component/billing-api', entity: 'component:default/billing-api'},
    })
    expect(requests[0]?.searchParams.getAll('filter')).toEqual(['kind=component', 'kind=api', 'kind=group', 'kind=user'])
    expect(requests.map((url) => url.searchParams.get('cursor'))).toEqual([null, '2', '4', '6'])
    // And a wrong token is a clear error that names what to set
    await expect(readCatalog({baseUrl: 'https://backstage.test', token: 'wrong', secrets})).rejects.toMatchObject({
      code: 'ERR_BACKSTAGE_FAILED',
      hint: expect.stringContaining('BACKSTAGE_TOKEN') as string,
    })
  })
})
