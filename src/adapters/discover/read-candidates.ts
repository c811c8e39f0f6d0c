// The reading half of local discovery, run in the discovery workers and, for the first files of a
// walk, on the calling thread: each file is read into one reused buffer, and only the text of those
// whose bytes hold one of their kind's hint words is decoded and handed back (few do).
import {hintWords, type FileKind} from '../../core/discover/hint-words.js'
import {createWholeFileReader} from '../scan/whole-file-reader.js'

/** Files of one batch, with the kind their names gave them. */
export interface CandidateBatch {
  id: number
  paths: string[]
  kinds: FileKind[]
}

export interface CandidateResult {
  id: number
  /** The files that may say something, decoded (few: the batch's paths are not sent back). */
  texts: Array<{path: string; kind: FileKind; text: string}>
  read: number
  tooLarge: number
  unreadable: number
}

export interface CandidateReader {
  read(batch: CandidateBatch): CandidateResult
}

/**
 * @example createCandidateReader(1 << 20).read({id: 0, paths: ['k8s/ra.yaml'], kinds: ['manifest']})
 */
export function createCandidateReader(maxFileSize: number): CandidateReader {
  const reader = createWholeFileReader({maxFileSize, initialBufferSize: 64 * 1024})
  const hints = new Map<FileKind, Buffer[]>()
  const wordsOf = (kind: FileKind): Buffer[] => {
    let words = hints.get(kind)
    if (words === undefined) {
      words = hintWords(kind).map((word) => Buffer.from(word, 'latin1'))
      hints.set(kind, words)
    }
    return words
  }
  return {
    read({id, paths, kinds}) {
      const result: CandidateResult = {id, texts: [], read: 0, tooLarge: 0, unreadable: 0}
      paths.forEach((path, index) => {
        const {status, bytes} = reader.read(path)
        if (status === 'too-large') result.tooLarge++
        else if (status === 'unreadable') result.unreadable++
        else {
          result.read++
          // Native searches on the bytes: nothing is decoded unless a word is there.
          const kind = kinds[index] as FileKind
          if (wordsOf(kind).some((word) => bytes.includes(word))) result.texts.push({path, kind, text: bytes.toString('utf8')})
        }
      })
      return result
    },
  }
}
