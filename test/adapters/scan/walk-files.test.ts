// The walk decides what is searched: .git, hidden entries, .gitignore files (nested, negated, and
// those above the scanned folder in its repository), symbolic links, and paths named explicitly.
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, relative} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {walkFiles, type WalkCounts, type WalkOptions} from '../../../src/adapters/scan/walk-files.js'

const folders: string[] = []
afterAll(() => folders.forEach((folder) => rmSync(folder, {recursive: true, force: true})))

function temporary(): string {
  const folder = mkdtempSync(join(tmpdir(), 'jwkr-walk-'))
  folders.push(folder)
  return folder
}

function makeTree(files: Record<string, string>): string {
  const root = temporary()
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), {recursive: true})
    writeFileSync(join(root, path), content)
  }
  return root
}

function walk(
  roots: string[],
  options: Partial<WalkOptions> = {},
  base = roots[0] as string,
): {files: string[]; counts: WalkCounts} {
  const counts: WalkCounts = {ignored: 0, hidden: 0, symlinks: 0, special: 0, unreadable: 0}
  const files = [...walkFiles(roots, {hidden: false, gitignore: true, ...options}, counts)]
    .map((file) => relative(base, file))
    .sort()
  return {files, counts}
}

describe('walkFiles', () => {
  it('skips .git always, hidden entries unless asked, and follows no symbolic link', () => {
    // Given a tree with a .git folder, hidden files and folders, and links to a file and a folder
    const root = makeTree({'a.txt': '', '.git/config': '', '.env': '', '.secrets/key.json': '', 'src/b.txt': ''})
    symlinkSync(join(root, 'a.txt'), join(root, 'link.txt'))
    symlinkSync(join(root, 'src'), join(root, 'linked-src'))
    // When it is walked with and without hidden
    const plain = walk([root])
    const hidden = walk([root], {hidden: true})
    // Then .git is never listed, hidden entries only with hidden, links never
    expect(plain.files).toEqual(['a.txt', 'src/b.txt'])
    expect(plain.counts).toMatchObject({hidden: 2, symlinks: 2})
    expect(hidden.files).toEqual(['.env', '.secrets/key.json', 'a.txt', 'src/b.txt'])
  })

  it('counts a named pipe in a folder as special, and never opens it (a read could wait forever)', () => {
    // Given a folder holding a file and a named pipe nobody writes to
    const root = makeTree({'a.txt': ''})
    execFileSync('mkfifo', [join(root, 'pipe')])
    // When it is walked
    const {files, counts} = walk([root])
    // Then the pipe is left out and counted
    expect(files).toEqual(['a.txt'])
    expect(counts.special).toBe(1)
  })

  it('honours nested .gitignore files, the deeper one deciding, with negation', () => {
    // Given a root .gitignore ignoring *.log and build/, and a nested one re-including keep.log
    const root = makeTree({
      '.gitignore': '*.log\nbuild/\n/top-only.txt\n',
      'app.log': '',
      'top-only.txt': '',
      'build/out.js': '',
      'pkg/.gitignore': '!keep.log\nlocal.json\n',
      'pkg/keep.log': '',
      'pkg/drop.log': '',
      'pkg/local.json': '',
      'pkg/top-only.txt': '',
      'pkg/src/local.json': '',
      'pkg/src/Local.JSON': '',
    })
    const {files, counts} = walk([root])
    // Then the ignored files and folder are left out and counted, and the negated file is searched;
    // anchored rules apply to their own folder only, and matching is case-sensitive as in git
    expect(files).toEqual(['pkg/keep.log', 'pkg/src/Local.JSON', 'pkg/top-only.txt'])
    expect(counts.ignored).toBe(6)
    // And without gitignore everything is searched
    expect(walk([root], {gitignore: false}).files).toHaveLength(9)
  })

  it('applies the .gitignore files above the scanned folder, up to the repository root', () => {
    // Given a repository whose root .gitignore ignores generated/, scanned from a subfolder
    const repo = makeTree({
      '.git/HEAD': '',
      '.gitignore': 'generated/\n',
      'services/api/generated/key.json': '',
      'services/api/main.ts': '',
    })
    // When only the subfolder is walked
    const {files} = walk([join(repo, 'services/api')])
    // Then the repository's rules still apply
    expect(files).toEqual(['main.ts'])
  })

  it('ignores .gitignore files above the scanned folder when it is not in a repository', () => {
    const outside = makeTree({'.gitignore': 'generated/\n', 'project/generated/key.json': ''})
    expect(walk([join(outside, 'project')]).files).toEqual(['generated/key.json'])
  })

  it('lists a file named explicitly even if it is hidden or ignored, and walks several roots', () => {
    const root = makeTree({'.gitignore': 'secret.json\n', 'secret.json': '', '.env': '', 'one/a.txt': '', 'two/b.txt': ''})
    const named = [join(root, 'secret.json'), join(root, '.env'), join(root, 'one'), join(root, 'two')]
    expect(walk(named, {}, root).files).toEqual(['.env', 'one/a.txt', 'secret.json', 'two/b.txt'])
  })
})
