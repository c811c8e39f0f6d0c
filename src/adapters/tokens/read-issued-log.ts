// Reads the issuer's log of issued tokens (`--issued-log`): one jti a line, or JSON lines with a
// "jti" member (other lines, such as events without a jti, are skipped), plain or gzip. Lines are
// never quoted in errors: such a log may hold whole tokens.
import {createReadStream} from 'node:fs'
import {open} from 'node:fs/promises'
import {createInterface} from 'node:readline'
import type {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'

import {JwkrError} from '../../core/errors.js'

export interface IssuedLog {
  path: string
  jtis: Set<string>
}

/**
 * @example const {jtis} = await readIssuedLog('issued.jsonl')
 */
export async function readIssuedLog(path: string): Promise<IssuedLog> {
  const gzip = await isGzip(path)
  const file = createReadStream(path)
  const input: Readable = gzip ? file.pipe(createGunzip()) : file
  if (gzip) file.on('error', (error) => input.destroy(error))
  const jtis = new Set<string>()
  let line = 0
  try {
    for await (const text of createInterface({input, crlfDelay: Infinity})) {
      line++
      const trimmed = text.trim()
      if (trimmed === '') continue
      if (!trimmed.startsWith('{')) {
        jtis.add(trimmed)
        continue
      }
      const jti = jtiOf(trimmed)
      if (jti === undefined) throw malformed(path, line)
      if (jti !== null) jtis.add(jti)
    }
  } catch (error) {
    if (error instanceof JwkrError) throw error
    throw new JwkrError('ERR_INPUT_UNREADABLE', `Cannot read the issued log ${path} (at line ${line + 1}).`, {
      hint: 'Check that the file is complete (a gzip file may be truncated) and readable.',
      cause: error,
    })
  } finally {
    file.destroy()
  }
  return {path, jtis}
}

/** The jti of a JSON line; null when it has none; undefined when the line is not JSON. */
function jtiOf(line: string): string | null | undefined {
  try {
    const value = JSON.parse(line) as unknown
    const jti = value !== null && typeof value === 'object' ? (value as Record<string, unknown>).jti : undefined
    return typeof jti === 'string' && jti !== '' ? jti : null
  } catch {
    return undefined
  }
}

function malformed(path: string, line: number): JwkrError {
  return new JwkrError('ERR_JSON_MALFORMED', `Line ${line} of the issued log ${path} starts like JSON but is not valid JSON.`, {
    hint: 'The issued log holds one jti a line, or JSON lines with a "jti" member: fix or remove that line.',
  })
}

async function isGzip(path: string): Promise<boolean> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new JwkrError(
      code === 'ENOENT' ? 'ERR_INPUT_NOT_FOUND' : 'ERR_INPUT_UNREADABLE',
      `Cannot read the issued log ${path}${code ? ` (${code})` : ''}.`,
      {
        hint: 'Pass the file of jtis the issuer issued (one a line, or JSON lines with a "jti" member).',
      },
    )
  }
  try {
    const head = Buffer.alloc(2)
    const {bytesRead} = await handle.read(head, 0, 2, 0)
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b
  } finally {
    await handle.close()
  }
}
