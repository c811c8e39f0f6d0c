// Writes a file of personal data (the affected-subjects CSV): mode 0600 whatever was there before,
// atomically, so a reader never sees half of it.
import {writeOutputFile} from '../fs/write-output-file.js'

/**
 * @example await writePrivateFile('subjects.csv', csv)
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  await writeOutputFile(path, text, {mode: 0o600, forceMode: true})
}
