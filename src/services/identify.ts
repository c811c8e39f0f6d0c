// One call for commands and playbook steps: read a SOURCE argument and parse the keys in it.
import {loadKeys, type LoadKeysOptions} from '../core/key/load-keys.js'
import type {KeySet} from '../core/key/types.js'
import {readSource, type ReadSourceOptions} from '../adapters/input/read-source.js'

export type LoadKeySourceOptions = LoadKeysOptions & ReadSourceOptions

export async function loadKeySource(source: string, options: LoadKeySourceOptions): Promise<KeySet & {origin: string}> {
  const {text, origin} = await readSource(source, options)
  return {...(await loadKeys(text, options)), origin}
}
