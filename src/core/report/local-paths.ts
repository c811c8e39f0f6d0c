// Documents name no local paths: an RCA, a timeline or a draft travels (a ticket, an email, a
// postmortem), and a path on the responder's machine tells its readers about that machine and nothing
// about the incident. A path inside the incident's folder is shown from there (`artifacts/rca.md`);
// any other path under a place the run knows as local (where the key and the inputs were, the
// workspace, the home and temporary folders) is shown by its file name alone.
import {basename, dirname, isAbsolute, relative, sep} from 'node:path'

import type {JournalEvent} from '../journal/types.js'

export interface LocalPlaces {
  /** The incident's folder: paths inside it are shown relative to it. */
  incidentDir: string
  /** Folders whose paths are shown by their file name; `/` is never one. */
  roots: readonly string[]
}

/**
 * The local places of an incident: its folder, and the folders of the key and of every input given as
 * an absolute path (incident.opened), besides `roots` (the workspace, the home folder, the temporary
 * folder: the caller's machine).
 *
 * @example localPlacesOf(events, location.dir, [homedir(), tmpdir(), process.cwd()])
 */
export function localPlacesOf(events: readonly JournalEvent[], incidentDir: string, roots: readonly string[]): LocalPlaces {
  const opened = events.find((event) => event.type === 'incident.opened')?.data as
    {source?: unknown; inputs?: Record<string, unknown>} | undefined
  const given = [opened?.source, ...Object.values(opened?.inputs ?? {})].flat().filter((value) => typeof value === 'string')
  const folders = given.filter((path) => isAbsolute(path)).map((path) => dirname(path))
  return {incidentDir, roots: [dirname(incidentDir), ...roots, ...folders]}
}

/**
 * `text` with every path under the incident's folder made relative to it, and every other path under
 * a local root cut to its file name.
 *
 * @example hideLocalPaths('wrote /home/ana/ir/.jwkr/incidents/i-1/artifacts/rca.md', {incidentDir: '/home/ana/ir/.jwkr/incidents/i-1', roots: ['/home/ana']}) // 'wrote artifacts/rca.md'
 */
export function hideLocalPaths(text: string, places: LocalPlaces): string {
  const roots = [...new Set([places.incidentDir, ...places.roots].map(withoutTrailingSeparator))]
    .filter((root) => root.length > 1)
    // The longest first: the incident's folder lies inside the workspace, which may lie in the home folder.
    .sort((a, b) => b.length - a.length)
  if (roots.length === 0) return text
  // A root where a path starts (not inside a URL or a word) and ends (not /tmp of /tmpfiles), and what follows it.
  const pattern = new RegExp(
    `(?<![\\w.:/-])(?:${roots.map(escapeRegExp).join('|')})(?![\\w-]|\\.\\w)(?:${escapeRegExp(sep)}[^\\s\`'"|()<>\\[\\]{},;]*)?`,
    'g',
  )
  return text.replace(pattern, (match) => {
    // A full stop that ends a sentence is not part of the path.
    const stop = /\.+$/.exec(match)?.[0] ?? ''
    const path = match.slice(0, match.length - stop.length)
    const inside = relative(places.incidentDir, path)
    const shown = inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : basename(path)
    return `${shown || '.'}${stop}`
  })
}

function withoutTrailingSeparator(path: string): string {
  return path.length > 1 && path.endsWith(sep) ? path.slice(0, -1) : path
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
