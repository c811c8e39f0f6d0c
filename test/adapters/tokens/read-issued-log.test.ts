import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {readIssuedLog} from '../../../src/adapters/tokens/read-issued-log.js'
import {ISSUED_JSONL, ISSUED_TXT} from './token-fixtures.js'

async function temp(name: string, content: string | Buffer): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'jwkr-issued-')), name)
  await writeFile(path, content)
  return path
}

describe('readIssuedLog', () => {
  it('reads one jti a line, and JSON lines with a jti (skipping events without one)', async () => {
    const expected = ['rs-a', 'rs-j', 'rs-n', 'rs-l', 'rs-x', 'es-a', 'ed-a', 'o-r', 'o-e', 'o-d']
    expect([...(await readIssuedLog(ISSUED_TXT)).jtis]).toEqual(expected)
    expect([...(await readIssuedLog(ISSUED_JSONL)).jtis]).toEqual(expected)
  })

  it('reads a gzip log, CRLF line ends and blank lines', async () => {
    const path = await temp('issued.gz', gzipSync('a1\r\n\r\n  b2  \r\n{"jti":"c3","sub":"x"}\r\n'))
    expect([...(await readIssuedLog(path)).jtis]).toEqual(['a1', 'b2', 'c3'])
  })

  it('refuses a line that starts like JSON but is not, naming the line and not quoting it', async () => {
    const secretish = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'
    const path = await temp('issued.jsonl', `{"jti":"a"}\n{"jti":"${secretish}"\n`)
    const error = (await readIssuedLog(path).catch((caught: unknown) => caught)) as Error & {code: string; hint: string}
    expect(error).toMatchObject({
      code: 'ERR_JSON_MALFORMED',
      message: `Line 2 of the issued log ${path} starts like JSON but is not valid JSON.`,
    })
    expect(`${error.message} ${error.hint}`).not.toContain(secretish)
  })

  it('says which file is missing', async () => {
    await expect(readIssuedLog('/nonexistent/issued.txt')).rejects.toMatchObject({
      code: 'ERR_INPUT_NOT_FOUND',
      message: 'Cannot read the issued log /nonexistent/issued.txt (ENOENT).',
    })
  })
})
