import { join } from 'node:path'
import { sessionRoots } from '../inventory'
import type { AgentState } from '../state'

/**
 * Codex's state: CODEX_HOME with its sessions, logs and credentials. Its config.toml (notify
 * commands, MCP servers, providers), AGENTS.md, prompts and rules are configuration.
 */
export function codexState(env: Record<string, string>): AgentState {
  const { codexHome } = sessionRoots(env)
  return {
    writable: [codexHome],
    configuration: [
      { path: join(codexHome, 'config.toml'), kind: { file: '' } },
      { path: join(codexHome, 'AGENTS.md'), kind: { file: '' } },
      { path: join(codexHome, 'prompts'), kind: { folder: true } },
      { path: join(codexHome, 'rules'), kind: { folder: true } },
    ],
  }
}
