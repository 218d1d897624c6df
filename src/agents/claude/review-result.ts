import { isObject, num, obj, parseJsonObject, str } from '../json'
import type { TokenCounts } from '../usage'

/** What a review run printed: the structured answer (or why there is none) and what it used. */
export interface ReviewResult {
  structured: unknown
  error: string | null
  tokens: TokenCounts
  costUsd: number
}

/** The one `result` object `claude -p --output-format json` prints; anything else is reported, never guessed at. */
export function claudeReviewResult(stdout: string): ReviewResult {
  const result = parseJsonObject(stdout.trim())
  const usage = obj(result?.usage)
  const tokens = {
    input_tokens: num(usage.input_tokens),
    output_tokens: num(usage.output_tokens),
    cache_read_tokens: num(usage.cache_read_input_tokens),
    cache_write_tokens: num(usage.cache_creation_input_tokens),
  }
  const costUsd = num(result?.total_cost_usd)
  if (result?.type !== 'result')
    return { structured: null, error: 'the reviewer printed no result', tokens, costUsd }
  if (result.is_error === true || !isObject(result.structured_output))
    return {
      structured: null,
      error: `the reviewer gave no structured answer (${str(result.subtype) ?? 'no subtype'})`,
      tokens,
      costUsd,
    }
  return { structured: result.structured_output, error: null, tokens, costUsd }
}
