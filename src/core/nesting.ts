// How deep parsed data goes, measured without recursion. Whatever jwkr parses (YAML, JSON from a file
// or a server) is later walked by recursive code — schema checks, redaction, JSON.stringify — which
// overflows the stack on data nested a few thousand levels deep, and never ends on data that holds
// itself (a YAML alias inside the node it names). Checked once at intake, so nothing later has to.

/** Deeper than any key, playbook or inventory needs (a JWKS is 4 levels, an inventory 6). */
export const MAX_NESTING_DEPTH = 64

/**
 * The most entries a JWKS may hold. Real sets hold a handful (a 1 MiB document fits about 2,000 RSA
 * keys); 300,000 `{}` entries took 1.3 GB to report on, one finding each.
 */
export const MAX_JWKS_KEYS = 1000

export interface NestingProblem {
  kind: 'depth' | 'cycle'
  /** Where it was found: object keys and array indexes from the top. */
  path: (string | number)[]
}

/**
 * The first place where `value` nests deeper than `maxDepth` lists and mappings, or contains
 * itself; null when it does neither.
 *
 * @example nestingProblem(JSON.parse('[[[1]]]'), 2) // {kind: 'depth', path: [0, 0]}
 */
export function nestingProblem(value: unknown, maxDepth: number = MAX_NESTING_DEPTH): NestingProblem | null {
  // Depth-first, with an explicit stack; `open` holds the containers on the current path.
  const open = new Set<object>()
  const stack: Array<{value: unknown; path: (string | number)[]} | {leave: object}> = [{value, path: []}]
  while (stack.length > 0) {
    const item = stack.pop()!
    if ('leave' in item) {
      open.delete(item.leave)
      continue
    }
    const {value: current, path} = item
    if (current === null || typeof current !== 'object') continue
    if (open.has(current)) return {kind: 'cycle', path}
    if (path.length >= maxDepth) return {kind: 'depth', path}
    open.add(current)
    stack.push({leave: current})
    const entries: Array<[string | number, unknown]> = Array.isArray(current)
      ? current.map((child, index) => [index, child])
      : Object.entries(current)
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!
      if (child !== null && typeof child === 'object') stack.push({value: child, path: [...path, key]})
    }
  }
  return null
}

/**
 * A sentence for a NestingProblem, for messages.
 *
 * @example describeNesting({kind: 'depth', path: ['keys', 0]}) // 'nests lists and mappings more than 64 levels deep'
 */
export function describeNesting(problem: NestingProblem, maxDepth: number = MAX_NESTING_DEPTH): string {
  return problem.kind === 'cycle'
    ? 'contains itself (an alias inside the node it names)'
    : `nests lists and mappings more than ${maxDepth} levels deep`
}
