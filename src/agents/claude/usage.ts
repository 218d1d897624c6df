import { isObject, type Json, num, obj } from '../json'
import type { TokenCounts } from '../usage'

export interface UsageDelta {
  tokens: TokenCounts
  costUsd?: number
}

/**
 * Turns Claude's `result` lines into usage deltas. The figures come in three flavours:
 * - `model_usage_since_last_result` (2.1.3xx): already a delta per model, including the partial
 *   usage of an interrupted request; used whenever present;
 * - `usage`: this turn's tokens only, but an interrupted request is missing from it;
 * - `total_cost_usd` and `modelUsage`: cumulative for the session, and a resumed process starts
 *   from the total saved by the previous one.
 * Without the first, tokens come from `usage` and the cost is the difference between totals
 * seen by this process (the first total of a resumed process is then counted whole).
 */
export class ClaudeUsageMeter {
  private lastTotalCost = 0

  fromResult(result: Json): UsageDelta {
    const total = num(result.total_cost_usd)
    const previous = this.lastTotalCost
    this.lastTotalCost = Math.max(total, previous)
    if (isObject(result.model_usage_since_last_result)) return sumModels(result.model_usage_since_last_result)
    const usage = obj(result.usage)
    return {
      tokens: {
        input_tokens: num(usage.input_tokens),
        output_tokens: num(usage.output_tokens),
        cache_read_tokens: num(usage.cache_read_input_tokens),
        cache_write_tokens: num(usage.cache_creation_input_tokens),
      },
      costUsd: Math.max(0, total - previous),
    }
  }
}

function sumModels(models: Json): UsageDelta {
  const tokens = { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 }
  let costUsd = 0
  for (const value of Object.values(models)) {
    const model = obj(value)
    tokens.input_tokens += num(model.inputTokens)
    tokens.output_tokens += num(model.outputTokens)
    tokens.cache_read_tokens += num(model.cacheReadInputTokens)
    tokens.cache_write_tokens += num(model.cacheCreationInputTokens)
    costUsd += num(model.costUSD)
  }
  return { tokens, costUsd }
}
