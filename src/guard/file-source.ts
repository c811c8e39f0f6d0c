// Keeps a guard's denylist in step with a file: fs.watch on the folder (a file replaced by rename is
// a new inode, so watching the file itself would go deaf after the first atomic write), debounced,
// plus a periodic stat in case the watch misses something (network file systems, editors).
import {watch, type FSWatcher} from 'node:fs'
import {stat} from 'node:fs/promises'
import {basename, dirname} from 'node:path'

import {readDenylistFile} from './denylist-file.js'
import {createDenylistValidator} from '../core/containment/denylist.js'
import {JwkrError} from '../core/errors.js'
import type {DenylistIndex} from './denylist-index.js'

export interface FileSourceOptions {
  onError: (error: Error) => void
  /** Watch the folder for changes (default true; turn off where fs.watch is unreliable). */
  watch: boolean
  debounceMs: number
  /** How often to stat the file in case a change was not signalled. */
  intervalMs: number
}

export interface DenylistSource {
  reload(): Promise<void>
  close(): Promise<void>
}

/** Loads the file into the index (throws when it is malformed), then follows its changes until closed. */
export async function followDenylistFile(
  file: string,
  index: DenylistIndex,
  options: FileSourceOptions,
): Promise<DenylistSource> {
  let seen = 'unread'
  let loaded = false
  let closed = false
  const validator = createDenylistValidator()

  const load = async () => {
    const signature = await signatureOf(file)
    const document = await readDenylistFile(file, validator)
    seen = signature
    if (document) {
      index.replace(document.entries)
      loaded = true
    } else if (loaded) {
      // Deleting the file must not silently trust every key again: keep what was denied.
      throw new JwkrError(
        'ERR_DENYLIST_READ',
        `The denylist ${file} is gone; the guard keeps the ${index.size} keys it last read.`,
        {
          hint: 'Restore the file; entries are only dropped when a readable file no longer lists them.',
        },
      )
    }
  }
  const reload = serialized(async () => {
    if (closed) return
    try {
      await load()
    } catch (error) {
      options.onError(error as Error)
    }
  })

  await load()

  let timer: NodeJS.Timeout | undefined
  const nudge = () => {
    clearTimeout(timer)
    timer = setTimeout(() => void reload(), options.debounceMs)
    timer.unref()
  }
  let watcher: FSWatcher | undefined
  if (options.watch) {
    try {
      watcher = watch(dirname(file), {persistent: false}, (_event, name) => {
        if (name === null || name === basename(file)) nudge()
      })
      watcher.on('error', (error) => {
        options.onError(error)
        watcher?.close()
        watcher = undefined
      })
    } catch (error) {
      // No folder yet, or no watch support: the periodic stat still sees the file arrive.
      options.onError(error as Error)
    }
  }
  const poll = setInterval(() => {
    void signatureOf(file).then((signature) => {
      if (signature !== seen) nudge()
    })
  }, options.intervalMs)
  poll.unref()

  return {
    reload,
    close: async () => {
      closed = true
      clearInterval(poll)
      clearTimeout(timer)
      watcher?.close()
      await reload.idle()
    },
  }
}

/** Changes when the file is replaced (inode), grows or shrinks, or is written to. */
async function signatureOf(file: string): Promise<string> {
  try {
    const info = await stat(file, {bigint: true})
    return `${info.ino}:${info.size}:${info.mtimeNs}`
  } catch {
    return 'missing'
  }
}

/** Runs `work` one at a time; a call during a run schedules one more run after it. */
export function serialized(work: () => Promise<void>): (() => Promise<void>) & {idle(): Promise<void>} {
  let running: Promise<void> | undefined
  let again = false
  const run = (): Promise<void> => {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      do {
        again = false
        await work()
      } while (again)
    })().finally(() => {
      running = undefined
    })
    return running
  }
  return Object.assign(run, {idle: async () => running})
}
