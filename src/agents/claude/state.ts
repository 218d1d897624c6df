import { join } from 'node:path'
import { sessionRoots } from '../inventory'
import type { AgentState } from '../state'

/**
 * Claude Code's state: `~/.claude` (CLAUDE_CONFIG_DIR) with its sessions. Its user settings
 * (hooks, apiKeyHelper, statusLine), memory, commands, agents, plugins and skills are
 * configuration, and so is `~/.claude.json` beside it (MCP servers per project).
 */
export function claudeState(env: Record<string, string>): AgentState {
  const { claudeHome } = sessionRoots(env)
  const folder = (name: string) => ({ path: join(claudeHome, name), kind: { folder: true as const } })
  return {
    writable: [claudeHome],
    configuration: [
      ...(env.HOME ? [{ path: join(env.HOME, '.claude.json'), kind: { file: '{}\n' } }] : []),
      { path: join(claudeHome, 'settings.json'), kind: { file: '{}\n' } },
      { path: join(claudeHome, 'CLAUDE.md'), kind: { file: '' } },
      folder('commands'),
      folder('agents'),
      folder('hooks'),
      folder('plugins'),
      folder('skills'),
      folder('output-styles'),
    ],
  }
}
