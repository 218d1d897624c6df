import { claudeAdapter } from './claude'
import { codexAdapter } from './codex'
import type { AgentAdapter, AgentRunner } from './types'

export { claudeAdapter } from './claude'
export {
  codexAdapter,
  codexCostUsd,
  createCodexAdapter,
  DEFAULT_CODEX_PRICES,
  type PriceTable,
} from './codex'
export { type AgentEventType, agentEvent } from './events'
export type * from './types'

export const agentAdapters: Record<AgentRunner, AgentAdapter> = {
  'claude-code': claudeAdapter,
  codex: codexAdapter,
}
