import type { TSchema } from '@sinclair/typebox'
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler'
import { Elysia, ValidationError } from 'elysia'
import { invalid } from '../errors'

/** The parts of a JSON schema (as TypeBox builds it) that say which fields an object takes. */
interface Shape {
  type?: unknown
  properties?: Record<string, Shape>
  additionalProperties?: unknown
  items?: Shape
  anyOf?: Shape[]
}

interface DeclaredRoute {
  method: string
  path: string
  hooks: { body?: unknown; detail?: { hide?: boolean } }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The first field of `value` that `schema` does not declare, as a dotted path; only objects whose
 * schema says `additionalProperties: false` are closed. A union is entered through its object
 * alternatives: the value has an unknown field only if every one of them refuses it.
 */
function unknownField(schema: Shape, value: unknown): string | null {
  return unknownPath(schema, value)?.reverse().join('.') ?? null
}

/** A union's alternatives that can close an object, found once per schema. */
const objectAlternatives = new WeakMap<Shape, Shape[]>()

function alternativesOf(union: Shape): Shape[] {
  let found = objectAlternatives.get(union)
  if (!found) {
    found = (union.anyOf ?? []).filter((option) => option.type === 'object' || option.anyOf)
    objectAlternatives.set(union, found)
  }
  return found
}

/**
 * The path to the first unknown field, innermost first; built only on the way out of a find.
 * Bodies may hold hundreds of thousands of items (a runner host's batch of events): nothing is
 * allocated for an item that has no unknown field.
 */
function unknownPath(schema: Shape, value: unknown): string[] | null {
  if (schema.anyOf) {
    let first: string[] | null = null
    for (const option of alternativesOf(schema)) {
      const field = unknownPath(option, value)
      if (field === null) return null
      first ??= field
    }
    return first
  }
  if (schema.type === 'array' && schema.items && Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const field = unknownPath(schema.items, value[index])
      if (field !== null) return [...field, String(index)]
    }
    return null
  }
  if (schema.type !== 'object' || !isObject(value)) return null
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    const declared = schema.properties?.[key]
    if (!declared) {
      if (schema.additionalProperties === false) return [key]
      continue
    }
    const field = unknownPath(declared, value[key])
    if (field !== null) return [...field, key]
  }
  return null
}

// An API route that declares no body takes none: any field sent to it is unknown.
const NO_BODY: Shape = { type: 'object', properties: {}, additionalProperties: false }

interface DeclaredBody {
  shape: Shape
  check: TypeCheck<TSchema> | null
}

/**
 * Validates a JSON body as the client sent it, against its route's schema. Elysia's normalisation
 * reshapes a body to its schema before validating it: a field the schema does not declare is
 * dropped (a misspelt `alow_network` would silently mean its default) and a value of the wrong
 * kind can be turned into an empty one (`"policy": 5` became the default policy). So this runs
 * as a transform, the last step that sees the body unchanged, and refuses with 400 naming the
 * field: an unknown one as such, anything else as the schema's validation error.
 *
 * The page routes (hidden from the API document) read the forms the server's own pages post,
 * and are left alone. The routes are known only once the app is assembled: call `learn` with them.
 */
export function strictBodies() {
  const bodies = new Map<string, DeclaredBody>()
  const plugin = new Elysia({ name: 'strict-bodies' }).onTransform(
    { as: 'global' },
    ({ request, route, body }) => {
      if (typeof body !== 'object' || body === null) return
      const declared = bodies.get(`${request.method} ${route}`)
      if (!declared) return
      const field = unknownField(declared.shape, body)
      if (field !== null) throw invalid(`invalid body: unknown field "${field}"`, { field })
      if (declared.check && !declared.check.Check(body))
        throw new ValidationError('body', declared.check, body)
    },
  )
  const learn = (routes: readonly DeclaredRoute[]) => {
    for (const { method, path, hooks } of routes) {
      if (hooks.detail?.hide) continue
      const schema = hooks.body as TSchema | undefined
      bodies.set(`${method} ${path}`, {
        shape: (schema as Shape | undefined) ?? NO_BODY,
        check: schema ? TypeCompiler.Compile(schema) : null,
      })
    }
  }
  return { plugin, learn }
}
