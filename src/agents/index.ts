/** The agent CLIs' protocol adapters (see types.ts) and the local session inventory. */

export { findAgentBinary } from './availability'
export { claudeAdapter } from './claude'
export { buildClaudeReview, type ReviewRequest } from './claude/launch'
export { claudeReviewResult, type ReviewResult } from './claude/review-result'
export {
  codexAdapter,
  codexCostUsd,
  createCodexAdapter,
  DEFAULT_CODEX_PRICES,
  type ModelPrice,
  type PriceTable,
  priceFor,
} from './codex'
export { type AgentEventType, agentEvent } from './events'
export {
  type InventoryOptions,
  type LocalRunnerSession,
  type RunnerSessionList,
  SessionInventory,
  sessionRoots,
} from './inventory'
export { type AgentState, type ConfigEntry, prepareAgentState } from './state'
export type * from './types'
