import { createCodexAdapter, DEFAULT_CODEX_PRICES } from '../../agents'
import { agentRunner } from './agent-runner'

export const codexRunner = agentRunner({
  kind: 'codex',
  invocation: 'codex app-server',
  binary: 'codex',
  taskCommand: (prompt) => `codex app-server (goal: ${prompt})`,
  variables: ['OPENAI_', 'CODEX_'],
  settingsName: 'CODEX',
  attachCommand: (sessionId) => `codex resume ${sessionId}`,
  // Codex reports no cost: it is estimated from the configured prices over the built-in table.
  adapter: (config) => createCodexAdapter({ prices: { ...DEFAULT_CODEX_PRICES, ...config.codexPrices } }),
})
