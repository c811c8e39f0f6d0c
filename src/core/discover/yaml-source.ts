// YAML (and JSON, which is YAML) documents with the line of any node, for discovery parsers: a
// manifest file may hold many documents (---), and every finding must say the line it came from.
import {isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node} from 'yaml'

import {MAX_ALIAS_COUNT} from '../yaml/load-yaml-document.js'

export type NodePath = readonly (string | number)[]

export interface YamlSource {
  /** The document as plain data. */
  data: unknown
  /** The 1-based line of the node at path (or of its nearest existing ancestor). */
  lineOf(path: NodePath): number
}

/** The well-formed documents of a YAML text; a document with syntax errors is left out (it says nothing reliable). */
export function yamlSources(text: string): YamlSource[] {
  const lineCounter = new LineCounter()
  let documents: Document.Parsed[]
  try {
    const parsed = parseAllDocuments(text, {lineCounter, prettyErrors: false, uniqueKeys: false})
    documents = Array.isArray(parsed) ? parsed : []
  } catch {
    return []
  }
  return documents.flatMap((document) => {
    if (document.errors.length > 0) return []
    let data: unknown
    try {
      data = document.toJS({maxAliasCount: MAX_ALIAS_COUNT})
    } catch {
      return []
    }
    const lineOf = (path: NodePath): number => {
      for (let length = path.length; length >= 0; length--) {
        const node = document.getIn(path.slice(0, length), true) as Node | undefined
        const start = node?.range?.[0]
        if (start !== undefined && (isScalar(node) || isMap(node) || isSeq(node))) return lineCounter.linePos(start).line
      }
      return 1
    }
    return [{data, lineOf}]
  })
}

/** Every scalar of a document with its path, depth first, in document order. */
export function* scalarsOf(
  data: unknown,
  path: (string | number)[] = [],
): Generator<{path: (string | number)[]; value: unknown}> {
  if (Array.isArray(data)) {
    for (const [index, item] of data.entries()) yield* scalarsOf(item, [...path, index])
  } else if (isRecord(data)) {
    for (const [key, value] of Object.entries(data)) yield* scalarsOf(value, [...path, key])
  } else {
    yield {path, value: data}
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Visits every map of a document depth first, in document order; `visit` returns true to look inside the map too. */
export function visitMaps(
  data: unknown,
  visit: (map: Record<string, unknown>, path: (string | number)[]) => boolean,
  path: (string | number)[] = [],
): void {
  if (Array.isArray(data)) {
    data.forEach((item, index) => visitMaps(item, visit, [...path, index]))
  } else if (isRecord(data) && visit(data, path)) {
    for (const [key, value] of Object.entries(data)) visitMaps(value, visit, [...path, key])
  }
}
