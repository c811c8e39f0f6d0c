// The playbooks shipped in the package's `playbooks/` folder, found from this module's own location
// so that the same code works from src/ (tests, bin/dev.js) and from dist/ (the published package).
import {existsSync, readdirSync} from 'node:fs'
import {basename, extname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {JwkrError} from '../core/errors.js'
import {suggestion} from '../core/yaml/load-yaml-document.js'

export interface BuiltinPlaybook {
  name: string
  file: string
}

export interface LocatedPlaybook {
  file: string
  builtin: boolean
}

const PLAYBOOK_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/

/** `<package root>/playbooks`: two levels up from src/playbook/ and from dist/playbook/. */
export function builtinPlaybookDir(): string {
  return fileURLToPath(new URL('../../playbooks/', import.meta.url))
}

/** The built-in playbooks, by file name without `.yaml`/`.yml`, sorted by name. */
export function listBuiltinPlaybooks(dir: string = builtinPlaybookDir()): BuiltinPlaybook[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((entry) => ['.yaml', '.yml'].includes(extname(entry)))
    .map((entry) => ({name: basename(entry, extname(entry)), file: join(dir, entry)}))
    .sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * Finds a playbook given as a built-in name (`leaked-signing-key`) or a file path.
 * A built-in name wins over a file of the same name in the working directory.
 *
 * @throws JwkrError ERR_PLAYBOOK_NOT_FOUND listing the built-in names.
 */
export function locatePlaybook(nameOrPath: string, dir: string = builtinPlaybookDir()): LocatedPlaybook {
  const builtins = listBuiltinPlaybooks(dir)
  const builtin = PLAYBOOK_NAME.test(nameOrPath) ? builtins.find((playbook) => playbook.name === nameOrPath) : undefined
  if (builtin) return {file: builtin.file, builtin: true}
  // Anything that exists is read as the playbook file: the reader says what is wrong with a pipe or a folder.
  if (existsSync(nameOrPath)) return {file: nameOrPath, builtin: false}
  const names = builtins.map((playbook) => playbook.name)
  const list = names.length > 0 ? names.join(', ') : 'none'
  if (/[\\/]/.test(nameOrPath) || /\.ya?ml$/.test(nameOrPath)) {
    throw new JwkrError('ERR_PLAYBOOK_NOT_FOUND', `No playbook file at ${resolve(nameOrPath)}.`, {
      hint: `Check the path, or use a built-in playbook: ${list}.`,
      details: {playbook: nameOrPath, builtin: names},
    })
  }
  const guess = suggestion(nameOrPath, names)
  throw new JwkrError(
    'ERR_PLAYBOOK_NOT_FOUND',
    `No built-in playbook named '${nameOrPath}'${guess ? ` (did you mean '${guess}'?)` : ''}; built-in playbooks: ${list}.`,
    {
      hint: 'Pass a built-in name (`jwkr playbook list`) or the path of a playbook file.',
      details: {playbook: nameOrPath, builtin: names},
    },
  )
}
