// Reads whole files, one at a time, into one buffer that is reused (and grown only up to the size
// cap): small files cost one open, one read and one close, and no garbage. `code scan` and local
// discovery read through it.
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'

export type WholeFileStatus = 'read' | 'too-large' | 'unreadable'

export interface WholeFile {
  status: WholeFileStatus
  /** The file's bytes ('read' only; empty otherwise): a view of the reused buffer, valid until the next read. */
  bytes: Buffer
}

export interface WholeFileReaderOptions {
  maxFileSize: number
  /** Starting size of the buffer; it grows (up to maxFileSize + 1) for larger files. */
  initialBufferSize?: number
}

export interface WholeFileReader {
  read(path: string): WholeFile
}

const DEFAULT_BUFFER = 256 * 1024
const NOTHING: Buffer = Buffer.alloc(0)

/**
 * @example const reader = createWholeFileReader({maxFileSize: 1 << 20}); const {status, bytes} = reader.read('app.yaml')
 */
export function createWholeFileReader(options: WholeFileReaderOptions): WholeFileReader {
  let buffer = Buffer.allocUnsafe(Math.min(options.initialBufferSize ?? DEFAULT_BUFFER, options.maxFileSize + 1))
  const result = (status: WholeFileStatus, length = 0): WholeFile => ({
    status,
    bytes: status === 'read' ? buffer.subarray(0, length) : NOTHING,
  })

  return {
    read(path) {
      let fd: number
      try {
        fd = openSync(path, 'r')
      } catch {
        return result('unreadable')
      }
      try {
        let length = readSync(fd, buffer, 0, buffer.length, 0)
        // A short read of a regular file is its end.
        if (length < buffer.length) return result('read', length)
        const size = fstatSync(fd).size
        if (size > options.maxFileSize) return result('too-large')
        if (buffer.length < size + 1) {
          const grown = Buffer.allocUnsafe(Math.min(Math.max(size + 1, buffer.length * 2), options.maxFileSize + 1))
          buffer.copy(grown, 0, 0, length)
          buffer = grown
        }
        for (let got = -1; got !== 0 && length < buffer.length; length += got) {
          got = readSync(fd, buffer, length, buffer.length - length, length)
        }
        // The file grew past the cap while it was read.
        if (length > options.maxFileSize) return result('too-large')
        return result('read', length)
      } catch {
        return result('unreadable')
      } finally {
        closeSync(fd)
      }
    },
  }
}
