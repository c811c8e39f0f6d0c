// Writes a file of personal data (the affected-subjects CSV): mode 0600 whatever was there before,
// atomically (a temp file in the same folder, fsync, rename), so a reader never sees half of it.
import {JwkrError} from '../../core/errors.js'
import {writeFileAtomic} from '../fs/atomic-file.js'

/**
 * @example await writePrivateFile('subjects.csv', csv)
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, 0o600, {keepMode: false})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new JwkrError('ERR_OUTPUT_UNWRITABLE', `Cannot write ${path}${code ? ` (${code})` : ''}.`, {
      hint: 'Choose a path in a folder you can write to.',
      cause: error,
    })
  }
}
