// Discovery over local trees: the same walk as `jwkr code scan` (its ignore rules, no symbolic links,
// .git skipped), but it opens only the files whose names a discovery parser reads, plus .env files
// (hidden, yet where services keep their settings), and never enters node_modules or build output.
// Each file is read and parsed on the spot; the project a file belongs to names its service.
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {basename, dirname, relative, resolve, sep} from 'node:path'

import {discoverFile, fileKind, SKIPPED_DIRECTORIES} from '../../core/discover/discover-file.js'
import {isProjectListing, projectName} from '../../core/discover/project-name.js'
import type {Finding} from '../../core/discover/types.js'
import {assertPathsExist, walkFiles, type WalkCounts} from '../scan/walk-files.js'

export interface DiscoverPathsOptions {
  hidden?: boolean
  gitignore?: boolean
  /** Files larger than this are skipped (default 1 MiB: configuration is small). */
  maxFileSize?: number
  /** How paths are written in provenance (default: relative to the current directory). */
  cwd?: string
  onProgress?: (progress: {filesSeen: number; filesRead: number; findings: number}) => void
}

export interface DiscoverPathsResult {
  findings: Finding[]
  filesSeen: number
  filesRead: number
  skipped: WalkCounts & {tooLarge: number}
}

/**
 * @example const {findings} = discoverPaths(['~/src/acme'])
 */
export function discoverPaths(paths: readonly string[], options: DiscoverPathsOptions = {}): DiscoverPathsResult {
  assertPathsExist(paths)
  const cwd = options.cwd ?? process.cwd()
  const maxFileSize = options.maxFileSize ?? 1 << 20
  const counts: WalkCounts = {ignored: 0, hidden: 0, symlinks: 0, unreadable: 0}
  const files = walkFiles(
    paths,
    {
      hidden: options.hidden ?? false,
      gitignore: options.gitignore ?? true,
      keepHidden: (name) => fileKind(name) === 'dotenv',
      skipDirectory: (name) => SKIPPED_DIRECTORIES.has(name),
    },
    counts,
  )
  const projects = new Map<string, boolean>()
  const roots = paths.map((path) => resolve(path))
  const findings: Finding[] = []
  let filesSeen = 0
  let filesRead = 0
  let tooLarge = 0
  for (const path of files) {
    filesSeen++
    const kind = fileKind(basename(path))
    if (kind === null) continue
    let text: string
    try {
      if (statSync(path).size > maxFileSize) {
        tooLarge++
        continue
      }
      text = readFileSync(path, 'utf8')
    } catch {
      counts.unreadable++
      continue
    }
    filesRead++
    const absolute = resolve(path)
    const inside = relative(cwd, absolute)
    const file = inside.startsWith('..') ? absolute : inside
    findings.push(...discoverFile(kind, text, {file, service: projectOf(absolute, roots, projects)}))
    if (filesRead % 64 === 0) options.onProgress?.({filesSeen, filesRead, findings: findings.length})
  }
  return {findings, filesSeen, filesRead, skipped: {...counts, tooLarge}}
}

/** The project of a file (core/discover/project-name.ts), looking at the folders between it and the path given. */
function projectOf(file: string, roots: string[], cache: Map<string, boolean>): string {
  const root =
    roots.filter((candidate) => file.startsWith(candidate + sep)).sort((a, b) => b.length - a.length)[0] ?? dirname(file)
  const folders = relative(root, dirname(file))
    .split(sep)
    .filter((part) => part !== '')
  return projectName(folders, basename(root), (depth) => {
    const directory = [root, ...folders.slice(0, depth)].join(sep)
    let known = cache.get(directory)
    if (known === undefined) {
      known = isProject(directory)
      cache.set(directory, known)
    }
    return known
  })
}

function isProject(directory: string): boolean {
  try {
    return isProjectListing(readdirSync(directory))
  } catch {
    return false
  }
}
