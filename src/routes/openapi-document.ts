import { STATUS_CODES } from 'node:http'

type Json = Record<string, unknown>

const RESPONSE_KEYS = new Set(['description', 'content', 'headers', 'links'])

/**
 * TypeBox emits JSON Schema 2020 idioms that OpenAPI 3.0 does not have: `type: "null"` inside
 * anyOf (3.0 says `nullable`), `const`, and `patternProperties` for records.
 */
function toOpenApi30Schema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toOpenApi30Schema)
  if (!node || typeof node !== 'object') return node
  const schema: Json = {}
  for (const [key, value] of Object.entries(node as Json)) schema[key] = toOpenApi30Schema(value)
  if (Array.isArray(schema.anyOf)) {
    const options = schema.anyOf as Json[]
    const rest = options.filter((option) => option.type !== 'null')
    if (rest.length < options.length) {
      delete schema.anyOf
      if (rest.length === 1) Object.assign(schema, rest[0])
      else schema.anyOf = rest
      schema.nullable = true
    }
  }
  if ('const' in schema) {
    schema.enum = [schema.const]
    delete schema.const
  }
  if (schema.patternProperties && typeof schema.patternProperties === 'object') {
    const [first] = Object.values(schema.patternProperties as Json)
    schema.additionalProperties = first ?? true
    delete schema.patternProperties
  }
  return schema
}

/**
 * The swagger plugin copies schema keywords onto response objects and leaves `description` out
 * when a schema has none; OpenAPI 3.0 requires a description and allows nothing else there. This
 * brings each response object into shape so the document validates.
 */
export function normalizeOpenApiDocument(document: Json): Json {
  document.paths = toOpenApi30Schema(document.paths)
  if (document.components) document.components = toOpenApi30Schema(document.components)
  const paths = (document.paths ?? {}) as Record<string, Record<string, Json>>
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      const responses = (operation.responses ?? {}) as Record<string, Json>
      for (const [status, response] of Object.entries(responses)) {
        const cleaned: Json = {}
        for (const [key, value] of Object.entries(response))
          if (RESPONSE_KEYS.has(key) && value !== undefined) cleaned[key] = value
        cleaned.description ??= STATUS_CODES[Number(status)] ?? 'Response'
        responses[status] = cleaned
      }
      if (Object.keys(responses).length === 0) responses['200'] = { description: 'OK' }
      operation.responses = responses
    }
  }
  return document
}
