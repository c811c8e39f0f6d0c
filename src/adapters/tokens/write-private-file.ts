// Writes a file of personal data (the affected-subjects CSV): mode 0600 whatever was there before,
// atomically (a temp file in the same folder, fsync, rename), so a reader never sees half of it.
import {randomBytes} from 'node:crypto'
import {open, rename, rm} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {JwkrError} from '../../core/errors.js'

/**
 * @example await writePrivateFile('subjects.csv', csv)
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(temp, 'wx', 0o600)
    try {
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await rm(temp, {force: true})
    const code = (error as NodeJS.ErrnoException).code
    throw new JwkrError('ERR_OUTPUT_UNWRITABLE', `Cannot write ${path}${code ? ` (${code})` : ''}.`, {
      hint: 'Choose a path in a folder you can write to.',
      cause: error,
    })
  }
}
