// The GitHub simulator (src/drill/github-simulator.ts) as msw handlers for the tests, with the test
// suite's names for its state: createGitHubState() holds the repositories, the extra files code
// search looks through, every request, and the fault switches a test flips (outage, rate limits,
// failAfterWrite, hang, incompleteResults). Serves any API root (api.github.com or a GHE
// https://HOST/api/v3). The drill serves the same simulator over node:http (src/drill/fake-github.ts).
import type {HttpHandler} from 'msw'

import {
  answerGitHub,
  createGitHubState as createSimulatorState,
  type GitHubRecord,
  type GitHubState,
  type IndexedFile,
  type IssueShape,
  type PullShape,
  type RepositoryState,
} from '../../src/drill/github-simulator.js'
import {simulatorHandler} from './simulator.js'

export {GITHUB_BODY_LIMIT} from '../../src/adapters/github/tracking-issue.js'
export {createGitHubRepo, fileAt, GITHUB_DOCS, GITHUB_ROUTES, issuesOf} from '../../src/drill/github-simulator.js'

export type GitHubMockFile = IndexedFile
export type RecordedGitHubRequest = GitHubRecord
export type GitHubMockState = GitHubState
export type GitHubMockRepo = RepositoryState
export type GitHubMockPull = PullShape
export type GitHubMockIssue = IssueShape

export function createGitHubState(init: Partial<GitHubMockState> = {}): GitHubMockState {
  return createSimulatorState({tokens: ['ghp_testtoken0000000000000000000000000000'], ...init})
}

export function githubHandlers(state: GitHubMockState): HttpHandler[] {
  return [simulatorHandler(state.baseUrl, (request) => answerGitHub(state, request).reply)]
}
