// Running totals of a scan: hits and counts per file status. Workers send one per batch; the main
// thread merges them. Plain data, so it crosses the worker boundary by structured clone.
import type {FileResult, ScanHit} from './file-scanner.js'

export interface ScanTally {
  hits: ScanHit[]
  filesScanned: number
  bytesScanned: number
  binary: number
  tooLarge: number
  unreadable: number
}

export function emptyTally(): ScanTally {
  return {hits: [], filesScanned: 0, bytesScanned: 0, binary: 0, tooLarge: 0, unreadable: 0}
}

/** The tally with one more file counted (the tally passed in is left as it was). */
export function countFile(tally: ScanTally, file: FileResult): ScanTally {
  return mergeTallies(tally, {
    hits: file.hits,
    filesScanned: file.status === 'scanned' ? 1 : 0,
    bytesScanned: file.status === 'scanned' ? file.bytes : 0,
    binary: file.status === 'binary' ? 1 : 0,
    tooLarge: file.status === 'too-large' ? 1 : 0,
    unreadable: file.status === 'unreadable' ? 1 : 0,
  })
}

export function mergeTallies(a: ScanTally, b: ScanTally): ScanTally {
  return {
    hits: b.hits.length === 0 ? a.hits : [...a.hits, ...b.hits],
    filesScanned: a.filesScanned + b.filesScanned,
    bytesScanned: a.bytesScanned + b.bytesScanned,
    binary: a.binary + b.binary,
    tooLarge: a.tooLarge + b.tooLarge,
    unreadable: a.unreadable + b.unreadable,
  }
}
