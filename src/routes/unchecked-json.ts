export const JSON_TYPE = 'application/json'

/**
 * JSON the task views built (tasks/views.ts), sent without being checked against the route's
 * response schema on the way out: for a task view that check and copy cost as much as building
 * the view. Only for views built field by field from the schema's types, which tests hold to the
 * schema exactly (tests/api/tasks-api.test.ts).
 */
export const uncheckedJson = (json: Blob, headers: Record<string, string> = {}): Response =>
  new Response(json, { headers: { 'content-type': JSON_TYPE, ...headers } })
