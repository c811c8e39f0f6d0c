// Writes a file a user asked for (--out, --subjects-out): atomically (adapters/fs/atomic-file.ts), so
// a failure or a crash leaves the old file or the new one, never half of one; a failure is
// ERR_OUTPUT_UNWRITABLE naming the path and what to do.
import {JwkrError} from '../../core/errors.js'
import {writeFileAtomic} from './atomic-file.js'

export interface OutputFileOptions {
  /** Mode of a new file (default 0644). */
  mode?: number
  /** Set `mode` even over an existing file's (files of personal data: 0600 whatever was there). */
  forceMode?: boolean
  /** What to do when the file cannot be written. */
  hint?: string
}

/**
 * @example await writeOutputFile('subjects.csv', csv, {mode: 0o600, forceMode: true})
 */
export async function writeOutputFile(path: string, text: string, options: OutputFileOptions = {}): Promise<void> {
  try {
    await writeFileAtomic(path, text, options.mode ?? 0o644, {keepMode: options.forceMode !== true})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new JwkrError('ERR_OUTPUT_UNWRITABLE', `Cannot write ${path}${code ? ` (${code})` : ''}.`, {
      hint: options.hint ?? 'Choose a path in a folder you can write to.',
      cause: error,
    })
  }
}
