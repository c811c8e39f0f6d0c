// Walks the paths given to `jwkr code scan` the way ripgrep does by default: depth first, streaming
// (one directory listing in memory per level), skipping `.git`, hidden entries unless asked, what
// .gitignore files exclude unless asked, and symbolic links. Files named on the command line are
// always searched.
import {existsSync, lstatSync, readdirSync, readFileSync, statSync, type Dirent} from 'node:fs'
import {dirname, join, relative, resolve, sep} from 'node:path'

import ignore, {type Ignore} from 'ignore'

import {JwkrError} from '../../core/errors.js'

export interface WalkOptions {
  /** Search hidden files and directories (names starting with a dot). */
  hidden: boolean
  /** Honour .gitignore files. */
  gitignore: boolean
  /** Hidden files to yield all the same (discovery reads .env files). */
  keepHidden?: (name: string) => boolean
  /** Directories never entered (discovery skips node_modules). */
  skipDirectory?: (name: string) => boolean
}

/** What the walk left out, counted as it goes. */
export interface WalkCounts {
  ignored: number
  hidden: number
  symlinks: number
  /** Neither a file nor a folder: named pipes, sockets, devices (reading one could block or never end). */
  special: number
  unreadable: number
}

/** The rules of one .gitignore file, matched against paths relative to its directory. */
class GitignoreScope {
  readonly #rules: string
  #matcher: Ignore
  #tests = 0

  constructor(
    readonly base: string,
    rules: string,
  ) {
    this.#rules = rules
    this.#matcher = GitignoreScope.#compile(rules)
  }

  /** True or false when a rule of this file decides, undefined when none matches. */
  decide(path: string, isDirectory: boolean): boolean | undefined {
    // `ignore` caches every path it has answered, which would grow with the tree: start afresh now and then.
    if (++this.#tests > 4096) {
      this.#matcher = GitignoreScope.#compile(this.#rules)
      this.#tests = 0
    }
    const rel = relative(this.base, path).split(sep).join('/')
    const result = this.#matcher.test(isDirectory ? `${rel}/` : rel)
    return result.ignored ? true : result.unignored ? false : undefined
  }

  static #compile(rules: string): Ignore {
    return ignore({ignorecase: false}).add(rules)
  }
}

interface PendingDirectory {
  path: string
  scopes: GitignoreScope[]
}

/**
 * Checks that every path exists before anything is searched, so a typo fails fast with exit 1.
 *
 * @example assertPathsExist(['src', 'config/keys'])
 */
export function assertPathsExist(paths: readonly string[]): void {
  for (const path of paths) {
    try {
      statSync(path)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new JwkrError(
        code === 'ENOENT' ? 'ERR_INPUT_NOT_FOUND' : 'ERR_INPUT_UNREADABLE',
        code === 'ENOENT' ? `No such file or directory: ${path}.` : `Cannot read ${path}${code ? ` (${code})` : ''}.`,
        {hint: 'Pass the directories or files to search, e.g. `jwkr code scan --key leaked.json .`'},
      )
    }
  }
}

/** Yields the path of every regular file to search, in directory order. */
export function* walkFiles(roots: readonly string[], options: WalkOptions, counts: WalkCounts): Generator<string> {
  for (const root of roots) {
    const info = statSync(root)
    if (info.isFile()) {
      yield root
      continue
    }
    if (!info.isDirectory()) continue
    const stack: PendingDirectory[] = [{path: root, scopes: options.gitignore ? ancestorScopes(root) : []}]
    while (stack.length > 0) {
      const {path, scopes: inherited} = stack.pop() as PendingDirectory
      let entries: Dirent[]
      try {
        entries = readdirSync(path, {withFileTypes: true})
      } catch {
        counts.unreadable++
        continue
      }
      const scopes = options.gitignore ? withGitignore(path, entries, inherited) : inherited
      // Concatenation, not path.join: join normalises every path and is a fifth of the walk's time.
      const prefix = path.endsWith(sep) ? path : `${path}${sep}`
      const subdirectories: PendingDirectory[] = []
      for (const entry of entries) {
        const name = entry.name
        if (name === '.git') continue
        if (name.startsWith('.') && !options.hidden && !(options.keepHidden?.(name) === true && entry.isFile())) {
          counts.hidden++
          continue
        }
        if (entry.isSymbolicLink()) {
          counts.symlinks++
          continue
        }
        const isDirectory = entry.isDirectory()
        if (!isDirectory && !entry.isFile()) {
          counts.special++
          continue
        }
        const child = prefix + name
        if (scopes.length > 0 && isIgnored(scopes, child, isDirectory)) {
          counts.ignored++
          continue
        }
        if (isDirectory) {
          if (options.skipDirectory?.(name) !== true) subdirectories.push({path: child, scopes})
        } else yield child
      }
      // Reversed so that the stack pops them in listing order.
      for (let i = subdirectories.length - 1; i >= 0; i--) stack.push(subdirectories[i] as PendingDirectory)
    }
  }
}

/** The deepest .gitignore with a rule for the path decides, as in git. */
function isIgnored(scopes: readonly GitignoreScope[], path: string, isDirectory: boolean): boolean {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const decision = (scopes[i] as GitignoreScope).decide(path, isDirectory)
    if (decision !== undefined) return decision
  }
  return false
}

function withGitignore(directory: string, entries: Dirent[], inherited: GitignoreScope[]): GitignoreScope[] {
  if (!entries.some((entry) => entry.name === '.gitignore' && entry.isFile())) return inherited
  const rules = readRules(join(directory, '.gitignore'))
  return rules === null ? inherited : [...inherited, new GitignoreScope(directory, rules)]
}

/**
 * A path inside a repository is also governed by the .gitignore files above it, up to the
 * repository root (the first directory holding `.git`). Outside a repository there are none.
 */
function ancestorScopes(root: string): GitignoreScope[] {
  const scopes: GitignoreScope[] = []
  let directory = resolve(root)
  if (existsSync(join(directory, '.git'))) return scopes
  for (let parent = dirname(directory); parent !== directory; directory = parent, parent = dirname(parent)) {
    const rules = existsSync(join(parent, '.gitignore')) ? readRules(join(parent, '.gitignore')) : null
    if (rules !== null) scopes.unshift(new GitignoreScope(parent, rules))
    if (existsSync(join(parent, '.git'))) return scopes
  }
  return []
}

function readRules(path: string): string | null {
  try {
    return lstatSync(path).isFile() ? readFileSync(path, 'utf8') : null
  } catch {
    return null
  }
}
