// What `jwkr code search` prints: the files that hold the key's public material, as a table, and
// what GitHub's code search could not cover.
import Table from 'cli-table3'

import {SEARCH_RESULT_CAP, type CodeSearchResult, type CodeSearchTermReport} from '../services/search.js'
import type {Style} from './style.js'

export function renderCodeSearch(result: CodeSearchResult, style: Style): string {
  const searched = result.terms.filter((term) => term.searched)
  const queries = new Set(searched.map((term) => term.query)).size
  const lines = [
    `Searched GitHub organisation ${style.bold(result.org)}: ${queries} ${queries === 1 ? 'query' : 'queries'} for ` +
      `${searched.length} of ${result.terms.length} terms (${summariseKinds(result.terms)}).`,
  ]
  if (result.results.length === 0) {
    lines.push(style.green(`No file in ${result.org}'s code on GitHub matches the key's public material.`))
  } else {
    const table = new Table({head: ['repository', 'path', 'matched', 'url'], style: {head: [], border: []}})
    for (const hit of result.results) table.push([hit.repo, hit.path, hit.matches.join(', '), hit.url])
    const repos = new Set(result.results.map((hit) => hit.repo)).size
    const where = `${plural(result.results.length, 'file')} in ${plural(repos, 'repository', 'repositories')}`
    lines.push(table.toString(), style.red(`${where} ${result.results.length === 1 ? 'holds' : 'hold'} the key's material.`))
  }
  for (const term of result.terms) {
    if (term.skipped) lines.push(`${style.dim('skipped')} ${describe(term)}: ${term.skipped}`)
    if (term.limitedBy === 'api-cap') {
      lines.push(
        style.yellow(
          `! ${describe(term)} matched ${term.results} files; GitHub returns only the first ${SEARCH_RESULT_CAP}. ` +
            'Search narrower (per repository) or clone and run `jwkr code scan`.',
        ),
      )
    }
    if (term.limitedBy === 'max-results')
      lines.push(style.yellow(`! ${describe(term)}: ${term.fetched} of ${term.results} files listed (--max-results).`))
    if (term.incompleteResults)
      lines.push(style.yellow(`! ${describe(term)}: GitHub's search timed out; results may be incomplete.`))
  }
  lines.push(
    style.dim(
      "GitHub's code search covers default branches and files under 384 KB only: run `jwkr code scan` on clones for the rest.",
    ),
  )
  return lines.join('\n')
}

function summariseKinds(terms: CodeSearchTermReport[]): string {
  const kinds = [...new Set(terms.map((term) => term.kind))]
  return kinds.length === 0 ? 'no public material to search' : kinds.join(', ')
}

function describe(term: CodeSearchTermReport): string {
  return term.description ? `${term.kind} (${term.description})` : term.kind
}

/** "1 file", "3 files". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}
