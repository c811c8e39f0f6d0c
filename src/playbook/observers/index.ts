// The observers every run gets. Each one stays silent until the journal says it has work (e.g. a
// notify.slack step recorded the status message it keeps current).
import type {EngineObserver} from '../engine.js'

export function builtinObservers(): EngineObserver[] {
  return []
}
