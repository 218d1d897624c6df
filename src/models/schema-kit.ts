import { Kind, KindGuard, type SchemaOptions, type TSchema, Type, TypeRegistry } from '@sinclair/typebox'

/** The schema's value, or null. */
export const Nullable = <T extends TSchema>(schema: T, options?: SchemaOptions) =>
  Type.Union([schema, Type.Null()], options)

const STRING_ENUM = 'StringEnum'
if (!TypeRegistry.Has(STRING_ENUM))
  TypeRegistry.Set<{ enum: readonly string[] }>(
    STRING_ENUM,
    (schema, value) => typeof value === 'string' && schema.enum.includes(value),
  )

/**
 * One of the given strings, as a JSON Schema `enum` (what an OpenAPI 3.0 document can say; a
 * union of constants is not), checked by TypeBox and by Elysia's compiled validators alike.
 */
export const StringEnum = <const T extends readonly [string, ...string[]]>(values: T, description: string) =>
  Type.Unsafe<T[number]>({
    [Kind]: STRING_ENUM,
    type: 'string',
    enum: values,
    description: `${description}: one of ${values.join(', ')}`,
  })

const OPTIONAL_ON_WIRE = Symbol.for('openruntime.optionalOnWire')

/**
 * Marks a field the record always has but the API document leaves out of `required`, as it always
 * has: the fields this runtime added to the original openRuntime's shapes, and measurements that
 * are filled in only after a run. A client written against the document keeps working.
 */
export const optionalOnWire = <T extends TSchema>(schema: T): T => ({ ...schema, [OPTIONAL_ON_WIRE]: true })

/**
 * The schema as the API document states it: the same shape, every field marked `optionalOnWire`
 * (at any depth) optional. Its type is the record's: what the server sends always has them all.
 */
export function wire<T extends TSchema>(schema: T): T {
  return wireOf(schema) as T
}

function wireOf(schema: TSchema): TSchema {
  if (KindGuard.IsObject(schema)) {
    const { properties, required: _required, ...options } = schema
    const shaped = Object.fromEntries(
      Object.entries(properties).map(([key, property]) => {
        const field = wireOf(property)
        return [key, OPTIONAL_ON_WIRE in property ? Type.Optional(field) : field]
      }),
    )
    return Type.Object(shaped, options)
  }
  if (KindGuard.IsUnion(schema)) {
    const { anyOf, ...options } = schema
    return Type.Union(anyOf.map(wireOf), options)
  }
  if (KindGuard.IsArray(schema)) {
    const { items, ...options } = schema
    return Type.Array(wireOf(items), options)
  }
  return schema
}
