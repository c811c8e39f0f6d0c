// The one Ctrl-C handler of a command that runs for a while (a playbook run, a drill, verify
// --until-contained): the first Ctrl-C — as a signal, or as a prompt it closed — aborts the run's
// signal so the engine journals `run.interrupted`, releases the lock and the command exits 130; a
// second Ctrl-C leaves at once.
import {JwkrError} from '../core/errors.js'

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

/** Exit code of a second Ctrl-C, which does not wait for the run to stop. */
const FORCED = 130

export function listenForInterrupt(target: NodeJS.Process = process): Interruption {
  const controller = new AbortController()
  const interrupt = (): void => {
    if (!controller.signal.aborted) controller.abort(interruptedError())
  }
  const onSigint = (): void => {
    if (controller.signal.aborted) target.exit(FORCED)
    interrupt()
  }
  target.on('SIGINT', onSigint)
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
      target.removeListener('SIGINT', onSigint)
    },
  }
}

/** A prompt of @inquirer closed by Ctrl-C (ExitPromptError) or by the run's signal (AbortPromptError). */
export function isPromptClosed(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')
}

function interruptedError(): JwkrError {
  return new JwkrError('ERR_ABORTED', 'Interrupted (Ctrl-C).', {exitCode: 130})
}
