// One model of a GitHub repository's state (branches, commits, pulls, issues and comments) and the
// shapes GitHub's REST API answers with for files, refs and pull requests, built from it. The drill's
// fake GitHub and the test suite's msw handlers both keep this state and serve these shapes.
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
  /** Branch names (the head in the same repository). */
  head: string
  base: string
  state: 'open' | 'closed'
}

export interface CommentShape {
  id: number
  body: string
  createdAt: string
  /** Absent: never edited (same as createdAt). */
  updatedAt?: string
}

export interface IssueShape {
  number: number
  title: string
  body: string
  state: 'open' | 'closed'
  labels: string[]
  /** Logins; absent: none. */
  assignees?: string[]
  comments: CommentShape[]
  createdAt: string
  updatedAt: string
}

/** A commit: its parent, message and the whole tree (path → content). */
export interface CommitShape {
  parent: string | null
  message: string
  files: Record<string, string>
}

/** A repository: branches pointing at commits of whole trees, its pull requests and issues. */
export interface RepositoryState {
  /** owner/name */
  fullName: string
  defaultBranch: string
  /** Branch name → the sha of its head commit. */
  branches: Record<string, string>
  /** Commit sha → the commit. */
  commits: Record<string, CommitShape>
  pulls: PullShape[]
  /** Numbered with the pulls, as GitHub numbers them. */
  issues: IssueShape[]
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
