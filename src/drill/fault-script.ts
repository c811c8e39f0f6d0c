// Scripted failures for the fake Slack and GitHub servers: for one method (Slack) or route (GitHub),
// the next requests get these answers in order instead of the real one — then the real one again,
// or, with `repeat`, the last failure forever (an outage that outlasts every retry).

export interface FaultReply {
  /** HTTP status to answer with (429, 500, 502, 503…). */
  status: number
  /** Seconds, sent as Retry-After (with 429, as Slack and GitHub do). */
  retryAfter?: number
}

export interface FaultRule {
  /** A Slack method (`chat.postMessage`) or a GitHub route (`POST /repos/{owner}/{repo}/issues`). */
  match: string
  replies: FaultReply[]
  /** Keep answering the last reply once the others are used. */
  repeat?: boolean
}

export interface InjectedFault extends FaultReply {
  match: string
  /** Epoch milliseconds. */
  at: number
}

export interface FaultScript {
  /** The failure to answer this request with, or undefined to answer it for real. */
  next(match: string): FaultReply | undefined
  /** Every failure answered so far, in order. */
  readonly injected: readonly InjectedFault[]
}

/**
 * @example const faults = createFaultScript([{match: 'chat.postMessage', replies: [{status: 429, retryAfter: 1}, {status: 500}]}])
 *   faults.next('chat.postMessage') // {status: 429, retryAfter: 1}, then {status: 500}, then undefined
 */
export function createFaultScript(rules: readonly FaultRule[], now: () => number = Date.now): FaultScript {
  const used = new Map<FaultRule, number>()
  const injected: InjectedFault[] = []
  return {
    injected,
    next(match) {
      const rule = rules.find(
        (candidate) => candidate.match === match && (candidate.repeat || (used.get(candidate) ?? 0) < candidate.replies.length),
      )
      if (!rule || rule.replies.length === 0) return undefined
      const count = used.get(rule) ?? 0
      used.set(rule, count + 1)
      const reply = rule.replies[Math.min(count, rule.replies.length - 1)] as FaultReply
      injected.push({match, at: now(), ...reply})
      return reply
    },
  }
}
