import { type Json, num, obj } from '../json'
import type { TokenCounts } from '../usage'

interface Breakdown {
  input: number
  cached: number
  cacheWrite: number
  output: number
}

const ZERO: Breakdown = { input: 0, cached: 0, cacheWrite: 0, output: 0 }

function breakdown(value: unknown): Breakdown {
  const fields = obj(value)
  return {
    input: num(fields.inputTokens),
    cached: num(fields.cachedInputTokens),
    cacheWrite: num(fields.cacheWriteInputTokens),
    output: num(fields.outputTokens),
  }
}

const minus = (a: Breakdown, b: Breakdown): Breakdown => ({
  input: a.input - b.input,
  cached: a.cached - b.cached,
  cacheWrite: a.cacheWrite - b.cacheWrite,
  output: a.output - b.output,
})

/**
 * Turns `thread/tokenUsage/updated` into deltas. Its `total` is cumulative for the thread, across
 * processes: after `thread/resume` the server first replays the saved total (tagged with an old
 * turn id), which only sets the baseline. Should a resumed thread skip that replay, the first
 * update's own `last` figures stand in for the delta. Codex's `inputTokens` include cached ones;
 * the delta's `input_tokens` do not.
 */
export class CodexUsageMeter {
  private baseline: Breakdown | null

  constructor(resumed: boolean) {
    this.baseline = resumed ? null : ZERO
  }

  update(tokenUsage: Json, ownTurn: boolean): TokenCounts | null {
    const total = breakdown(tokenUsage.total)
    if (!ownTurn) {
      this.baseline = total
      return null
    }
    const base = this.baseline ?? minus(total, breakdown(tokenUsage.last))
    this.baseline = total
    const delta = minus(total, base)
    return {
      input_tokens: Math.max(0, delta.input - delta.cached - delta.cacheWrite),
      output_tokens: Math.max(0, delta.output),
      cache_read_tokens: Math.max(0, delta.cached),
      cache_write_tokens: Math.max(0, delta.cacheWrite),
    }
  }
}
