// Why a step's `if` came out false, in words a responder reads in the run table, the journal and the
// report ("its condition is false: the input scanPaths was not given"), never the `${{ }}` text. Only
// the parts that made it false are named: the false operands of `&&`, every operand of `||`, and what
// a negated operand was instead.
import {evaluate, parseCondition, truthy, type Expression, type Scope} from './expression.js'

/** The start of every skip reason the engine gives for a false condition (reports match on it). */
export const CONDITION_FALSE = 'its condition is false'

/**
 * The skip reason of a step whose condition is false, in words.
 *
 * @example conditionSkipReason('${{ steps.inspect.outputs.private && inputs.scanPaths }}', scope)
 *   // → 'its condition is false: the input scanPaths was not given'
 */
export function conditionSkipReason(condition: string | boolean | undefined, scope: Scope): string {
  if (typeof condition !== 'string') return CONDITION_FALSE
  let ast: Expression
  try {
    ast = parseCondition(condition)
  } catch {
    return CONDITION_FALSE
  }
  const why = [...new Set(falseBecause(ast, scope))]
  return why.length > 0 ? `${CONDITION_FALSE}: ${why.join(' and ')}` : CONDITION_FALSE
}

/** What made a falsy node falsy. */
function falseBecause(node: Expression, scope: Scope): string[] {
  if (node.kind === 'binary' && node.operator === '&&') {
    return [node.left, node.right].filter((part) => !holds(part, scope)).flatMap((part) => falseBecause(part, scope))
  }
  if (node.kind === 'binary' && node.operator === '||')
    return [node.left, node.right].flatMap((part) => falseBecause(part, scope))
  if (node.kind === 'unary' && node.operator === '!') return trueBecause(node.operand, scope)
  return [statement(node, scope, false)]
}

/** What made a truthy node truthy (under a `!`). */
function trueBecause(node: Expression, scope: Scope): string[] {
  if (node.kind === 'binary' && node.operator === '&&') return [node.left, node.right].flatMap((part) => trueBecause(part, scope))
  if (node.kind === 'binary' && node.operator === '||') {
    const first = [node.left, node.right].find((part) => holds(part, scope))
    return first ? trueBecause(first, scope) : []
  }
  if (node.kind === 'unary' && node.operator === '!') return falseBecause(node.operand, scope)
  return [statement(node, scope, true)]
}

/** One fact about a node's value: `the input scanPaths was not given`, `step check's output contained is not set (needed false)`. */
function statement(node: Expression, scope: Scope, truth: boolean): string {
  const path = pathOf(node)
  if (path) {
    const value = valueOf(node, scope)
    const name = words(path)
    if (value === null || value === undefined) return path[0] === 'inputs' ? `${name} was not given` : `${name} is not set`
    if (value === '') return `${name} is empty`
    return `${name} is ${shown(value)}`
  }
  if (node.kind === 'binary' && node.operator !== '&&' && node.operator !== '||') {
    const [subject, other] = pathOf(node.left) || !pathOf(node.right) ? [node.left, node.right] : [node.right, node.left]
    const described = pathOf(subject) ? words(pathOf(subject) as string[]) : textOf(subject)
    const actual = `${described} is ${shown(valueOf(subject, scope))}`
    if (truth) return actual
    const wanted = shown(valueOf(other, scope))
    const needed =
      node.operator === '==' ? wanted : node.operator === '!=' ? `anything but ${wanted}` : `${node.operator} ${wanted}`
    return `${actual} (needed ${needed})`
  }
  return `${textOf(node)} is ${truth ? 'true' : 'false'}`
}

function holds(node: Expression, scope: Scope): boolean {
  return truthy(valueOf(node, scope))
}

function valueOf(node: Expression, scope: Scope): unknown {
  try {
    return evaluate(node, scope)
  } catch {
    return undefined
  }
}

/** `steps.check.outputs.clock.waitFor` → ['steps', 'check', 'outputs', 'clock', 'waitFor']; undefined for anything but a plain path. */
function pathOf(node: Expression): string[] | undefined {
  if (node.kind === 'name') return [node.name]
  if (node.kind !== 'member' || node.property.kind !== 'literal') return undefined
  const object = pathOf(node.object)
  return object ? [...object, String(node.property.value)] : undefined
}

/** A path as a responder reads it: `step check's output clock.waitFor`, `the input scanPaths`. */
function words(path: string[]): string {
  const [root, ...rest] = path
  if (root === 'inputs' && rest.length > 0) return `the input ${rest.join('.')}`
  if (root === 'steps' && rest.length >= 2) {
    const [id, part, ...more] = rest
    if (part === 'outputs' && more.length > 0) return `step ${id}'s output ${more.join('.')}`
    return `step ${id}'s ${[part, ...more].join('.')}`
  }
  if (root === 'incident' && rest.length > 0) return `the incident's ${rest.join('.')}`
  return path.join('.')
}

function shown(value: unknown): string {
  if (value === null || value === undefined) return 'not set'
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 59)}…` : value)
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`
  if (typeof value === 'object') return 'set'
  return String(value)
}

/** An expression written back as text (no `${{ }}`), for the parts that are not a plain path. */
function textOf(node: Expression): string {
  switch (node.kind) {
    case 'literal':
      return typeof node.value === 'string' ? `'${node.value}'` : String(node.value)
    case 'name':
      return node.name
    case 'member':
      return node.property.kind === 'literal' && typeof node.property.value === 'string'
        ? `${textOf(node.object)}.${node.property.value}`
        : `${textOf(node.object)}[${textOf(node.property)}]`
    case 'unary':
      return `${node.operator}${textOf(node.operand)}`
    case 'binary':
      return `${textOf(node.left)} ${node.operator} ${textOf(node.right)}`
    case 'call':
      return `${node.name}(${node.args.map(textOf).join(', ')})`
  }
}

/**
 * Before a run: the skip reason of a step whose condition is already false whatever the steps before
 * it return (a conjunct that reads only inputs and the incident, such as `inputs.scanPaths`), for the
 * run's header; undefined when the condition may still come out true.
 *
 * @example foreseenSkipReason('${{ steps.inspect.outputs.private && inputs.scanPaths }}', scope)
 *   // → 'its condition is false: the input scanPaths was not given'
 */
export function foreseenSkipReason(condition: string | boolean | undefined, scope: Scope): string | undefined {
  if (condition === false) return CONDITION_FALSE
  if (typeof condition !== 'string') return undefined
  let ast: Expression
  try {
    ast = parseCondition(condition)
  } catch {
    return undefined
  }
  const settled = conjuncts(ast).filter((part) => !readsSteps(part) && !holds(part, scope))
  if (settled.length === 0) return undefined
  const why = [...new Set(settled.flatMap((part) => falseBecause(part, scope)))]
  return why.length > 0 ? `${CONDITION_FALSE}: ${why.join(' and ')}` : CONDITION_FALSE
}

function conjuncts(node: Expression): Expression[] {
  return node.kind === 'binary' && node.operator === '&&' ? [...conjuncts(node.left), ...conjuncts(node.right)] : [node]
}

/** Whether a part of a condition reads a step's outputs or status (unknown before the step ran), or the time. */
function readsSteps(node: Expression): boolean {
  switch (node.kind) {
    case 'literal':
      return false
    case 'name':
      return node.name === 'steps' || node.name === 'now'
    case 'member':
      return readsSteps(node.object) || readsSteps(node.property)
    case 'unary':
      return readsSteps(node.operand)
    case 'binary':
      return readsSteps(node.left) || readsSteps(node.right)
    case 'call':
      return node.args.some(readsSteps)
  }
}
