import type { OutputBuilder } from './events'
import type { UsageSignal } from './types'

export type TokenCounts = Omit<UsageSignal, 'type' | 'cost_usd'>

const isZero = (tokens: TokenCounts, cost: number | undefined): boolean =>
  !cost && Object.values(tokens).every((value) => value === 0)

/** Emits a usage delta as both a signal and a timeline event; an empty delta emits nothing. */
export function emitUsage(out: OutputBuilder, tokens: TokenCounts, costUsd?: number): void {
  if (isZero(tokens, costUsd)) return
  const signal: UsageSignal = { type: 'usage', ...tokens }
  if (costUsd !== undefined) signal.cost_usd = costUsd
  const cache = tokens.cache_read_tokens || tokens.cache_write_tokens
  const parts = [
    `Tokens: ${tokens.input_tokens} in, ${tokens.output_tokens} out`,
    cache ? `, cache ${tokens.cache_read_tokens} read / ${tokens.cache_write_tokens} written` : '',
    costUsd !== undefined ? `, $${costUsd.toFixed(4)}` : '',
  ]
  const { type: _type, ...fields } = signal
  out.signal(signal).event('usage', parts.join(''), fields)
}
