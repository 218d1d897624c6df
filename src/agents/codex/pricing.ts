/**
 * Codex reports tokens but no cost, so the cost is estimated from a price table. The figures are
 * list prices in USD per million tokens; pass your own table where they differ (other providers,
 * negotiated prices, newer models).
 */
export interface ModelPrice {
  input: number
  cachedInput: number
  output: number
}

export type PriceTable = Record<string, ModelPrice>

export const DEFAULT_CODEX_PRICES: PriceTable = {
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-5-codex': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5.1-codex-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5.2': { input: 1.75, cachedInput: 0.175, output: 14 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  o3: { input: 2, cachedInput: 0.5, output: 8 },
  'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
}

/** The exact model, else the longest table key it starts with ("gpt-5.5" is priced as "gpt-5"). */
export function priceFor(model: string, table: PriceTable = DEFAULT_CODEX_PRICES): ModelPrice | undefined {
  if (table[model]) return table[model]
  const key = Object.keys(table)
    .filter((name) => model.startsWith(name))
    .sort((a, b) => b.length - a.length)[0]
  return key ? table[key] : undefined
}

/** Estimated USD for uncached input, cached input and output tokens; undefined for an unknown model. */
export function codexCostUsd(
  model: string,
  tokens: { input_tokens: number; cache_read_tokens: number; output_tokens: number },
  table: PriceTable = DEFAULT_CODEX_PRICES,
): number | undefined {
  const price = priceFor(model, table)
  if (!price) return undefined
  return (
    (tokens.input_tokens * price.input +
      tokens.cache_read_tokens * price.cachedInput +
      tokens.output_tokens * price.output) /
    1_000_000
  )
}
