// Reads one file at a time into a buffer that is reused (and grown only up to the size cap), skips
// binary and oversized files, and turns needle matches into hits with line, column and a redacted
// excerpt. Runs inside each scan worker, and in-process when no workers are used.
import type {NeedleKind} from '../../core/key/needles.js'
import {redactedExcerpt} from './excerpt.js'
import {createNeedleMatcher, type NeedleMatch} from './needle-matcher.js'
import {createWholeFileReader, type WholeFileReaderOptions} from './whole-file-reader.js'

/** What a scanner needs to know of a needle; never printed (private values stay in the process). */
export interface ScanNeedle {
  kind: NeedleKind
  value: string
  public: boolean
}

export interface ScanHit {
  path: string
  /** 1-based. */
  line: number
  /** 1-based, in characters. */
  column: number
  kind: NeedleKind
  public: boolean
  excerpt: string
  /** The block of nearby matching lines this hit stands for (a PEM body, a pretty-printed JWK). */
  firstLine: number
  lastLine: number
}

export type FileStatus = 'scanned' | 'binary' | 'too-large' | 'unreadable'

export interface FileResult {
  status: FileStatus
  bytes: number
  hits: ScanHit[]
}

export type FileScannerOptions = WholeFileReaderOptions

export interface FileScanner {
  scanFile(path: string): FileResult
}

/** ripgrep and git look at the first 8 KiB for a NUL byte to call a file binary. */
const BINARY_PROBE = 8 * 1024
/** Excerpts are cut from at most this many bytes either side of a match, whatever the line length. */
const LINE_SLICE = 4096
const NEWLINE = 0x0a

export function createFileScanner(needles: readonly ScanNeedle[], options: FileScannerOptions): FileScanner {
  const matcher = createNeedleMatcher(needles.map((needle) => needle.value))
  const reader = createWholeFileReader(options)

  return {
    scanFile(path) {
      const {status, bytes} = reader.read(path)
      if (status !== 'read') return {status, bytes: 0, hits: []}
      const probe = bytes.subarray(0, Math.min(bytes.length, BINARY_PROBE))
      if (probe.includes(0)) return {status: 'binary', bytes: bytes.length, hits: []}
      const matches = matcher.find(bytes, bytes.length)
      return {status: 'scanned', bytes: bytes.length, hits: matches.length === 0 ? [] : toHits(path, bytes, matches, needles)}
    },
  }
}

/**
 * Which needle names a block of matching lines: private material before public, whole encodings (a
 * PEM body) before windows of the key (a JWK), and identifiers last.
 */
const KIND_RANK: Record<NeedleKind, number> = {
  pkcs8: 0,
  sec1: 0,
  spki: 0,
  pkcs1: 1,
  'private-member': 2,
  secret: 2,
  modulus: 2,
  coordinate: 2,
  'x5t#S256': 3,
  x5t: 3,
  thumbprint: 3,
  'thumbprint-hex': 3,
  kid: 4,
}
/** Lines with hits at most this far apart are one finding (a PEM block, a pretty-printed JWK). */
const BLOCK_GAP = 4

function rank(needle: ScanNeedle): number {
  return (needle.public ? 10 : 0) + KIND_RANK[needle.kind]
}

interface LineMatch {
  match: NeedleMatch
  line: number
  lineStart: number
}

/**
 * One hit per block of nearby lines that match: a PEM body is one finding, not twenty-six, and a JWK
 * with its kid, n and d is one finding too. The block is named by its best-ranked needle, and
 * `line:column` points at the first match of it.
 * Matches arrive ordered by start.
 */
function toHits(path: string, buffer: Buffer, matches: NeedleMatch[], needles: readonly ScanNeedle[]): ScanHit[] {
  const blocks: LineMatch[][] = []
  let line = 1
  let lineStart = 0
  let counted = 0
  for (const match of matches) {
    for (let at = buffer.indexOf(NEWLINE, counted); at !== -1 && at < match.start; at = buffer.indexOf(NEWLINE, at + 1)) {
      line++
      lineStart = at + 1
    }
    counted = match.start
    const block = blocks[blocks.length - 1]
    const previous = block?.[block.length - 1]
    if (block && previous && line - previous.line <= BLOCK_GAP) block.push({match, line, lineStart})
    else blocks.push([{match, line, lineStart}])
  }
  return blocks.map((block) => {
    const chosen = representative(block, needles)
    const needle = needles[chosen.match.needle] as ScanNeedle
    const {column, excerpt} = locate(buffer, chosen, needle.public)
    return {
      path,
      line: chosen.line,
      column,
      kind: needle.kind,
      public: needle.public,
      excerpt,
      firstLine: (block[0] as LineMatch).line,
      lastLine: (block[block.length - 1] as LineMatch).line,
    }
  })
}

function representative(block: LineMatch[], needles: readonly ScanNeedle[]): LineMatch {
  let best = block[0] as LineMatch
  for (const found of block) {
    if (rank(needles[found.match.needle] as ScanNeedle) < rank(needles[best.match.needle] as ScanNeedle)) best = found
  }
  return best
}

/** Column and excerpt of a match, decoding no more of a long (minified) line than the excerpt needs. */
function locate(buffer: Buffer, {match, lineStart}: LineMatch, showMatch: boolean): {column: number; excerpt: string} {
  const newline = buffer.indexOf(NEWLINE, match.end)
  const lineEnd = newline === -1 ? buffer.length : newline
  const before = buffer.toString('utf8', Math.max(lineStart, match.start - LINE_SLICE), match.start)
  const text = (before + buffer.toString('utf8', match.start, Math.min(lineEnd, match.end + LINE_SLICE))).replace(/\r$/, '')
  return {
    column: buffer.toString('utf8', lineStart, match.start).length + 1,
    excerpt: redactedExcerpt(text, before.length, before.length + (match.end - match.start), showMatch),
  }
}
