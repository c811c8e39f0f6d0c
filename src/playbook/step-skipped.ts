// How a step ends as skipped from inside its handler: it had nothing to do, or could not act (no
// token, no target), so it made no effect worth a ✓. The engine journals `step.skipped` with the
// reason, exactly as for a step it skipped itself (a false condition, no inventory), and a resumed
// run does not run it again.

/**
 * Thrown by `StepContext.skip(reason)` (or by a handler directly); the engine turns it into
 * `step.skipped` with the reason. Never retried, never a failure.
 */
export class StepSkipped extends Error {
  override readonly name = 'StepSkipped'

  constructor(readonly reason: string) {
    super(reason)
  }
}
