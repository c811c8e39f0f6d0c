// The shapes GitHub's REST API answers with for files, refs and pull requests, built from plain
// repository state. The drill's fake GitHub serves them; the test suite's msw handlers do too, so
// both answer exactly as jwkr's GitHub adapters expect.
import {createHash} from 'node:crypto'

/** Where the API, the web pages and raw files of a GitHub (or GitHub Enterprise) live. */
export interface GitHubUrls {
  api: string
  web: string
  /** Prefix of raw file downloads: `<raw>/<owner>/<repo>/<ref>/<path>`. */
  raw: string
}

export interface RepoShape {
  fullName: string
  branches: Record<string, string>
}

export interface PullShape {
  number: number
  title: string
  body: string
  head: string
  base: string
  state: 'open' | 'closed'
}

/** git's blob id of the content, as GitHub reports it. */
export function blobSha(content: string): string {
  const bytes = Buffer.from(content)
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex')
}

export function contentItem(urls: GitHubUrls, repo: RepoShape, path: string, content: string, ref: string, withContent = true) {
  const sha = blobSha(content)
  return {
    type: 'file',
    name: path.split('/').pop(),
    path,
    sha,
    size: Buffer.byteLength(content),
    url: `${urls.api}/repos/${repo.fullName}/contents/${path}?ref=${ref}`,
    html_url: `${urls.web}/${repo.fullName}/blob/${ref}/${path}`,
    git_url: `${urls.api}/repos/${repo.fullName}/git/blobs/${sha}`,
    download_url: `${urls.raw}/${repo.fullName}/${ref}/${path}`,
    // GitHub wraps the base64 body at 60 characters.
    ...(withContent
      ? {
          encoding: 'base64',
          content: `${(
            Buffer.from(content)
              .toString('base64')
              .match(/.{1,60}/g) ?? []
          ).join('\n')}\n`,
        }
      : {}),
  }
}

export function refItem(urls: GitHubUrls, repo: RepoShape, branch: string, sha: string) {
  return {
    ref: `refs/heads/${branch}`,
    url: `${urls.api}/repos/${repo.fullName}/git/refs/heads/${branch}`,
    object: {sha, type: 'commit', url: `${urls.api}/repos/${repo.fullName}/git/commits/${sha}`},
  }
}

export function pullItem(urls: GitHubUrls, repo: RepoShape, pull: PullShape) {
  const owner = repo.fullName.split('/')[0]
  return {
    number: pull.number,
    state: pull.state,
    title: pull.title,
    body: pull.body,
    url: `${urls.api}/repos/${repo.fullName}/pulls/${pull.number}`,
    html_url: `${urls.web}/${repo.fullName}/pull/${pull.number}`,
    head: {ref: pull.head, label: `${owner}:${pull.head}`, sha: repo.branches[pull.head]},
    base: {ref: pull.base, label: `${owner}:${pull.base}`, sha: repo.branches[pull.base]},
  }
}
