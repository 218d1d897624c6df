import { basename } from 'node:path'
import { type Json, obj, str } from '../json'
import { preview } from './preview'
import type { LocalRunnerSession } from './types'

const MIN_STEM_ID = 32

/**
 * One Claude Code transcript (`<config dir>/projects/<escaped cwd>/<session id>.jsonl`). Sub-agent
 * transcripts live in `subagents` folders and are listed under their agent id, without a resume
 * command (they cannot be resumed on their own).
 */
export function claudeSession(path: string, records: Json[], subagent: boolean): LocalRunnerSession | null {
  const stem = basename(path, '.jsonl')
  let id: string | undefined
  let agentId: string | undefined
  let workspace: string | undefined
  let createdAt: string | undefined
  let updatedAt: string | undefined
  let title: string | undefined
  let lastMessage: string | undefined
  let count = 0
  for (const record of records) {
    id ??= str(record.sessionId)
    agentId ??= str(record.agentId)
    workspace = str(record.cwd) ?? workspace
    const timestamp = str(record.timestamp)
    if (timestamp) {
      createdAt ??= timestamp
      updatedAt = timestamp
    }
    switch (record.type) {
      case 'last-prompt':
        title = preview(record.lastPrompt) ?? title
        break
      case 'ai-title':
        title = preview(record.title ?? record.aiTitle) ?? title
        break
      case 'summary':
        lastMessage = preview(record.summary) ?? lastMessage
        break
      case 'user':
      case 'assistant': {
        if (record.isMeta === true) break
        count++
        lastMessage = preview(obj(record.message).content ?? record.message) ?? lastMessage
        break
      }
    }
  }
  const sessionId = subagent
    ? `agent-${agentId ?? stem.replace(/^agent-/, '')}`
    : (id ?? (stem.length >= MIN_STEM_ID ? stem : undefined))
  if (!sessionId) return null
  return {
    runner: 'claude-code',
    session_id: sessionId,
    title,
    workspace,
    transcript_path: path,
    created_at: createdAt,
    updated_at: updatedAt,
    source: subagent ? 'claude-subagent-jsonl' : 'claude-project-jsonl',
    resume_command: subagent ? undefined : `claude --resume ${sessionId}`,
    message_count: count,
    last_message: lastMessage,
    managed_by_openruntime: false,
  }
}
