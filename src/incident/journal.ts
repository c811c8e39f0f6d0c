// The incident's append-only, hash-chained journal (ARCHITECTURE.md, Journal events): one JSON event a line,
// each line fsync'd before `append` resolves, so a crash loses at most the line being written.
//
// Chain formula, for every event (verify-journal.ts recomputes it):
//   hash = hex(HMAC-SHA-256(chainKey, utf8(prev + canonicalJson({seq, ts, type, data, prev}))))
// with the incident's chain key (chain-key.ts), or plain SHA-256 of the same bytes for a journal
// opened before chains were keyed; where seq counts from 1, ts is ISO 8601 UTC with milliseconds, prev is the previous event's hash
// (GENESIS_HASH, 64 zeros, for the first), data is redacted before hashing, and canonicalJson is
// RFC 8785 (canonical-json.ts). The line is formatEventLine(event) + '\n' (event-line.ts).
import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {link, open, readFile, rm, type FileHandle} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {JwkrError} from '../core/errors.js'
import type {SecretRegistry} from '../core/secrets.js'
import {canonicalJson} from './canonical-json.js'
import {formatEventLine, hashEvent} from './event-line.js'
import {GENESIS_HASH, type JournalEvent, type JournalRepairedData} from '../core/journal/types.js'
import {readJournal} from './verify-journal.js'

export interface JournalOptions {
  /** Every `data` is redacted with it before it is hashed and written. */
  secrets: SecretRegistry
  now?: () => Date
  /** The incident's chain key (chain-key.ts): hashes are HMACs under it. Absent: an unkeyed, older journal. */
  chainKey?: Uint8Array
}

/** An event a new journal starts with. */
export interface FirstEvent {
  type: string
  data: Record<string, unknown>
}

export class Journal {
  readonly file: string
  readonly #handle: FileHandle
  readonly #secrets: SecretRegistry
  readonly #now: () => Date
  readonly #chainKey: Uint8Array | undefined
  readonly #events: JournalEvent[]
  /** Appends run one after another on this chain, so concurrent calls never interleave. */
  #queue: Promise<unknown> = Promise.resolve()
  /** Set when a write failed: the file may end with a partial line, so nothing more is appended. */
  #failure: Error | undefined
  #closed = false

  private constructor(file: string, handle: FileHandle, events: JournalEvent[], options: JournalOptions) {
    this.file = file
    this.#handle = handle
    this.#events = events
    this.#secrets = options.secrets
    this.#now = options.now ?? (() => new Date())
    this.#chainKey = options.chainKey
  }

  /**
   * Creates a new journal file (mode 0600). Fails if the file exists. With `first` events, the file
   * appears with all of them at once (written aside, then linked into place), so a crash never leaves
   * a journal that holds only some of them.
   */
  static async create(file: string, options: JournalOptions, first: readonly FirstEvent[] = []): Promise<Journal> {
    if (first.length === 0) return Journal.#createEmpty(file, options)
    const draftFile = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
    try {
      const draft = await Journal.#createEmpty(draftFile, options)
      try {
        for (const event of first) await draft.append(event.type, event.data)
      } finally {
        await draft.close()
      }
      await link(draftFile, file).catch((error: unknown) => {
        throw errnoOf(error) === 'EEXIST' ? journalExists(file) : writeError(file, error)
      })
    } finally {
      await rm(draftFile, {force: true})
    }
    await syncDirectory(dirname(file))
    return Journal.open(file, options)
  }

