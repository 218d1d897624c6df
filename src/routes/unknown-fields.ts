import { Elysia } from 'elysia'
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

const joined = (path: string, key: string) => (path === '' ? key : `${path}.${key}`)

/**
 * The first field of `value` that `schema` does not declare, as a dotted path; only objects whose
 * schema says `additionalProperties: false` are closed. A union is entered through its object
 * alternatives: the value has an unknown field only if every one of them refuses it.
 */
export function unknownField(schema: Shape, value: unknown, path = ''): string | null {
  if (schema.anyOf) {
    const objects = schema.anyOf.filter((option) => option.type === 'object' || option.anyOf)
    const found = objects.map((option) => unknownField(option, value, path))
    return found.length > 0 && found.every((field) => field !== null) ? (found[0] ?? null) : null
  }
  if (schema.type === 'array' && schema.items && Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const field = unknownField(schema.items, item, joined(path, String(index)))
      if (field !== null) return field
    }
    return null
  }
  if (schema.type !== 'object' || !isObject(value)) return null
  for (const [key, item] of Object.entries(value)) {
    const declared = schema.properties?.[key]
    if (!declared) {
      if (schema.additionalProperties === false) return joined(path, key)
      continue
    }
    const field = unknownField(declared, item, joined(path, key))
    if (field !== null) return field
  }
  return null
}

// An API route that declares no body takes none: any field sent to it is unknown.
const NO_BODY: Shape = { type: 'object', properties: {}, additionalProperties: false }

/**
 * Refuses a body with a field its route does not declare (400, naming the field's path). Elysia's
 * normalisation would otherwise drop such fields before validating, so a misspelt policy field
 * (`alow_network`) would silently mean its default. It runs as a transform, the last step that
 * sees the body as sent. The page routes (hidden from the API document) read the forms the
 * server's own pages post, and are left alone.
 *
 * The routes are known only once the app is assembled: call `learn` with them.
 */
export function refuseUnknownFields() {
  const bodies = new Map<string, Shape>()
  const plugin = new Elysia({ name: 'unknown-fields' }).onTransform(
    { as: 'global' },
    ({ request, route, body }) => {
      if (!isObject(body) && !Array.isArray(body)) return
      const schema = bodies.get(`${request.method} ${route}`)
      if (!schema) return
      const field = unknownField(schema, body)
      if (field !== null) throw invalid(`invalid body: unknown field "${field}"`, { field })
    },
  )
  const learn = (routes: readonly DeclaredRoute[]) => {
    for (const { method, path, hooks } of routes) {
      if (hooks.detail?.hide) continue
      bodies.set(`${method} ${path}`, (hooks.body as Shape | undefined) ?? NO_BODY)
    }
  }
  return { plugin, learn }
}
