import { claudeAdapter } from '../../agents'
import { agentRunner } from './agent-runner'

export const claudeCodeRunner = agentRunner({
  kind: 'claude-code',
  invocation: 'claude -p --input-format stream-json --output-format stream-json --verbose',
  binary: 'claude',
  taskCommand: (prompt) => `claude -p ${prompt}`,
  variables: ['ANTHROPIC_', 'CLAUDE_'],
  settingsName: 'CLAUDE',
  attachCommand: (sessionId) => `claude --resume ${sessionId}`,
  adapter: () => claudeAdapter,
})
