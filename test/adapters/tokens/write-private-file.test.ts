import {chmod, mkdtemp, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {writePrivateFile} from '../../../src/adapters/tokens/write-private-file.js'

describe('writePrivateFile', () => {
  it('writes mode 0600, also over a file that was readable by everyone, and leaves no temp file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-private-'))
    const path = join(dir, 'subjects.csv')
    await writeFile(path, 'old')
    await chmod(path, 0o644)
    await writePrivateFile(path, 'sub,count\r\n')
    expect(await readFile(path, 'utf8')).toBe('sub,count\r\n')
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readdir(dir)).toEqual(['subjects.csv'])
  })

  it('fails with a clear error for a folder that does not exist', async () => {
    await expect(writePrivateFile('/nonexistent/dir/subjects.csv', 'x')).rejects.toMatchObject({
      code: 'ERR_OUTPUT_UNWRITABLE',
      message: 'Cannot write /nonexistent/dir/subjects.csv (ENOENT).',
    })
  })
})
