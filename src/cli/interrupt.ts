// The one interruption handler of a command that runs for a while (a playbook run, a drill, verify
// --until-contained): the first Ctrl-C — as a signal, or as a prompt it closed — aborts the run's
// signal so the engine journals `run.interrupted`, releases the lock and the command exits 130; a
// second one leaves at once. SIGTERM (kill, a service manager, a container stop) and SIGHUP (the SSH
// session or terminal went away) stop the run the same way: without this, node dies at once and the
// incident is left as a crash is (resumable, but not journaled as paused).
import {interruptedError} from '../core/errors.js'

export interface Interruption {
  /** Aborted at the first Ctrl-C. */
  readonly signal: AbortSignal
  /** Called for a Ctrl-C the terminal gave to a prompt instead of the process. */
  interrupt(): void
  /** Runs a prompt; a prompt closed by Ctrl-C interrupts the run and throws the interruption (never a bug report). */
  ask<T>(prompt: (signal: AbortSignal) => Promise<T>): Promise<T>
  /** Stops listening (in a finally). */
  dispose(): void
}

/** Exit code of a second interruption, which does not wait for the run to stop. */
const FORCED = 130

/** The signals that interrupt a run, and how the journal and the screen name each. */
const INTERRUPTIONS = {SIGINT: 'Ctrl-C', SIGTERM: 'SIGTERM', SIGHUP: 'SIGHUP'} as const

export function listenForInterrupt(target: NodeJS.Process = process): Interruption {
  const controller = new AbortController()
  const interruptBy = (how: string): void => {
    if (!controller.signal.aborted) controller.abort(interruptedError(how))
  }
  const interrupt = (): void => interruptBy(INTERRUPTIONS.SIGINT)
  const handlers = Object.entries(INTERRUPTIONS).map(([name, how]) => {
    const handler = (): void => {
      if (controller.signal.aborted) target.exit(FORCED)
      interruptBy(how)
    }
    target.on(name, handler)
    return [name, handler] as const
  })
  return {
    signal: controller.signal,
    interrupt,
    async ask(prompt) {
      try {
        return await prompt(controller.signal)
      } catch (error) {
        if (isPromptClosed(error)) {
          interrupt()
          throw controller.signal.reason
        }
        throw error
      }
    },
    dispose() {
      for (const [name, handler] of handlers) target.removeListener(name, handler)
    },
  }
}

/** A prompt of @inquirer closed by Ctrl-C (ExitPromptError) or by the run's signal (AbortPromptError). */
export function isPromptClosed(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')
}