  static async #createEmpty(file: string, options: JournalOptions): Promise<Journal> {
    let handle: FileHandle
    try {
      handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL, 0o600)
    } catch (error) {
      throw errnoOf(error) === 'EEXIST' ? journalExists(file) : writeError(file, error)
    }
    await syncDirectory(dirname(file))
    return new Journal(file, handle, [], options)
  }

  /**
   * Opens an existing journal and checks its whole chain. A broken chain is refused with
   * ERR_JOURNAL_CORRUPT naming the first broken event. An incomplete last line (a write cut off by
   * a crash or power loss) is cut off, and a `journal.repaired` event records how many bytes went.
   */
  static async open(file: string, options: JournalOptions): Promise<Journal> {
    const bytes = await readExisting(file)
    // Cut at the last newline in bytes, not characters: a power loss can split a UTF-8 sequence.
    const completeBytes = bytes.lastIndexOf(0x0a) + 1
    const {events, broken} = readJournal(bytes.subarray(0, completeBytes).toString('utf8'), {chainKey: options.chainKey})
    if (broken) {
      throw new JwkrError('ERR_JOURNAL_CORRUPT', `The journal ${file} is broken at line ${broken.line}: ${broken.reason}`, {
        hint: 'Nothing was changed. Keep a copy of the file as evidence; jwkr incident verify ID shows the same check.',
        details: {...broken},
      })
    }
    const droppedBytes = bytes.length - completeBytes
    if (droppedBytes > 0) await truncateTo(file, completeBytes)
    let handle: FileHandle
    try {
      handle = await open(file, 'a')
    } catch (error) {
      throw writeError(file, error)
    }
    const journal = new Journal(file, handle, events.map(deepFreeze), options)
    if (droppedBytes > 0) {
      const repaired: JournalRepairedData = {droppedBytes, afterSeq: events.at(-1)?.seq ?? 0}
      try {
        await journal.append('journal.repaired', {...repaired})
      } catch (error) {
        await journal.close()
        throw error
      }
    }
    return journal
  }

  /**
   * Appends one event and resolves once it is on disk. `data` is redacted with the secret registry
   * before it is hashed, so no registered secret ever reaches the file.
   */
  append(type: string, data: Record<string, unknown>): Promise<JournalEvent> {
    const next = this.#queue.then(() => this.#write(type, data))
    this.#queue = next.catch(() => undefined)
    return next
  }

  /** The events so far, in order (each event is frozen). */
  events(): readonly JournalEvent[] {
    return this.#events
  }

  last(): JournalEvent | undefined {
    return this.#events.at(-1)
  }

  /** Waits for pending appends, then closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#queue
    await this.#handle.close()
  }

  async #write(type: string, data: Record<string, unknown>): Promise<JournalEvent> {
    if (this.#closed) throw new JwkrError('ERR_INTERNAL', `The journal ${this.file} is closed; nothing more can be appended.`)
    if (this.#failure) {
      throw new JwkrError('ERR_JOURNAL_WRITE', `An earlier write to the journal ${this.file} failed: ${this.#failure.message}`, {
        hint: 'Free the disk or fix the permissions, then resume the incident (jwkr incident resume ID).',
        cause: this.#failure,
      })
    }
    // Through canonical JSON first: plain data only (no NaN, no undefined, no class instances), so
    // the event kept in memory is exactly the one a reader will parse back from the file.
    const plain = JSON.parse(canonicalJson(data)) as Record<string, unknown>
    const previous = this.#events.at(-1)
    const unhashed = {
      seq: (previous?.seq ?? 0) + 1,
      ts: this.#now().toISOString(),
      type: this.#secrets.redact(type),
      data: this.#secrets.redactValue(plain),
      prev: previous?.hash ?? GENESIS_HASH,
    }
    const event: JournalEvent = deepFreeze({...unhashed, hash: hashEvent(unhashed, this.#chainKey)})
    try {
      await this.#handle.appendFile(formatEventLine(event) + '\n', 'utf8')
      await this.#handle.sync()
    } catch (error) {
      this.#failure = error as Error
      throw writeError(this.file, error)
    }
    this.#events.push(event)
    return event
  }
}

function journalExists(file: string): JwkrError {
  return new JwkrError('ERR_JOURNAL_EXISTS', `A journal already exists at ${file}.`, {
    hint: 'Resume that incident (jwkr incident resume ID) instead of starting a new one in its folder.',
  })
}

async function readExisting(file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') {
      throw new JwkrError('ERR_INCIDENT_NOT_FOUND', `There is no journal at ${file}.`, {
        hint: 'List the incidents with jwkr incident list, or pass --home for another workspace.',
      })
    }
    throw writeError(file, error)
  }
}

async function truncateTo(file: string, length: number): Promise<void> {
  try {
    const handle = await open(file, 'r+')
    try {
      await handle.truncate(length)
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw writeError(file, error)
  }
}

/** Makes a new file's directory entry durable too, so a crash right after create keeps the file. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r')
  try {
    await handle.sync()
  } catch {
    // Some file systems cannot fsync a directory; the file's own fsyncs still hold.
  } finally {
    await handle.close()
  }
}

function writeError(file: string, error: unknown): JwkrError {
  if (error instanceof JwkrError) return error
  const code = errnoOf(error)
  return new JwkrError('ERR_JOURNAL_WRITE', `Cannot write the journal ${file}: ${code ?? (error as Error).message}.`, {
    hint:
      code === 'ENOSPC'
        ? 'The disk is full: free some space, then resume the incident.'
        : 'Check that the workspace folder exists and is writable by you, then resume the incident.',
    cause: error,
    details: {file, errno: code},
  })
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const member of Object.values(value)) deepFreeze(member)
  }
  return value
}
