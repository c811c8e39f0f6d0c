// The observers every run gets. Each one stays silent until the journal says it has work (e.g. a
// notify.slack step recorded the status message it keeps current).
import type {EngineObserver} from '../engine.js'
import {githubIssueObserver} from './github-issue.js'
import {slackStatusObserver} from './slack-status.js'

export function builtinObservers(): EngineObserver[] {
  return [slackStatusObserver(), githubIssueObserver()]
}
