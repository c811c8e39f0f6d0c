// Reconciling a side effect whose intent was journaled without its result (a crash, or a lost answer,
// between the write and its `done`): the remote is asked by the effect's marker a few times, with
// backoff, because what was just written may not be visible to the lookup yet (Slack's history and
// GitHub's issue and comment lists, like any search, are eventually consistent). Only when no try
// finds it is the effect made again: it is neither doubled nor lost.
import pRetry from 'p-retry'

/** How long to keep looking: p-retry's backoff (retries after the first try, growing by `factor`). */
export interface ReconcileWindow {
  retries: number
  factor: number
  minTimeout: number
  maxTimeout: number
}

/**
 * Five lookups over about 7.5 s (waits of 0.5, 1, 2 and 4 s): longer than Slack and GitHub take to
 * show a message or an issue they accepted, short enough that a resume is not held up for long.
 */
export const RECONCILE_WINDOW: ReconcileWindow = {retries: 4, factor: 2, minTimeout: 500, maxTimeout: 4000}

/** Thrown inside the retry loop while the lookup has not found the effect; never leaves this module. */
class NotFoundYet extends Error {}

/**
 * The effect's result as the remote shows it, looked for until found or the window closes. Returns
 * the last answer: the result, `undefined` (not there: make it) or `'unknown'` (the remote cannot
 * tell). A lookup that throws stops the search with its error.
 *
 * @example
 * const found = await reconcileEffect(() => findMessage(client, {channelId, eventType, incident}))
 * if (found === undefined) await postMessage(…)
 */
export async function reconcileEffect<R>(
  check: () => Promise<R | undefined | 'unknown'>,
  options: {window?: ReconcileWindow; signal?: AbortSignal} = {},
): Promise<R | undefined | 'unknown'> {
  let last: R | undefined | 'unknown'
  try {
    return await pRetry(
      async () => {
        last = await check()
        if (last === undefined || last === 'unknown') throw new NotFoundYet()
        return last
      },
      {...(options.window ?? RECONCILE_WINDOW), signal: options.signal, shouldRetry: ({error}) => error instanceof NotFoundYet},
    )
  } catch (error) {
    if (error instanceof NotFoundYet) return last
    throw error
  }
}
