// The builders step files declare their input and output with (ARCHITECTURE.md, Playbook). A TypeBox
// schema is a plain JSON Schema object that also carries its TypeScript type (`Static<typeof schema>`),
// so a step's schema is written once and gives both: what `jwkr playbook validate` and the engine check
// (ajv), and the types `plan` and `run` see. The few forms TypeBox's builders write as `anyOf` are kept
// as JSON Schema type lists here, because the playbook checker turns `type: [...]` into one friendly
// message ("must be a list or a string") where an `anyOf` gives one message per branch.
import Type, {type Static, type TSchema, type TUnsafe} from 'typebox'

export {Type}
export type {Static, TSchema}

/** A schema of one JSON type (`{type: 'string', …}`), the form the helpers below extend. */
type SingleTypeSchema = TSchema & {type: string}

/** `schema` or null: `{type: [<its type>, 'null'], …}`. */
export function Nullable<T extends SingleTypeSchema>(schema: T): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({...schema, type: [schema.type, 'null']})
}

/**
 * One `item` or a non-empty list of them (`paths: ./logs` or `paths: [./a, ./b]`): the item's own
 * constraints hold for the single value and for each item of the list.
 */
export function OneOrMany<T extends SingleTypeSchema>(item: T, options: {description: string}): TUnsafe<Static<T> | Static<T>[]> {
  return Type.Unsafe<Static<T> | Static<T>[]>({...item, type: ['array', item.type], items: item, minItems: 1, ...options})
}

/** Any JSON object, no properties named: `{type: 'object'}`. */
export function AnyObject(options: {description?: string} = {}): TUnsafe<object> {
  return Type.Unsafe<object>({type: 'object', ...options})
}
