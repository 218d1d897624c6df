import { type Static, Type } from '@sinclair/typebox'

/** What a task or an attempt has used so far. `input_tokens` excludes cached ones: input, cache reads and cache writes are disjoint. */
export const CostLedgerSchema = Type.Object({
  runtime_millis: Type.Number(),
  input_tokens: Type.Number({ description: 'uncached input tokens' }),
  output_tokens: Type.Number(),
  cache_read_tokens: Type.Number(),
  cache_write_tokens: Type.Number(),
  tool_calls: Type.Number(),
  estimated_cents: Type.Number(),
})
export type CostLedger = Static<typeof CostLedgerSchema>

export function emptyLedger(): CostLedger {
  return {
    runtime_millis: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    tool_calls: 0,
    estimated_cents: 0,
  }
}

/** The ledger with every figure of `delta` added. */
export function addToLedger(ledger: CostLedger, delta: Partial<CostLedger>): CostLedger {
  const sum = { ...ledger }
  for (const key of Object.keys(sum) as (keyof CostLedger)[]) sum[key] += delta[key] ?? 0
  return sum
}
