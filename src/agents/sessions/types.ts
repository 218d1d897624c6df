import type { AgentRunner } from '../types'

/** A CLI session found on disk; field names are the original API's (`GET /runner-sessions`). */
export interface LocalRunnerSession {
  runner: AgentRunner
  session_id: string
  title?: string
  workspace?: string
  transcript_path?: string
  created_at?: string
  updated_at?: string
  source: 'claude-project-jsonl' | 'claude-subagent-jsonl' | 'codex-jsonl' | 'codex-session-index'
  resume_command?: string
  message_count: number
  last_message?: string
  openruntime_task_id?: string
  managed_by_openruntime: boolean
}
