// The contracts every side effect shares, whoever runs it (the playbook engine, a command acting
// outside a run, an adapter staging a change): the call a dry run shows, and the "exactly once"
// runner (ARCHITECTURE.md, The effect rule). They live in core so adapters need not import the engine.

/** One call a step would make; `--dry-run` prints these and makes none of them. */
export interface PlannedCall {
  /** http: a request; file: a write; message: Slack/GitHub; wait: a pause; manual: a human action. */
  kind: 'http' | 'file' | 'message' | 'wait' | 'manual' | 'process' | 'none'
  /** e.g. 'POST https://auth.example.com/api/v2/keys/signing/rotate' or a file path. */
  target: string
  description: string
}

/**
 * Runs a side effect exactly once per incident: journals `effect.intent`, runs `apply`, journals
 * `effect.done` with its ref. On resume, an effect already done returns its recorded ref without
 * running again; one with an intent but no result is checked with `check` first (its ref, `undefined`
 * for "not made", `'unknown'` when the remote cannot tell).
 */
export type RunEffect = <R extends Record<string, unknown>>(
  key: string,
  description: string,
  apply: () => Promise<R>,
  check?: () => Promise<R | undefined | 'unknown'>,
) => Promise<R>
