// What a long-lived signal (a run's Ctrl-C signal) still holds on to after the requests made under it are
// over: its abort listeners, and the signals AbortSignal.any made from it (Node keeps those in an internal
// set that only grows while the source lives: nodejs/node#55351). Both must be back to zero after each request.
import {getEventListeners} from 'node:events'

/**
 * Node's private key for that set, found on a scratch signal (a signal only gets the set once something is
 * tied to it). Without it every count would read 0 whatever is tied: refuse rather than pass regardless.
 */
const DEPENDANTS = (() => {
  const scratch = new AbortController().signal
  AbortSignal.any([scratch])
  const symbol = Object.getOwnPropertySymbols(scratch).find((candidate) => candidate.description === 'kDependantSignals')
  if (symbol === undefined)
    throw new Error(`abort-signal-ties: this Node (${process.version}) keeps no kDependantSignals on an AbortSignal`)
  return symbol
})()

/** @example expect(tiesOf(run.signal)).toEqual({listeners: 0, dependants: 0}) */
export function tiesOf(signal: AbortSignal): {listeners: number; dependants: number} {
  const dependants = (signal as unknown as Record<symbol, Set<unknown> | undefined>)[DEPENDANTS]
  return {listeners: getEventListeners(signal, 'abort').length, dependants: dependants?.size ?? 0}
}

/**
 * The process warnings (e.g. MaxListenersExceededWarning) emitted while `work` runs and just after:
 * Node emits them on the next tick, and prints them on stderr.
 *
 * @example expect(await warningsDuring(() => Promise.all(requests))).toEqual([])
 */
export async function warningsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const warnings: string[] = []
  const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`)
  process.on('warning', onWarning)
  try {
    await work()
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.removeListener('warning', onWarning)
  }
  return warnings
}
