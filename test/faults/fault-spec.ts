// The faults the preload (fault-preload.ts) can inject into a child process, passed as JSON in the
// JWKR_FAULT environment variable. Shared by the tests that choose them and the preload that applies them.

/** A journal line: every given field must match; `nth` counts the matching lines (default: the first). */
export interface LineMatch {
  seq?: number
  type?: string
  step?: string
  /** A substring of data.key (an effect's idempotency key). */
  key?: string
  nth?: number
}

export type FileOp = 'open' | 'write' | 'rename'

export type FaultSpec =
  /** SIGKILL right after the line is written (before its fsync). */
  | {kind: 'kill-after-line'; line: LineMatch}
  /** SIGKILL `delayMs` after the line was written: somewhere inside the step that is running. */
  | {kind: 'kill-after-delay'; line: LineMatch; delayMs: number}
  /** SIGKILL right after the nth file operation matching `op` and the `path` pattern (a RegExp source). */
  | {kind: 'kill-after-file-op'; op?: FileOp; path?: string; nth?: number}
  /**
   * The disk fills up while this journal line is written: ENOSPC for it (after writing the first half
   * of it when `partial`, as a short write does) and for every later write of any file.
   */
  | {kind: 'enospc-at-line'; line: LineMatch; partial: boolean}

export const FAULT_ENV = 'JWKR_FAULT'

export function parseFault(text: string | undefined): FaultSpec | undefined {
  if (text === undefined || text === '') return undefined
  return JSON.parse(text) as FaultSpec
}

/** A short readable name for a fault, for test titles and the summary. */
export function describeFault(fault: FaultSpec): string {
  const line = (match: LineMatch): string =>
    [
      match.seq === undefined ? undefined : `line ${match.seq}`,
      match.type,
      match.step === undefined ? undefined : `(${match.step})`,
      match.key === undefined ? undefined : `[${match.key}]`,
      match.nth === undefined || match.nth === 1 ? undefined : `#${match.nth}`,
    ]
      .filter(Boolean)
      .join(' ')
  switch (fault.kind) {
    case 'kill-after-line':
      return `kill after ${line(fault.line)}`
    case 'kill-after-delay':
      return `kill ${fault.delayMs} ms after ${line(fault.line)}`
    case 'kill-after-file-op':
      return `kill after ${fault.op ?? 'file op'}${fault.nth === undefined || fault.nth === 1 ? '' : ` #${fault.nth}`}${fault.path === undefined ? '' : ` matching ${fault.path}`}`
    case 'enospc-at-line':
      return `disk full at ${line(fault.line)}${fault.partial ? ' (half written)' : ''}`
  }
}
