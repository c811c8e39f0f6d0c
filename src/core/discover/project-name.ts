// The project a configuration file belongs to, which names its service when the file itself names
// none: the nearest folder holding a project marker (package.json, pom.xml, Chart.yaml, *.csproj, …),
// else the file's own folder. Local trees and GitHub repositories answer "is this a project?" their
// own way (the disk, the repository tree); the rule is the same.

/** Files whose presence makes a folder a project. */
export const PROJECT_MARKERS: readonly string[] = [
  'package.json',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
  'go.mod',
  'Chart.yaml',
  'Cargo.toml',
  'pyproject.toml',
]

/** Whether a folder listing makes it a project. */
export function isProjectListing(names: Iterable<string>): boolean {
  for (const name of names) if (PROJECT_MARKERS.includes(name) || name.endsWith('.csproj')) return true
  return false
}

/**
 * @param folders the file's folders from the root of the tree down (empty: the file is at the root)
 * @param rootName the name of the root (the repository, or the folder given)
 * @param isProject whether the folder of that depth (0 = the root) is a project
 * @example projectName(['charts', 'notifications'], 'platform', (depth) => depth === 2) // → 'notifications'
 */
export function projectName(folders: readonly string[], rootName: string, isProject: (depth: number) => boolean): string {
  for (let depth = folders.length; depth >= 0; depth--) {
    if (isProject(depth)) return depth === 0 ? rootName : (folders[depth - 1] as string)
  }
  return folders.at(-1) ?? rootName
}
